"""FS-PTAL: fine-grained separation of action and background from action points.

Built on LACP (Lee & Byun, ICCV 2021): one temporal convolution, sigmoid class and
background scores fused into ``q̂``, focal point losses. FS-PTAL adds label extension,
pseudo-label mining (Alg. 2), a score contrast loss with neighbour-bounded outer ranges
and a feature separation module. The point-label algorithms live in
:mod:`sktal.localizers._fsptal_functional`.
"""
import numbers

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .._constants import EPS, IGNORE_INDEX
from ..base import BaseLocalizer, fill_doc
from ..nn import (
    AttentionConv1d,
    EmbeddingModule,
    embedding_separation_loss,
    masked_mean,
    topk_mean,
    video_bce_loss,
    valid_mask_or_none,
    zero_loss,
)
from ..nn._layers import Dropout, _relu, pointwise_conv
from ._fsptal_functional import (
    class_runs,
    extension_positions,
    lacp_seeds,
    mine_point_labels,
    outer_ranges,
    search_pseudo_labels,
)

#: kernel size of the first (temporal) convolution, as in LACP
CONV_KERNEL_SIZE = 3


def _mean_over_videos(values, valid):
    """Mean over the valid entries of each video (B, T), then over videos having any."""
    valid = valid.to(values.dtype)
    count = valid.sum(dim=1)
    per_video = (values * valid).sum(dim=1) / count.clamp(min=1)
    has = count > 0
    if not bool(has.any()):
        return zero_loss(values)
    return per_video[has].mean()


def foreground_confidences(scores, mask, *, foreground_confidence):
    """Class-wise foreground confidences ``Q_f`` (B, C + 1) from the scores (B, T, C + 1).

    ``'fac'`` (FAC-Net's class-wise foreground classification, which the paper cites):
    the foreground attention ``1 - b_t`` pooled over time with each channel's scores as
    weights, ``Q_f[c] = sum_t s_t[c] (1 - b_t) / sum_t s_t[c]``. ``'attention'``: the
    scores pooled with the foreground attention as weights,
    ``Q_f[c] = sum_t (1 - b_t) s_t[c] / sum_t (1 - b_t)`` (the direction used before).
    """
    foreground = 1 - scores[..., -1:]
    weights = scores if foreground_confidence == "fac" else foreground
    if mask is not None:
        weights = weights * mask.unsqueeze(-1).to(scores.dtype)
    pooled = foreground if foreground_confidence == "fac" else scores
    return (weights * pooled).sum(1) / weights.sum(1).clamp(min=EPS)


def lacp_video_loss(scores, labels, mask, *, topk_ratio):
    """LACP's video loss from the sigmoid scores (B, T, C + 1).

    The video score of a class of the video is its top-k mean (``k = T // topk_ratio``,
    per video), that of any other class its mean over the video's snippets; the loss
    is their BCE against ``y``, averaged over the C classes and the videos (LACP's
    ``Model.forward`` with labels, and ``nn.BCELoss`` in its ``Total_loss``). The
    background channel has no video term.
    """
    classes = scores[..., :-1]
    valid = valid_mask_or_none(mask)
    top = topk_mean(classes, topk_ratio, valid)
    average = masked_mean(classes, valid)
    return video_bce_loss(labels * top + (1 - labels) * average, labels)


def video_losses(scores, labels, mask, *, topk_ratio, foreground_confidence,
                 video_loss_reduction, video_loss):
    """``L_fore`` and ``L_back`` (Eq. 2–3) from the sigmoid scores (B, T, C + 1).

    ``video_loss='lacp'``: ``L_fore`` is 0 and ``L_back`` is LACP's video loss
    (:func:`lacp_video_loss`) instead.

    ``L_back``: BCE between the video scores ``Q_v`` (top-k mean of every channel,
    the background included) and ``[y, 1]``. ``L_fore``: BCE between the class-wise
    foreground confidences ``Q_f`` (:func:`foreground_confidences`) and ``[y, 0]``.
    ``video_loss_reduction='sum'`` sums the BCE over the C + 1 channels (Eq. 2–3) and
    averages over videos; ``'mean'`` averages over channels too, (C + 1) times weaker.
    """
    if video_loss == "lacp":
        return zero_loss(scores), lacp_video_loss(scores, labels, mask,
                                                  topk_ratio=topk_ratio)
    present = torch.cat([labels, torch.ones_like(labels[:, :1])], dim=1)
    video = topk_mean(scores, topk_ratio, valid_mask_or_none(mask))
    confidence = foreground_confidences(scores, mask,
                                        foreground_confidence=foreground_confidence)
    absent = torch.cat([labels, torch.zeros_like(labels[:, :1])], dim=1)
    scale = present.shape[1] if video_loss_reduction == "sum" else 1
    return (scale * video_bce_loss(confidence, absent),
            scale * video_bce_loss(video, present))


