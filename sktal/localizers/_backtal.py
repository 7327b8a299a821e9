"""BackTAL: background-click supervised localization (Yang, Qin and Huang, TPAMI).

BaS-Net's two branches (:class:`BaSNetModule`, :class:`BaSNetLoss`) plus what the
background clicks add: a frame-level cross-entropy at the clicked snippets, the score
separation loss (Eq. 5–8) and the affinity module (Eq. 9–16: an embedding branch whose
neighbour similarities modulate the CAS head's temporal convolutions, trained by a
hard-mined embedding loss).
"""
import functools
import numbers

import numpy as np
import torch
import torch.nn.functional as F

from .._constants import BACKGROUND, IGNORE_INDEX
from ..base import BaseLocalizer, fill_doc
from ..nn import (
    AttentionConv1d,
    EmbeddingModule,
    embedding_separation_loss,
    minmax_normalize,
    topk_sizes,
    valid_mask_or_none,
    zero_loss,
)
from ._basnet import BaSNetLoss, BaSNetModule, branch_localization_scores

#: filter module kernel (official code: 1)
FILTER_KERNEL_SIZE = 1
#: width of the embedding branch's hidden layer (official code: 512)
EMBEDDING_HIDDEN_SIZE = 512
#: thresholds of the official THUMOS14 feature-magnitude proposals
MAGNITUDE_THRESHOLDS = np.arange(0.3, 0.8, 0.075)

#: values of ``similarity_layout``: how the neighbour similarities weight the
#: attention convolutions' inputs
SIMILARITY_LAYOUTS = ("channel_blocks", "taps")

#: values outside [-1, 1] used to mask cosine similarities before hard mining
_ABOVE, _BELOW = 2.0, -2.0


# ---------------------------------------------------------------------- losses
def score_separation_loss(video_logits, cas, labels, background_mask):
    """Score separation loss (BackTAL Eq. 5–8, as in the official code).

    For each video ``b`` and each class ``c`` of the video, ``p_act`` is the video's
    top-k mean score of ``c`` and ``p_bg`` the mean score of ``c`` over the
    background-clicked snippets; the loss is ``CE(softmax([p_act, p_bg]), [1, 0]) =
    softplus(p_bg - p_act)``, averaged over the video's classes, then over the videos
    that have at least one background click and one class (the others are skipped).

    Parameters
    ----------
    video_logits : torch.Tensor of shape (batch, C)
        ``p_act``: top-k mean of the base CAS (logits, before any softmax).
    cas : torch.Tensor of shape (batch, T, C)
        Base CAS logits of the action classes.
    labels : torch.Tensor of shape (batch, C)
        0/1 video labels.
    background_mask : torch.Tensor of shape (batch, T), bool
        ``True`` at background-clicked snippets.

    Returns
    -------
    torch.Tensor, scalar
        0 (still differentiable) when no video qualifies.

    Notes
    -----
    The paper's Eq. 8, ``-log p̂_act - log(1 - p̂_bg)``, is twice this value
    (``p̂_bg = 1 - p̂_act``); the code's single cross-entropy term is used, so
    ``lambda_sep=1`` here equals λ = 0.5 on Eq. 8.
    """
    bg = background_mask.to(cas.dtype)
    n_bg = bg.sum(dim=1)
    p_bg = (cas * bg.unsqueeze(-1)).sum(dim=1) / n_bg.clamp(min=1).unsqueeze(-1)
    per_class = F.softplus(p_bg - video_logits)
    n_labels = labels.sum(dim=1)
    per_video = (per_class * labels).sum(dim=1) / n_labels.clamp(min=1)
    valid = ((n_bg > 0) & (n_labels > 0)).to(cas.dtype)
    return (per_video * valid).sum() / valid.sum().clamp(min=1)