def focal_point_loss(probabilities, targets, points):
    """Focal BCE at labelled points (Eq. 5–6), per-video mean over points.

    ``-sum_k [t_k (1 - p_k)^2 log p_k + (1 - t_k) p_k^2 log(1 - p_k)]`` at each point,
    averaged over the points of a video, then over the videos having points (0 if none).

    Parameters
    ----------
    probabilities, targets : torch.Tensor of shape (B, T, K)
    points : torch.Tensor of shape (B, T), bool
    """
    p = probabilities.clamp(EPS, 1 - EPS)
    loss = -(targets * (1 - p) ** 2 * torch.log(p)
             + (1 - targets) * p ** 2 * torch.log(1 - p)).sum(-1)
    return _mean_over_videos(loss, points)


def score_contrast_loss(fused, action, labels, mask, *, contrast_outer_ratio):
    """``L_score`` (Eq. 8–9): outer-inner contrast of the pseudo segments.

    Runs of action points of class ``c`` are the pseudo segments ``SL_c``; each has
    ``OIC = mean(q̂ inside) - mean(q̂ in its outer range)``, the outer range bounded by the
    neighbouring segments of the same class (:func:`outer_ranges`; empty: 0).
    ``R_c`` is the mean OIC over ``SL_c``; a video's loss is the mean of
    ``(1 - R_c)^2`` over its classes with segments, then the mean over such videos.

    Parameters
    ----------
    fused : torch.Tensor of shape (B, T, C)
    action : torch.Tensor of shape (B, T), long
        Class index at action points, ``IGNORE_INDEX`` elsewhere.
    labels : torch.Tensor of shape (B, C)
    mask : torch.Tensor of shape (B, T), bool, or None
    contrast_outer_ratio : float
        δ.
    """
    n_videos, length, n_classes = fused.shape
    lengths = None if mask is None else mask.sum(1)
    runs = class_runs(action, n_classes, lengths)
    if runs["start"].numel() == 0:
        return zero_loss(fused)
    start, end = runs["start"], runs["end"]
    left, right = outer_ranges(start, end, runs["previous_end"], runs["next_start"],
                               contrast_outer_ratio=contrast_outer_ratio)
    cumulative = F.pad(fused.transpose(1, 2).cumsum(-1), (1, 0))  # (B, C, T + 1)
    rows = cumulative[runs["video"], runs["label"]]  # (n_runs, T + 1)

    def range_sum(lo, hi):  # sum and size of [lo, hi]
        lo, hi = lo.clamp(0, length), (hi + 1).clamp(0, length)
        size = (hi - lo).clamp(min=0)
        total = rows.gather(1, hi[:, None])[:, 0] - rows.gather(1, lo[:, None])[:, 0]
        return torch.where(size > 0, total, torch.zeros_like(total)), size

    inner, inner_size = range_sum(start, end)
    left_sum, left_size = range_sum(left, start - 1)
    right_sum, right_size = range_sum(end + 1, right)
    outer_size = left_size + right_size
    outer = (left_sum + right_sum) / outer_size.clamp(min=1)
    contrast = inner / inner_size - outer  # empty outer -> 0
    key = runs["video"] * n_classes + runs["label"]
    ones = torch.ones_like(contrast)
    count = torch.zeros(n_videos * n_classes, dtype=fused.dtype, device=fused.device)
    count = count.index_add(0, key, ones)
    total = torch.zeros_like(count).index_add(0, key, contrast)
    best_gap = (1 - total / count.clamp(min=1)) ** 2
    valid = (count > 0) & (labels.reshape(-1) > 0)
    shape = (n_videos, n_classes)
    return _mean_over_videos(best_gap.view(shape), valid.view(shape))


def completeness_loss(fused, dense, searched, mask, *, contrast_outer_ratio):
    """LACP's completeness loss on the optimal-sequence pseudo labels.

    For each searched (video, class) pair, every action segment (run of ``dense``)
    scores ``1 - OIC`` on ``q̂[:, c]`` and every background segment (run of not
    ``dense``, within the video) ``1 - OIC`` on ``1 - q̂[:, c]``; the outer range is
    ``floor(δ·l)`` snippets each side clipped to the video (:func:`outer_ranges`
    without neighbours; empty: 0). Per video, the action terms are averaged over its
    action segments of all classes and the background terms over its background
    segments; each is summed over videos and divided by the batch size (a video
    without segments counts as 0), and the loss is ``(act + bkg) ** 2``, as in LACP's
    code. One difference: LACP's run detection (differences of the labels) ends the
    run that reaches the video's last snippet one snippet early, drops it when it is
    that snippet alone, and skips a class whose labels never change; sktal scores
    every run whole (checked against LACP's ``Total_loss``: equal otherwise).

    Parameters
    ----------
    fused : torch.Tensor of shape (B, T, C)
    dense : torch.Tensor of shape (B, T, C), bool
    searched : torch.Tensor of shape (B, C), bool
    mask : torch.Tensor of shape (B, T), bool, or None
    contrast_outer_ratio : float
        δ.
    """
    n_videos, length, n_classes = fused.shape
    valid = (torch.ones(n_videos, length, dtype=torch.bool, device=fused.device)
             if mask is None else mask.bool())
    lengths = valid.sum(1)
    rows_ok = searched.reshape(-1)
    total = zero_loss(fused)
    for flags, values in ((dense, fused), (~dense, 1 - fused)):
        flags = (flags & valid.unsqueeze(-1)).transpose(1, 2).reshape(-1, length)
        flags = flags & rows_ok[:, None]
        steps = torch.diff(F.pad(flags.to(torch.int8), (1, 1)), dim=-1)
        row, start = torch.nonzero(steps == 1, as_tuple=True)
        end = torch.nonzero(steps == -1, as_tuple=True)[1] - 1
        if row.numel() == 0:
            continue
        video = torch.div(row, n_classes, rounding_mode="floor")
        left, right = outer_ranges(start, end, torch.full_like(start, -1),
                                   lengths[video], contrast_outer_ratio=contrast_outer_ratio)
        cumulative = F.pad(values.transpose(1, 2).reshape(-1, length).cumsum(-1), (1, 0))
        rows = cumulative[row]

        def range_sum(lo, hi):  # sum and size of [lo, hi]
            size = (hi - lo + 1).clamp(min=0)
            lo, hi = lo.clamp(0, length), (hi + 1).clamp(0, length)
            return rows.gather(1, hi[:, None])[:, 0] - rows.gather(1, lo[:, None])[:, 0], size

        inner, inner_size = range_sum(start, end)
        left_sum, left_size = range_sum(left, start - 1)
        right_sum, right_size = range_sum(end + 1, right)
        outer_size = left_size + right_size
        outer = torch.where(outer_size > 0, (left_sum + right_sum) / outer_size.clamp(min=1),
                            torch.zeros_like(inner))
        gap = 1 - (inner / inner_size - outer)
        per_video = torch.zeros(n_videos, dtype=fused.dtype, device=fused.device)
        count = per_video.index_add(0, video, torch.ones_like(gap))
        summed = torch.zeros_like(per_video).index_add(0, video, gap)
        total = total + (summed / count.clamp(min=1)).sum() / n_videos
    return total ** 2


def feature_separation_loss(embedding, action, background, *, similarity_same,
                            similarity_diff):
    """``L_fs`` (Eq. 11–14): hinge losses on hard-mined cosine similarities.

    For each action (background) point, its least similar action (background) point
    should be at least ``similarity_same`` (ψ_same) similar; for each action point, its
    most similar background point at most ``similarity_diff`` (ψ_diff). Each term is
    averaged per video over its points, then over the videos having them; the three are summed:
    :func:`sktal.nn.embedding_separation_loss` with ``average='per_term'``.

    Parameters
    ----------
    embedding : torch.Tensor of shape (B, T, E)
        L2-normalised embeddings.
    action, background : torch.Tensor of shape (B, T), bool
    """
    return embedding_separation_loss(embedding, action, background, similarity_same,
                                     similarity_diff,
                                     symmetric=False, average="per_term")