def topk_action_weights(cas, labels, ratio=8, mask=None):
    """Pseudo action snippets: the top-k snippets of each class of the video.

    For every class ``c`` with ``labels[b, c] = 1``, the ``k = max(1, T // ratio)``
    snippets with the highest ``cas[b, :, c]`` are pseudo action snippets (paper
    footnote 3: ``b̂_t = 0``). The official code concatenates the index lists of the
    video's classes, so a snippet in the top-k of two classes counts twice; the
    returned weight is that multiplicity. No gradient flows through the selection.

    Parameters
    ----------
    cas : torch.Tensor of shape (batch, T, C)
        Scores used for the ranking (the official code: suppression-branch logits).
    labels : torch.Tensor of shape (batch, C)
    ratio : int, default=8
    mask : torch.Tensor of shape (batch, T), bool, optional
        Valid snippets; ``k`` follows each video's valid length.

    Returns
    -------
    torch.Tensor of shape (batch, T), float
        Number of the video's classes whose top-k contains the snippet.
    """
    batch, length, _ = cas.shape
    cas = cas.detach()
    if mask is None:
        k = cas.new_full((batch,), max(1, length // ratio), dtype=torch.long)
        kmax = max(1, length // ratio)
    else:
        k = topk_sizes(mask.sum(dim=1), ratio)
        cas = cas.masked_fill(~mask.unsqueeze(-1), float("-inf"))
        kmax = min(int(k.max()), length)
    index = torch.topk(cas, kmax, dim=1).indices  # (batch, kmax, C)
    rank = torch.arange(kmax, device=cas.device).view(1, -1, 1)
    keep = (rank < k.view(-1, 1, 1)) & (labels.unsqueeze(1) > 0)
    weights = cas.new_zeros(batch, length)
    return weights.scatter_add_(1, index.reshape(batch, -1), keep.reshape(batch, -1).to(cas.dtype))


def affinity_loss(embedding, action_weights, background_mask, tau_same=0.5,
                  tau_diff=0.1, variant="code"):
    """Hard-mined embedding loss of the affinity module (BackTAL Eq. 10–13).

    With ``A`` the pseudo action snippets (``action_weights > 0``), ``B`` the
    background-clicked ones and ``s`` the cosine similarity of their embeddings:

    * ``variant='code'`` (official code, four terms, per video)::

          mean_{a in A} relu(tau_same - min_{a' in A} s(a, a'))
        + mean_{b in B} relu(tau_same - min_{b' in B} s(b, b'))
        + mean_{a in A} relu(max_{b in B} s(a, b) - tau_diff)
        + mean_{b in B} relu(max_{a in A} s(a, b) - tau_diff)

      the means over ``A`` weighted by ``action_weights`` (the multiplicity of a
      snippet in the concatenated top-k lists);
    * ``variant='paper'`` (Eq. 10–13, three terms): the single hardest pair of each
      set, ``relu(tau_same - min_{u != v in A} s)`` + the same over ``B`` +
      ``relu(max_{a in A, b in B} s - tau_diff)``.

    Terms over an empty set are 0. The per-video sums are averaged over the videos
    with at least one background click; the others are skipped. The code variant is
    :func:`sktal.nn.embedding_separation_loss` (``symmetric=True``,
    ``average='per_video'``); the paper variant is BackTAL's own.

    Parameters
    ----------
    embedding : torch.Tensor of shape (batch, T, E)
        L2-normalised snippet embeddings.
    action_weights : torch.Tensor of shape (batch, T)
        From :func:`topk_action_weights`; 0 outside ``A``.
    background_mask : torch.Tensor of shape (batch, T), bool
    tau_same, tau_diff : float
        τ_same (0.5) and τ_diff (0.1).
    variant : {'code', 'paper'}, default='code'

    Returns
    -------
    torch.Tensor, scalar
    """
    if variant not in ("code", "paper"):
        raise ValueError(f"variant must be 'code' or 'paper', got {variant!r}")
    if variant == "code":
        return embedding_separation_loss(
            embedding, action_weights, background_mask, tau_same, tau_diff,
            symmetric=True, average="per_video",
        )
    sim = embedding @ embedding.transpose(1, 2)  # (batch, T, T) cosine of unit vectors
    act, bg = action_weights > 0, background_mask
    length = sim.shape[1]
    off_diagonal = ~torch.eye(length, dtype=torch.bool, device=sim.device)
    act_pairs = act.unsqueeze(2) & act.unsqueeze(1) & off_diagonal
    bg_pairs = bg.unsqueeze(2) & bg.unsqueeze(1) & off_diagonal
    mixed_pairs = act.unsqueeze(2) & bg.unsqueeze(1)
    per_video = (
        F.relu(tau_same - sim.masked_fill(~act_pairs, _ABOVE).amin(dim=(1, 2)))
        + F.relu(tau_same - sim.masked_fill(~bg_pairs, _ABOVE).amin(dim=(1, 2)))
        + F.relu(sim.masked_fill(~mixed_pairs, _BELOW).amax(dim=(1, 2)) - tau_diff)
    )
    valid = bg.any(dim=1).to(sim.dtype)
    return (per_video * valid).sum() / valid.sum().clamp(min=1)


# --------------------------------------------------------------------- network
def channel_block_masks(in_channels, kernel_size):
    """Which similarity weighs each (input channel, tap) in the official code's layout.

    The official attention convolution unfolds the input into ``in_channels *
    kernel_size`` rows ordered channel-major (row ``c * K + o`` is channel ``c`` at
    tap ``o``) and multiplies them by the ``K`` neighbour similarities tiled in
    consecutive blocks of ``in_channels`` rows; the last block takes the remaining
    rows. So row ``r`` is weighted by similarity ``min(r // in_channels, K - 1)``.

    Returns
    -------
    torch.Tensor of shape (K, in_channels, K)
        ``masks[j, c, o] = 1`` where (channel ``c``, tap ``o``) is weighted by
        similarity ``j`` (neighbour ``t + j - K // 2``).

    Examples
    --------
    >>> from sktal.localizers._backtal import channel_block_masks
    >>> channel_block_masks(3, 3).argmax(0)   # in=3: channel c -> similarity c
    tensor([[0, 0, 0],
            [1, 1, 1],
            [2, 2, 2]])
    """
    rows = torch.arange(in_channels).view(-1, 1) * kernel_size + torch.arange(kernel_size)
    block = (rows // in_channels).clamp(max=kernel_size - 1)  # (in, K)
    return (block.unsqueeze(0) == torch.arange(kernel_size).view(-1, 1, 1)).float()


@functools.lru_cache(maxsize=None)
def _channel_block_slices(in_channels, kernel_size):
    """Block ``j`` of :func:`channel_block_masks` as ``(lo, hi, taps)``: the block
    holds channels ``lo:hi`` (a contiguous run, since its rows ``c * K + o`` are
    consecutive), every tap of the inner ones and, of the two end channels, only
    the taps in ``taps`` ((hi - lo, K) bool, ``None`` when the block holds every
    tap of all its channels)."""
    masks = channel_block_masks(in_channels, kernel_size).bool()
    slices = []
    for block in masks:
        channels = block.any(dim=1).nonzero().flatten()
        lo, hi = int(channels[0]), int(channels[-1]) + 1
        taps = block[lo:hi]
        slices.append((lo, hi, None if bool(taps.all()) else taps))
    return tuple(slices)


class ChannelBlockAttentionConv1d(AttentionConv1d):
    """BackTAL's attention convolution as the official code computes it.

    ``y_t = sum_j s_{t,j} sum_{(c, o) in block j} W[:, c, o] x_{t+o-r}[c]``: the
    similarity of ``t`` with neighbour ``t + j - r`` weighs the input channels of
    block ``j`` (:func:`channel_block_masks`) at every tap, instead of weighting tap
    ``j`` (paper Eq. 15, :class:`~sktal.nn.AttentionConv1d`). With all similarities 1
    both are the plain convolution. Same parameters and initialisation as
    :class:`~sktal.nn.AttentionConv1d`.

    Each block is a contiguous run of input channels (the two at its ends with only
    some of their taps), so the layer is one ordinary convolution per block over
    its channel slice, each output scaled by its similarity and summed: the FLOPs
    of a single plain convolution, where the official code unfolds the input
    (``K`` times its size) and the masked ``K * out``-channel convolution this
    replaced did ``K`` times the work.
    """

    def forward(self, x, embedding=None, similarity=None):
        """``x`` (batch, T, in) -> (batch, T, out); see :class:`AttentionConv1d`."""
        if similarity is None:
            if embedding is None:
                return super().forward(x)
            similarity = self.neighbour_similarity(embedding)
        r = self.kernel_size // 2
        xt = x.transpose(1, 2)                      # (B, in, T)
        scale = similarity.transpose(1, 2)          # (B, K, T)
        out = None
        for j, (lo, hi, taps) in enumerate(
                _channel_block_slices(self.in_channels, self.kernel_size)):
            weight = self.weight[:, lo:hi]
            if taps is not None:
                weight = weight * taps.to(weight)
            part = F.conv1d(xt[:, lo:hi], weight, padding=r)   # (B, out, T)
            s = scale[:, j:j + 1]
            out = part * s if out is None else out.addcmul_(part, s)
        out = out.transpose(1, 2)
        if self.bias is not None:
            out = out + self.bias
        return out


class BackTALModule(BaSNetModule):
    """BaS-Net's network with BackTAL's affinity module.

    With ``affinity=True`` an :class:`~sktal.nn.EmbeddingModule` embeds the input
    snippets (``D -> 512 -> embedding_size``, L2-normalised); the cosine similarity of
    each snippet with its ``n_neighbors`` neighbours modulates both attention
    convolutions of the CAS head, in both branches (the embedding is computed once,
    from the unfiltered features, as in the official code). It plugs into
    :class:`BaSNetModule` through its ``_similarity`` and ``_extra_outputs`` hooks.

    Besides BaS-Net's outputs (including ``topk_base``, the top-k mean of the base CAS
    *logits*, ``p_act`` of the separation loss), ``forward`` returns ``magnitude``
    (batch, T), the L2 norm over channels of the suppression branch's first-layer
    activations (the official THUMOS14 feature-magnitude actionness), and
    ``embedding`` (batch, T, E) when the affinity module is on.

    Parameters
    ----------
    n_features, n_classes, hidden_size : int
    dropout : float
    topk_ratio : int
    affinity : bool
    n_neighbors : int
        Temporal kernel of the CAS head's two convolutions, i.e. the neighbours
        ``t - n//2 .. t + n//2`` each snippet attends to.
    embedding_size : int
    similarity_layout : {'channel_blocks', 'taps'}
        ``'channel_blocks'``: :class:`ChannelBlockAttentionConv1d` (official code);
        ``'taps'``: :class:`~sktal.nn.AttentionConv1d` (paper Eq. 15).
    """

    def __init__(self, *, n_features, n_classes, hidden_size, dropout, topk_ratio,
                 affinity, n_neighbors, embedding_size, similarity_layout):
        super().__init__(
            n_features=n_features, n_classes=n_classes, hidden_size=hidden_size,
            dropout=dropout, topk_ratio=topk_ratio,
            filter_kernel_size=FILTER_KERNEL_SIZE, kernel_size=n_neighbors,
            attention=affinity, conv_bias=False,
        )
        if similarity_layout not in SIMILARITY_LAYOUTS:
            raise ValueError(
                f"similarity_layout must be one of {SIMILARITY_LAYOUTS}, got "
                f"{similarity_layout!r}"
            )
        if affinity and similarity_layout == "channel_blocks":
            cas = self.cas_module
            cas.conv1 = ChannelBlockAttentionConv1d(n_features, hidden_size, n_neighbors)
            cas.conv2 = ChannelBlockAttentionConv1d(hidden_size, hidden_size, n_neighbors)
        self.embedding = (
            EmbeddingModule(n_features, EMBEDDING_HIDDEN_SIZE, embedding_size)
            if affinity else None
        )

    def _similarity(self, x, mask):
        if self.embedding is None:
            return None, {}
        embedding = self.embedding(x, mask=mask)
        similarity = self.cas_module.conv1.neighbour_similarity(embedding)
        return similarity, {"embedding": embedding}

    def _extra_outputs(self, outputs, hidden_supp, pool_mask):
        outputs["magnitude"] = hidden_supp.norm(p=2, dim=-1)
        return outputs


def frame_click_loss(cas, click_targets, *, frame_loss_average):
    """BackTAL's frame loss ``L_frame`` (Eq. 3) on multi-hot click targets.

    ``-sum_k q_k log softmax(cas)_k`` at each clicked step, with ``q`` the step's click
    targets divided by their sum (a step clicked as two classes has target ½, ½).

    Parameters
    ----------
    cas : torch.Tensor of shape (batch, T, C + 1)
        Base CAS logits.
    click_targets : torch.Tensor of shape (batch, T, C + 1)
        Multi-hot click labels (column ``C`` = background); all-zero rows are not
        clicked.
    frame_loss_average : {'all', 'per_kind'}
        ``'all'``: one mean over every clicked step (the official code's
        ``nn.CrossEntropyLoss``); ``'per_kind'``: the mean over background-clicked
        steps plus the mean over action-clicked steps, so that adding action clicks
        does not dilute the background term (a step with both kinds counts in both).

    Returns
    -------
    torch.Tensor, scalar
        0 (still differentiable) without clicks.
    """
    if frame_loss_average not in ("all", "per_kind"):
        raise ValueError(
            f"frame_loss_average must be 'all' or 'per_kind', got {frame_loss_average!r}"
        )
    total = click_targets.sum(dim=-1)
    clicked = total > 0
    if not bool(clicked.any()):
        return zero_loss(cas)
    q = click_targets / total.clamp(min=1).unsqueeze(-1)
    per_step = -(q * F.log_softmax(cas, dim=-1)).sum(dim=-1)
    if frame_loss_average == "all":
        return per_step[clicked].mean()
    loss = zero_loss(cas)
    for kind in (click_targets[..., -1] > 0, click_targets[..., :-1].sum(-1) > 0):
        if bool(kind.any()):
            loss = loss + per_step[kind].mean()
    return loss


class BackTALLoss(BaSNetLoss):
    """BaS-Net's loss plus the click terms (BackTAL Eq. 4, official code)::

        L_base + L_supp + alpha_norm L_norm
            + frame_loss_weight L_frame + lambda_sep L_sep + beta_aff L_aff

    ``L_frame``: :func:`frame_click_loss` of the base CAS at every clicked snippet
    (background clicks, and action clicks when given); ``L_sep``:
    :func:`score_separation_loss`; ``L_aff``: :func:`affinity_loss` between the
    background-clicked snippets and the top-k snippets of the suppression CAS of each
    video class (0 without the affinity module). A term whose weight is 0 is not
    computed and reported as 0.
    """

    term_names = BaSNetLoss.term_names + ("loss_frame", "loss_sep", "loss_aff")

    def __init__(self, *, alpha_norm, video_loss, frame_loss_weight, frame_loss_average,
                 lambda_sep, beta_aff, tau_same, tau_diff, affinity_loss, topk_ratio):
        super().__init__(lambda_base=1.0, lambda_supp=1.0, alpha_norm=alpha_norm,
                         video_loss=video_loss)
        self.frame_loss_weight = frame_loss_weight
        self.frame_loss_average = frame_loss_average
        self.lambda_sep = lambda_sep
        self.beta_aff = beta_aff
        self.tau_same = tau_same
        self.tau_diff = tau_diff
        self.affinity_loss = affinity_loss
        self.topk_ratio = topk_ratio

    def forward(self, outputs, targets):
        terms = super().forward(outputs, targets)
        labels = targets["labels"]
        cas_base = outputs["cas_base"]
        click_targets = targets.get("click_targets")
        if click_targets is None:  # single-label clicks only
            click_targets = _one_hot_clicks(targets["click_labels"], cas_base.shape[-1])
        background = click_targets[..., -1] > 0
        zero = zero_loss(cas_base)
        terms["loss_frame"] = (
            frame_click_loss(cas_base, click_targets,
                             frame_loss_average=self.frame_loss_average)
            if self.frame_loss_weight > 0 else zero
        )
        terms["loss_sep"] = (
            score_separation_loss(
                outputs["topk_base"][:, :-1], cas_base[..., :-1], labels, background
            )
            if self.lambda_sep > 0 else zero
        )
        if self.beta_aff > 0 and "embedding" in outputs:
            action_weights = topk_action_weights(
                outputs["cas_supp"][..., :-1], labels, self.topk_ratio,
                valid_mask_or_none(targets.get("mask")),
            )
            terms["loss_aff"] = affinity_loss(
                outputs["embedding"], action_weights, background,
                self.tau_same, self.tau_diff, self.affinity_loss,
            )
        else:
            terms["loss_aff"] = zero
        terms["loss"] = (
            terms["loss"]
            + self.frame_loss_weight * terms["loss_frame"]
            + self.lambda_sep * terms["loss_sep"]
            + self.beta_aff * terms["loss_aff"]
        )
        return terms


def _one_hot_clicks(click_labels, n_outputs):
    """(batch, T) click indices (``IGNORE_INDEX`` = none) -> (batch, T, C + 1)."""
    valid = click_labels != IGNORE_INDEX
    out = F.one_hot(click_labels.clamp(min=0), n_outputs).to(torch.float32)
    return out * valid.unsqueeze(-1)


# ------------------------------------------------------------------- estimator
@fill_doc
class BackTAL(BaseLocalizer):
    """Background-click supervised temporal action localization.

    Learns from video-level labels and *background clicks*: one click on a random
    snippet of each background stretch (``[t, -1]`` rows of ``clicks``; action clicks
    ``[t, c]`` are used too when given). Built on BaS-Net (filter module, base and
    suppression branches, top-k pooling, proposal generation), it adds the
    cross-entropy of the base CAS at the clicked snippets, the score separation loss
    and the affinity module. Defaults follow the official code (Yang, Qin and Huang,
    TPAMI; THUMOS14 configuration).

    Parameters
    ----------
    frame_loss_weight : float, default=1.0
        Weight of ``L_frame``, the cross-entropy (softmax over C + 1) of the base CAS
        at the clicked snippets (paper Eq. 3). 0 disables it.
    frame_loss_average : {'all', 'per_kind'}, default='all'
        ``'all'``: one mean over every clicked snippet (the official code's single
        ``nn.CrossEntropyLoss``), so adding action clicks dilutes the background
        term. ``'per_kind'``: the mean over background clicks plus the mean over
        action clicks. A snippet clicked as two classes (after resampling) has a
        multi-hot target split evenly between them.
    feature_proposals : bool, default=True
        Add the official THUMOS14 feature-magnitude proposals at prediction: the L2
        norm over channels of the suppression branch's first-layer activations,
        min-max normalised over time (clipped to [0, 1]), thresholded at
        ``arange(0.3, 0.8, 0.075)``; each run is proposed for every kept class and
        scored on its CAS (``agnostic_scores`` of
        :func:`~sktal.postprocessing.cas_to_detections`). ``False``: CAS
        thresholds only (the paper's description).
    lambda_sep : float, default=1.0
        Weight λ of the score separation loss ``L_sep`` (Eq. 5–8). 0 disables it.
    beta_aff : float, default=0.8
        Weight β of the affinity (embedding) loss ``L_aff`` (Eq. 10–13). 0 keeps the
        affinity module's attention convolutions but does not train the embedding.
    tau_same : float, default=0.5
        Threshold τ_same: least cosine similarity wanted between two action, or two
        background, embeddings.
    tau_diff : float, default=0.1
        Threshold τ_diff: most cosine similarity allowed between an action and a
        background embedding.
    affinity : bool, default=True
        Use the affinity module: a 2-layer embedding branch and attention
        convolutions (each neighbour weighted by its embedding's cosine similarity)
        in place of the CAS head's temporal convolutions. ``False`` gives BaS-Net's
        plain convolutions and no ``L_aff``.
    n_neighbors : int, default=3
        Number h of neighbours each snippet attends to in the affinity module, i.e.
        the (odd) kernel size of the CAS head's two temporal convolutions (paper
        Table 9: 3, 5, 7, 9). Also the kernel of the plain convolutions when
        ``affinity=False``.
    embedding_size : int, default=32
        D_emb, width of the L2-normalised embedding.
    similarity_layout : {'channel_blocks', 'taps'}, default='channel_blocks'
        How the affinity module's neighbour similarities weight the attention
        convolutions. ``'channel_blocks'`` (official code): the similarity of ``t``
        with neighbour ``t - 1`` weighs the first third of the input channels at
        every tap, the self-similarity (1) the second third, neighbour ``t + 1`` the
        last third (:class:`ChannelBlockAttentionConv1d`). ``'taps'`` (paper
        Eq. 15): the similarity with neighbour ``t + o`` weighs tap ``o``
        (:class:`~sktal.nn.AttentionConv1d`). Unused with ``affinity=False``.
    affinity_loss : {'code', 'paper'}, default='code'
        ``'code'``: the official code's four row-wise hard-mined hinge terms (action
        and background compactness, action→background and background→action
        separation), each averaged over its snippets. ``'paper'``: Eq. 10–13, three
        hinge terms on the single hardest pair of each kind.
    video_loss : {'ce', 'bce'}, default='ce'
        Video-level loss of both branches: cross-entropy with normalised soft
        targets (BackTAL's code and Eq. 2) or BaS-Net's binary cross-entropy
        averaged over classes (about C + 1 times weaker against the click terms).
    alpha_norm : float, default=1e-4
        Weight of BaS-Net's ``L_norm`` (L1 norm of the foreground weights).
%(common_parameters)s
    Attributes
    ----------
%(common_attributes)s
    See Also
    --------
    BaSNet : The same network trained from video labels only.
    sktal.datasets.simulate_clicks : Background clicks for data without human clicks.

    Notes
    -----
    The ablations of the paper are parameter settings (Table 7; THUMOS14
    mAP@0.5 in the paper):

    ===================================  ================================================  =====
    row                                  parameters                                        mAP
    ===================================  ================================================  =====
    baseline (BaS-Net, interpolation)    ``frame_loss_weight=0, lambda_sep=0,``            28.6
                                         ``affinity=False`` (clicks not needed)
    + background click                   ``lambda_sep=0, affinity=False``                  35.0
    + score separation                   ``affinity=False``                                35.6
    + affinity module                    ``lambda_sep=0``                                  35.8
    full BackTAL                         defaults                                          36.3
    affinity module without ``L_aff``    ``lambda_sep=0, beta_aff=0``                      35.1
    ===================================  ================================================  =====

    Table 6 (action clicks): pass clicks with class labels, e.g.
    ``simulate_clicks(..., kind="action")`` with ``lambda_sep=0, affinity=False``
    (baseline + action click) or ``kind="both"`` (action and background clicks).

    Differences from the paper, following the official code: 40 epochs (paper: 100);
    ``L_sep`` is one cross-entropy term (Eq. 8 counts it twice, see
    :func:`score_separation_loss`); ``L_aff`` has four hinge terms averaged over
    snippets (``affinity_loss``); the video loss is BaS-Net's two branches with
    cross-entropy. Pseudo action snippets are the top-k of the suppression CAS of
    each video class; ``L_frame`` and ``L_sep`` use the base CAS. Videos without
    background clicks are allowed: they are skipped by ``L_sep`` and ``L_aff``.
    Detections come from the suppression branch: its CAS *logits*, min-max
    normalised over time per class (clipped to [0, 1]; that is what
    :meth:`predict_cas` returns), thresholded as in BaS-Net; video probabilities are
    the softmax of its top-k means. The official THUMOS14 post-processing also
    proposes segments from the magnitude of the suppression branch's first-layer
    features (``feature_proposals=True``, the default); it resizes the CAS to the
    frame count with OpenCV where sktal up-samples it 24 times (not replicated).

    Further points checked against the official code (``lib/models``,
    ``lib/criterion/loss.py``, ``lib/post_process``):

    * ``L_frame`` is one ``nn.CrossEntropyLoss`` over all clicked snippets
      (``frame_loss_average='all'``); clicks that land on one step after
      resampling give a multi-hot target (the official code has one label per
      snippet at full length, where such collisions do not occur).
    * The CAS head's temporal convolutions have no bias (also with
      ``affinity=False``, which uses plain convolutions with the same kernels).
    * The official attention convolution multiplies the *unfolded* input, whose
      rows are ordered channel-major (``c * K + o``), by a similarity tiled in
      blocks of ``D`` rows; so the first third of the rows (channels ``0 .. D/3``,
      all taps) is weighted by ``s(t, t-1)``, and so on: it weights channel blocks,
      not taps. That is the default (``similarity_layout='channel_blocks'``);
      ``'taps'`` follows the paper's Eq. 15 (tap ``o`` weighted by ``s(t, t+o-1)``,
      :class:`~sktal.nn.AttentionConv1d`). With the official weights copied in and
      the same batch, the default gives the official code's CAS, loss terms and
      gradients to ~1e-6 (``'taps'`` does so against the official code with its
      tiling made per tap; ``benchmarks/official_step_check.py``).
    * The official NMS measures lengths in seconds with a ``+ 1`` (``x2 - x1 + 1``),
      which makes every IoU larger for segments of a few seconds; sktal uses plain
      continuous IoU (:func:`~sktal.postprocessing.non_maximum_suppression`).
    * The CAS is min-max normalised without clipping in the official code (values
      below 0 remain when the minimum is negative); sktal clips it to [0, 1], which
      only moves where the up-sampled CAS crosses 0 (thresholds start at 0). The
      feature magnitudes are clipped in both.

    Examples
    --------
    >>> from sktal import BackTAL
    >>> from sktal.datasets import make_temporal_actions, simulate_clicks
    >>> data = make_temporal_actions(n_videos=8, random_state=0)
    >>> clicks = simulate_clicks(data.segments, data.lengths, kind="background",
    ...                          random_state=0)
    >>> est = BackTAL(n_segments=64, hidden_size=16, max_epochs=2, random_state=0)
    >>> est = est.fit(data.X, data.y, clicks=clicks)
    >>> detections = est.predict(data.X[:2])   # [start, end, class, score] per row
    >>> detections[0].shape[1]
    4
    """

    #: what ``fit`` learns from besides video labels (``None``: video labels only)
    supervision = "background"

    _loss_names = BackTALLoss.term_names

    #: the paper's ablations as parameter settings (THUMOS14 mAP@0.5)
    _paper_tables = {
        "Table 7": {
            "caption": "Contribution of each component (background clicks)",
            "metric": "mAP@0.5 (THUMOS14)",
            "rows": [
                ("baseline (BaS-Net, interpolation)",
                 {"frame_loss_weight": 0.0, "lambda_sep": 0.0, "affinity": False}, 28.6),
                ("+ background click", {"lambda_sep": 0.0, "affinity": False}, 35.0),
                ("+ score separation", {"affinity": False}, 35.6),
                ("+ affinity module", {"lambda_sep": 0.0}, 35.8),
                ("full BackTAL", {}, 36.3),
                ("affinity module without L_aff", {"lambda_sep": 0.0, "beta_aff": 0.0},
                 35.1),
            ],
        },
    }

    _param_checks = {
        "frame_loss_weight": dict(kind=numbers.Real, low=0),
        "frame_loss_average": dict(kind=None, options=("all", "per_kind")),
        "feature_proposals": dict(kind=(bool, np.bool_)),
        "lambda_sep": dict(kind=numbers.Real, low=0),
        "beta_aff": dict(kind=numbers.Real, low=0),
        "tau_same": dict(kind=numbers.Real, low=-1, high=1),
        "tau_diff": dict(kind=numbers.Real, low=-1, high=1),
        "affinity": dict(kind=(bool, np.bool_)),
        "n_neighbors": dict(kind=numbers.Integral, low=1),
        "embedding_size": dict(kind=numbers.Integral, low=1),
        "similarity_layout": dict(kind=None, options=SIMILARITY_LAYOUTS),
        "affinity_loss": dict(kind=None, options=("code", "paper")),
        "video_loss": dict(kind=None, options=("ce", "bce")),
        "alpha_norm": dict(kind=numbers.Real, low=0),
    }

    def __init__(self, *, frame_loss_weight=1.0, frame_loss_average="all",
                 feature_proposals=True, lambda_sep=1.0, beta_aff=0.8,
                 tau_same=0.5, tau_diff=0.1, affinity=True, n_neighbors=3,
                 embedding_size=32, similarity_layout="channel_blocks",
                 affinity_loss="code", video_loss="ce",
                 alpha_norm=1e-4, n_segments=750, resampling="interpolate",
                 hidden_size=2048, dropout=0.7, topk_ratio=8, lr=1e-4,
                 weight_decay=5e-4, batch_size=16, max_epochs=40,
                 class_threshold=0.25, class_fallback=None, nms_threshold=0.55, max_detections=1000, tiou_thresholds=None,
                 n_classes=None, device="auto", random_state=None, verbose=0,
                 callbacks=None, warm_start=False,
                 on_interrupt="auto", validation_fraction=None,
                 precision="32", progress="auto"):
        self.frame_loss_weight = frame_loss_weight
        self.frame_loss_average = frame_loss_average
        self.feature_proposals = feature_proposals
        self.lambda_sep = lambda_sep
        self.beta_aff = beta_aff
        self.tau_same = tau_same
        self.tau_diff = tau_diff
        self.affinity = affinity
        self.n_neighbors = n_neighbors
        self.embedding_size = embedding_size
        self.similarity_layout = similarity_layout
        self.affinity_loss = affinity_loss
        self.video_loss = video_loss
        self.alpha_norm = alpha_norm
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

    def _extra_validation(self):
        if self.n_neighbors % 2 != 1:
            raise ValueError(f"n_neighbors must be odd, got {self.n_neighbors}")

    def _uses_background_clicks(self):
        return self.lambda_sep > 0 or (self.affinity and self.beta_aff > 0)

    def _check_fit_clicks(self, clicks, labels):
        has_background = any(np.any(c[:, 1] == BACKGROUND) for c in clicks)
        if has_background:
            return
        has_action = any(np.any(c[:, 1] != BACKGROUND) for c in clicks)
        needs_clicks = self.frame_loss_weight > 0 and not has_action
        if self._uses_background_clicks() or needs_clicks:
            raise ValueError(
                "BackTAL learns from background clicks, but clicks contains no "
                "background click (label -1) in any training video. Annotate one "
                "snippet per background stretch, or simulate them from ground-truth "
                "segments: sktal.datasets.simulate_clicks(segments, lengths, "
                "kind='background'). (The BaS-Net baseline, frame_loss_weight=0, "
                "lambda_sep=0, affinity=False, needs no clicks.)"
            )

    def _build_module(self, n_features, n_classes):
        return BackTALModule(
            n_features=n_features, n_classes=n_classes, hidden_size=self.hidden_size,
            dropout=self.dropout, topk_ratio=self.topk_ratio,
            affinity=bool(self.affinity), n_neighbors=self.n_neighbors,
            embedding_size=self.embedding_size,
            similarity_layout=self.similarity_layout,
        )

    def _build_criterion(self, n_classes):
        return BackTALLoss(**{k: getattr(self, k) for k in (
            "alpha_norm", "video_loss", "frame_loss_weight", "frame_loss_average",
            "lambda_sep", "beta_aff", "tau_same", "tau_diff", "affinity_loss",
            "topk_ratio",
        )})

    def _localization_scores(self, outputs):
        # the official code thresholds the min-max normalised suppression-branch
        # logits (not their softmax), like BaS-Net
        scores = branch_localization_scores(outputs, "supp")
        if self.feature_proposals:
            magnitude = outputs["magnitude"].unsqueeze(-1)
            scores["agnostic"] = minmax_normalize(magnitude, clip=True)[..., 0]
        return scores

    def _postprocess_params(self):
        params = {"normalize": False}  # done per video by branch_localization_scores
        if self.feature_proposals:
            params["agnostic_thresholds"] = MAGNITUDE_THRESHOLDS
        return params