class FSPTALModule(nn.Module):
    """LACP's network, with FS-PTAL's feature embedding and attention convolution.

    ``Conv1d(D, hidden, 3)`` + ReLU, dropout, ``Conv1d(hidden, C + 1, 1, bias=False)``,
    sigmoid. With ``feature_separation`` the first convolution weighs its neighbours by
    the cosine similarity of a learnt embedding (:class:`~sktal.nn.AttentionConv1d`);
    without, it is an ordinary convolution. Outputs ``scores`` (B, T, C + 1),
    ``fused`` ``q̂[t, c] = s[t, c] (1 - s[t, C])`` (B, T, C) and ``embedding``.
    """

    def __init__(self, *, n_features, n_classes, hidden_size, dropout, feature_separation,
                 embedding_size, embedding_hidden_size):
        super().__init__()
        self.embedding = (
            EmbeddingModule(n_features, embedding_hidden_size, embedding_size)
            if feature_separation else None
        )
        self.conv = AttentionConv1d(n_features, hidden_size, CONV_KERNEL_SIZE, bias=True)
        self.dropout = Dropout(dropout)
        self.classifier = nn.Conv1d(hidden_size, n_classes + 1, 1, bias=False)

    @property
    def channels_first_input(self):
        """Whether the input is best handed over as the transpose of a contiguous
        (B, D, T) tensor: without the embedding the convolution is all that reads
        it (``fit``'s batches then skip a transposed copy)."""
        return self.embedding is None

    def forward(self, x, mask=None):
        """Features (B, T, D) -> dict of ``scores``, ``fused`` (and ``embedding``).

        The activations stay in the layout their convolution computes them in
        (channels first without the embedding): ReLU and dropout work in place in
        forward and backward where they can (:func:`~sktal.nn._layers._relu`,
        :class:`~sktal.nn._layers.Dropout`: the same values and draws as
        ``F.relu`` and ``nn.Dropout``) and the ``1x1`` classifier is a matrix
        product (:func:`~sktal.nn._layers.pointwise_conv`)."""
        out = {}
        if self.embedding is not None:
            out["embedding"] = self.embedding(x, mask=mask)
            hidden = _relu(self.conv(x, embedding=out["embedding"]))   # (B, T, H)
            dropped = self.dropout(hidden).transpose(1, 2)
        else:
            hidden = _relu(self.conv.channels_first(x))                # (B, H, T)
            dropped = self.dropout.channels_first(hidden)
        logits = pointwise_conv(self.classifier, dropped).transpose(1, 2)
        scores = torch.sigmoid(logits)
        out["scores"] = scores
        out["fused"] = scores[..., :-1] * (1 - scores[..., -1:])
        return out


class FSPTALLoss(nn.Module):
    """``λ1 L_vid + λ2 L_point + λ3 L_score + λ4 L_fs`` (Eq. 15).

    Pseudo labels are mined on the fly from the detached scores of the batch
    (:func:`mine_point_labels`) whenever ``label_mining`` is on; otherwise by LACP's
    rule (:func:`lacp_seeds`) when ``fallback_mining='lacp'``, or the action and
    background points are the (extended) clicks alone. Every argument is the
    :class:`FSPTAL` parameter of the same name.
    """

    term_names = ("loss_fore", "loss_back", "loss_point_action", "loss_point_background",
                  "loss_score", "loss_separation", "loss_completeness")

    def __init__(self, *, topk_ratio, lambda_video, lambda_point, lambda_score,
                 lambda_separation, lambda_completeness, label_mining, fallback_mining,
                 background_threshold, action_threshold, contrast_outer_ratio, similarity_same, similarity_diff,
                 foreground_confidence, video_loss_reduction, video_loss,
                 point_action_weight):
        super().__init__()
        self.topk_ratio = topk_ratio
        self.lambda_video = lambda_video
        self.lambda_point = lambda_point
        self.lambda_score = lambda_score
        self.lambda_separation = lambda_separation
        self.lambda_completeness = lambda_completeness
        self.label_mining = label_mining
        self.fallback_mining = fallback_mining
        self.background_threshold = background_threshold
        self.action_threshold = action_threshold
        self.contrast_outer_ratio = contrast_outer_ratio
        self.similarity_same = similarity_same
        self.similarity_diff = similarity_diff
        self.foreground_confidence = foreground_confidence
        self.video_loss_reduction = video_loss_reduction
        self.video_loss = video_loss
        self.point_action_weight = point_action_weight

    def forward(self, outputs, targets):
        scores, fused = outputs["scores"], outputs["fused"]
        labels, points, mask = targets["labels"], targets["click_labels"], targets.get("mask")
        n_classes = labels.shape[1]
        if self.label_mining:
            action, background = mine_point_labels(
                scores[..., -1].detach(), fused.detach(), points,
                background_threshold=self.background_threshold,
                action_threshold=self.action_threshold, mask=mask,
            )
        else:
            is_action = (points >= 0) & (points < n_classes)
            action = torch.where(is_action, points, torch.full_like(points, IGNORE_INDEX))
            background = points == n_classes
        seeds = action  # the search's action seeds
        if not self.label_mining and self.fallback_mining == "lacp":
            # LACP's Total_loss keeps select_seed's background seeds for its point
            # loss and hands the grown action seeds to the search only
            seeds, background = lacp_seeds(scores[..., -1].detach(), points,
                                           n_classes=n_classes, mask=mask)
        is_action = action >= 0
        probabilities = torch.cat([fused, scores[..., -1:]], dim=-1)
        action_target = F.one_hot(action.clamp(min=0), n_classes + 1).to(fused.dtype)
        background_target = torch.zeros_like(probabilities)
        background_target[..., -1] = 1
        terms = {}
        terms["loss_fore"], terms["loss_back"] = video_losses(
            scores, labels, mask, topk_ratio=self.topk_ratio,
            foreground_confidence=self.foreground_confidence,
            video_loss_reduction=self.video_loss_reduction, video_loss=self.video_loss,
        )
        terms["loss_point_action"] = focal_point_loss(probabilities, action_target, is_action)
        terms["loss_point_background"] = focal_point_loss(
            probabilities, background_target, background
        )
        terms["loss_score"] = (
            score_contrast_loss(fused, action, labels, mask,
                                contrast_outer_ratio=self.contrast_outer_ratio)
            if self.lambda_score else zero_loss(fused)
        )
        terms["loss_separation"] = (
            feature_separation_loss(outputs["embedding"], is_action, background,
                                    similarity_same=self.similarity_same,
                                    similarity_diff=self.similarity_diff)
            if "embedding" in outputs and self.lambda_separation else zero_loss(fused)
        )
        if self.lambda_completeness:
            dense, searched = search_pseudo_labels(
                fused.detach(), seeds, background, labels, mask,
                contrast_outer_ratio=self.contrast_outer_ratio)
            terms["loss_completeness"] = completeness_loss(
                fused, dense, searched, mask, contrast_outer_ratio=self.contrast_outer_ratio)
        else:
            terms["loss_completeness"] = zero_loss(fused)
        terms["loss"] = (
            self.lambda_completeness * terms["loss_completeness"]
            + self.lambda_video * (terms["loss_fore"] + terms["loss_back"])
            + self.lambda_point * (self.point_action_weight * terms["loss_point_action"]
                                   + terms["loss_point_background"])
            + self.lambda_score * terms["loss_score"]
            + self.lambda_separation * terms["loss_separation"]
        )
        return terms


@fill_doc
class FSPTAL(BaseLocalizer):
    """Point-supervised localization by fine-grained action-background separation.

    FS-PTAL (built on LACP) learns from video labels and one action click
    per instance. Training snippets are resampled more densely around the clicks (label
    extension); pseudo action and background points are mined from the current scores
    (Alg. 2) and trained with focal point losses; pseudo segments (runs of action
    points) are pushed towards complete outer-inner contrast; an embedding separates
    action from background features and steers the temporal convolution. Detections
    are cut from the fused scores ``q̂``.

    Parameters
    ----------
    label_extension : bool, default=True
        Module A: resample training videos with weights τ1 on clicked snippets and τ2
        beside them (:func:`~sktal.localizers._fsptal_functional.extension_positions`).
        It replaces `resampling` in training; prediction uses `resampling`.
    point_weight : float, default=2.5
        τ1, sampling weight of clicked snippets.
    neighbour_weight : float, default=1.67
        τ2, sampling weight of the snippet before and after each run of clicks.
    label_mining : bool, default=True
        Module B: mine pseudo action and background points from each batch's detached
        scores (Alg. 2). ``False`` falls back to `fallback_mining`.
    fallback_mining : {'lacp', None}, default='lacp'
        What mines when ``label_mining=False``. ``'lacp'``: the parent's rule that
        module B replaces (LACP's ``select_seed``: background seeds at ``b_t >= 0.95``,
        pseudo action points at ``b_t <= 0.1`` beside each click;
        :func:`~sktal.localizers._fsptal_functional.lacp_seeds`), so that switching B
        off removes FS-PTAL's change, not LACP's mining. As in LACP's ``Total_loss``,
        the background seeds join the point loss and the grown action points only
        seed the optimal-sequence search (`lambda_completeness`); the action point
        loss sees the clicks. ``None``: the clicks alone,
        i.e. no background point at all (sktal's earlier reading; the paper does not
        say which its "w/o B" row used).
    background_threshold : float, default=0.85
        γ_bkg: background score above which a snippet is a pseudo background point.
    action_threshold : float, default=0.25
        γ_act: background score at or below which a snippet may be a pseudo action point.
    contrast_outer_ratio : float, default=0.25
        δ: outer range of the score contrast, as a fraction of the segment length.
    feature_separation : bool, default=True
        Module D: embedding, attention convolution and ``L_fs``.
    embedding_size : int, default=32
        ``D_ebd``, width of the embedding.
    embedding_hidden_size : int, default=512
        Width of the embedding's first convolution.
    similarity_same : float, default=0.9
        ψ_same: least cosine similarity wanted within action (background) points.
    similarity_diff : float, default=0.1
        ψ_diff: most cosine similarity wanted between action and background points.
    lambda_video, lambda_point, lambda_score, lambda_separation : float, default=1.0
        λ1…λ4 of ``L_vid``, ``L_point``, ``L_score`` (module C; 0 disables it) and
        ``L_fs``.
    lambda_completeness : float, default=0.0
        Weight of LACP's completeness loss (:func:`completeness_loss`) on the dense
        pseudo labels of its optimal-sequence search
        (:func:`~sktal.localizers._fsptal_functional.optimal_sequence`, run on each
        batch's detached scores and mined points). 0: off, as in FS-PTAL's Eq. 15,
        whose score contrast (module C) replaces it; LACP's code weighs it 1.
    agnostic_proposals : bool, default=True
        Also propose segments where ``1 - b_t`` is high (LACP's inference).
    foreground_confidence : {'fac', 'attention'}, default='fac'
        How ``Q_f`` pools (:func:`foreground_confidences`). ``'fac'``: FAC-Net's
        class-wise foreground confidence, which the paper cites: the foreground
        attention ``1 - b_t`` averaged with each channel's scores as weights.
        ``'attention'``: the scores averaged with ``1 - b_t`` as weights (the opposite
        direction, sktal's earlier reading).
    video_loss_reduction : {'mean', 'sum'}, default='mean'
        ``'sum'``: Eq. 2–3 as written, the BCE summed over the C + 1 channels (then
        averaged over videos). ``'mean'`` averages over channels too, C + 1 times
        weaker. The default departs from the paper's formula on measurement: with
        20 classes the summed loss swamps the point losses and training collapses
        (``benchmarks/run_methods.py``'s reduced THUMOS14-timeline suite: 0.6 ± 0.5
        avg mAP 0.1:0.7 with ``'sum'``), while with 5 classes ``'sum'`` is the
        better one (``benchmarks/bench_fsptal.py --fidelity``). The mean is also the
        scale of the only public code of this line, LACP's (``nn.BCELoss`` averaged
        over the classes, next to point losses summed over the C + 1 channels, as
        here); FS-PTAL's code is not public, so which scale its numbers came from
        is unknown.
    video_loss : {'fsptal', 'lacp'}, default='fsptal'
        ``'fsptal'``: ``L_fore + L_back`` (Eq. 2–3). ``'lacp'``: LACP's video loss
        instead (:func:`lacp_video_loss`: top-k mean for the video's classes, mean
        over time for the others, BCE averaged over the C classes, no background
        term), part of LACP's configuration.
    point_action_weight : float, default=1.0
        Weight of the action point loss against the background one inside
        ``L_point``; FS-PTAL's Eq. 15 weighs them alike, LACP's code weighs the
        action term 0.5.
%(common_parameters)s
    Attributes
    ----------
%(common_attributes)s
    See Also
    --------
    BackTAL : background clicks instead of action clicks.
    BaSNet : video labels only.

    Notes
    -----
    Table 2 ablations of the paper as parameters: without A ``label_extension=False``;
    without B ``label_mining=False`` (LACP's seed mining then applies,
    `fallback_mining`); without C ``lambda_score=0``; without D
    ``feature_separation=False``. All four off, with ``lambda_completeness=1``,
    ``video_loss='lacp'``, ``point_action_weight=0.5`` and ``n_segments=None``, is
    LACP's training (its feature contrast loss and search schedule aside);
    ``benchmarks/compare_official.py --lacp`` trains it next to LACP's code.

    Pseudo labels are recomputed for every batch from its detached training-mode
    scores, as LACP mines its background points, rather than on an epoch schedule:
    they always match the batch's (extended) snippets and cost one vectorised pass.
    Background clicks, when given, are background points too.

    Choices where the paper is silent or ambiguous: ``Q_f`` follows FAC-Net
    (``foreground_confidence``); the video loss averages over channels by default,
    where Eq. 2–3 sum (``video_loss_reduction``: the sum collapses training with
    many classes, see that parameter); ``Q_v`` is
    the top-k mean of every class (LACP pools absent classes by their mean over time instead); the action point loss
    also pushes ``b_t`` to 0 (LACP's code); each term is averaged per video, then over
    videos; ``R_c`` is the mean contrast of the segments of class ``c``, and the
    outer range stops one snippet short of the neighbouring segments; in Alg. 2 the
    video edges bound the first and last gap and background runs stop at the
    outermost background point of a gap; feature separation treats all action
    points as one category. Weight decay 5e-4, thresholds on the raw (not min-max
    normalised) ``q̂`` and the class-agnostic proposals follow the LACP code. The
    paper's 1,500 iterations of 16 videos are about 120 epochs of THUMOS14's 200
    validation videos.

    Examples
    --------
    >>> from sktal import FSPTAL
    >>> from sktal.datasets import make_temporal_actions, simulate_clicks
    >>> data = make_temporal_actions(n_videos=8, random_state=0)
    >>> clicks = simulate_clicks(data.segments, data.lengths, kind="action",
    ...                          random_state=0)
    >>> est = FSPTAL(n_segments=64, hidden_size=16, embedding_hidden_size=16,
    ...              max_epochs=2, random_state=0).fit(data.X, data.y, clicks)
    >>> est.predict(data.X[:2])[0].shape[1]
    4
    """

    #: what ``fit`` learns from besides video labels (``None``: video labels only)
    supervision = "action"

    _loss_names = FSPTALLoss.term_names

    #: the paper's ablations as parameter settings, with its THUMOS14 numbers
    _paper_tables = {
        "Table 2": {
            "caption": "Ablations on THUMOS14 (A label extension, B pseudo-label mining, "
                       "C score contrast, D feature separation)",
            "metric": "avg mAP 0.1:0.7 (%)",
            "rows": [
                ("w/o A label extension", {"label_extension": False}, 54.8),
                ("w/o B pseudo-label mining", {"label_mining": False}, 49.3),
                ("w/o C score contrast", {"lambda_score": 0.0}, 52.5),
                ("w/o D feature separation", {"feature_separation": False}, 51.6),
                ("FS-PTAL (A+B+C+D)", {}, 56.7),
            ],
        },
    }

    _param_checks = {
        "label_extension": dict(kind=(bool, np.bool_)),
        "point_weight": dict(kind=numbers.Real, low=0, include_low=False),
        "neighbour_weight": dict(kind=numbers.Real, low=0, include_low=False),
        "label_mining": dict(kind=(bool, np.bool_)),
        "fallback_mining": dict(options=("lacp", None)),
        "background_threshold": dict(kind=numbers.Real, low=0, high=1),
        "action_threshold": dict(kind=numbers.Real, low=0, high=1),
        "contrast_outer_ratio": dict(kind=numbers.Real, low=0),
        "feature_separation": dict(kind=(bool, np.bool_)),
        "embedding_size": dict(kind=numbers.Integral, low=1),
        "embedding_hidden_size": dict(kind=numbers.Integral, low=1),
        "similarity_same": dict(kind=numbers.Real, low=-1, high=1),
        "similarity_diff": dict(kind=numbers.Real, low=-1, high=1),
        "lambda_video": dict(kind=numbers.Real, low=0),
        "lambda_point": dict(kind=numbers.Real, low=0),
        "lambda_score": dict(kind=numbers.Real, low=0),
        "lambda_separation": dict(kind=numbers.Real, low=0),
        "lambda_completeness": dict(kind=numbers.Real, low=0),
        "agnostic_proposals": dict(kind=(bool, np.bool_)),
        "foreground_confidence": dict(options=("fac", "attention")),
        "video_loss_reduction": dict(options=("sum", "mean")),
        "video_loss": dict(options=("fsptal", "lacp")),
        "point_action_weight": dict(kind=numbers.Real, low=0),
    }

    def __init__(self, *, label_extension=True, point_weight=2.5, neighbour_weight=1.67,
                 label_mining=True, fallback_mining="lacp", background_threshold=0.85,
                 action_threshold=0.25, contrast_outer_ratio=0.25, feature_separation=True,
                 embedding_size=32, embedding_hidden_size=512, similarity_same=0.9,
                 similarity_diff=0.1, lambda_video=1.0, lambda_point=1.0, lambda_score=1.0,
                 lambda_separation=1.0, lambda_completeness=0.0, agnostic_proposals=True,
                 foreground_confidence="fac", video_loss_reduction="mean",
                 video_loss="fsptal", point_action_weight=1.0, n_segments=750,
                 resampling="interpolate", hidden_size=2048, dropout=0.7, topk_ratio=8,
                 lr=1e-4, weight_decay=5e-4, batch_size=16, max_epochs=120,
                 class_threshold=0.25, class_fallback="argmax", nms_threshold=0.7, max_detections=1000, tiou_thresholds=None,
                 n_classes=None, device="auto", random_state=None, verbose=0,
                 callbacks=None, warm_start=False,
                 on_interrupt="auto", validation_fraction=None,
                 precision="32", progress="auto"):
        self.label_extension = label_extension
        self.point_weight = point_weight
        self.neighbour_weight = neighbour_weight
        self.label_mining = label_mining
        self.fallback_mining = fallback_mining
        self.background_threshold = background_threshold
        self.action_threshold = action_threshold
        self.contrast_outer_ratio = contrast_outer_ratio
        self.feature_separation = feature_separation
        self.embedding_size = embedding_size
        self.embedding_hidden_size = embedding_hidden_size
        self.similarity_same = similarity_same
        self.similarity_diff = similarity_diff
        self.lambda_video = lambda_video
        self.lambda_point = lambda_point
        self.lambda_score = lambda_score
        self.lambda_separation = lambda_separation
        self.lambda_completeness = lambda_completeness
        self.agnostic_proposals = agnostic_proposals
        self.foreground_confidence = foreground_confidence
        self.video_loss_reduction = video_loss_reduction
        self.video_loss = video_loss
        self.point_action_weight = point_action_weight
        self.n_segments = n_segments
        self.resampling = resampling
        self.hidden_size = hidden_size
        self.dropout = dropout
        self.topk_ratio = topk_ratio
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.class_threshold = class_threshold
        self.class_fallback = class_fallback
        self.nms_threshold = nms_threshold
        self.max_detections = max_detections
        self.tiou_thresholds = tiou_thresholds
        self.n_classes = n_classes
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.warm_start = warm_start
        self.on_interrupt = on_interrupt
        self.validation_fraction = validation_fraction
        self.precision = precision
        self.progress = progress

    def _check_fit_clicks(self, clicks, labels):
        if not any((c[:, 1] >= 0).any() for c in clicks):
            raise ValueError(
                "clicks: FSPTAL learns from action clicks ([t, class] rows with a class "
                "of the video), but none was given"
            )

    def _training_positions(self, index, length, clicks, rng):
        if not self.label_extension:
            return super()._training_positions(index, length, clicks, rng)
        n_out = None if self.resampling is None else self.n_segments
        points = clicks[clicks[:, 1] >= 0, 0]
        return extension_positions(length, n_out, points, point_weight=self.point_weight,
                                   neighbour_weight=self.neighbour_weight)

    def _build_module(self, n_features, n_classes):
        return FSPTALModule(
            n_features=n_features, n_classes=n_classes,
            **{k: getattr(self, k) for k in ("hidden_size", "dropout", "feature_separation",
                                             "embedding_size", "embedding_hidden_size")},
        )

    def _build_criterion(self, n_classes):
        return FSPTALLoss(**{k: getattr(self, k) for k in (
            "topk_ratio", "lambda_video", "lambda_point", "lambda_score",
            "lambda_separation", "lambda_completeness", "label_mining", "fallback_mining",
            "background_threshold", "action_threshold", "contrast_outer_ratio", "similarity_same",
            "similarity_diff", "foreground_confidence", "video_loss_reduction",
            "video_loss", "point_action_weight",
        )})

    def _localization_scores(self, outputs):
        scores = outputs["scores"]
        result = {"cas": outputs["fused"],
                  "video_scores": topk_mean(scores[..., :-1], self.topk_ratio)}
        if self.agnostic_proposals:
            result["agnostic"] = 1 - scores[..., -1]
        return result

    def _postprocess_params(self):
        return {"normalize": False}
