"""A fully supervised anchor-free single-stage segment detector.

Design after ActionFormer (Zhang, Wu and Li, ECCV 2022) and TemporalMaxer (Tang, Kim and
Kang, 2023): a convolutional projection, a temporal feature pyramid built by strided
max-pooling, classification and start/end-distance heads shared across levels, sigmoid
focal loss, a DIoU regression loss, centre sampling and per-level regression ranges,
decoding by (soft) non-maximum suppression.
"""
import math
import numbers

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from skorch.callbacks import Callback

from ..base import BaseLocalizer, fill_doc
from ..postprocessing import non_maximum_suppression, soft_nms
from ..utils.validation import check_segments, check_videos

#: prior probability of the classification bias (RetinaNet / ActionFormer)
PRIOR_PROBABILITY = 0.01
#: scores below it are not decoded (ActionFormer's ``pre_nms_thresh``)
PRE_NMS_THRESHOLD = 1e-3
#: at most this many (point, class) pairs are decoded per video (``pre_nms_topk``)
PRE_NMS_TOPK = 2000
#: Gaussian width of soft-NMS (ActionFormer: 0.5)
SOFT_NMS_SIGMA = 0.5
#: initial bias of the distance outputs (one stride): a zero start under the ReLU
#: can leave a distance dead at zero from the first step
REG_BIAS_INIT = 1.0


# --------------------------------------------------------------- pure functions
def sigmoid_focal_loss(logits, targets, *, focal_alpha, focal_gamma):
    """Element-wise sigmoid focal loss (Lin et al., 2017).

    ``FL = -alpha_t (1 - p_t) ** gamma log(p_t)`` with ``p_t = p`` for a positive
    target and ``1 - p`` otherwise, ``alpha_t = alpha`` for positives and
    ``1 - alpha`` for negatives (``focal_alpha < 0`` disables the weighting).

    Parameters
    ----------
    logits, targets : Tensor of the same shape
        Targets in [0, 1].
    focal_alpha : float
    focal_gamma : float

    Returns
    -------
    Tensor of the same shape (not reduced).
    """
    p = torch.sigmoid(logits)
    ce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce * (1 - p_t) ** focal_gamma
    if focal_alpha >= 0:
        loss = (focal_alpha * targets + (1 - focal_alpha) * (1 - targets)) * loss
    return loss


def diou_loss(pred, target):
    """1-D distance-IoU loss between segments given as distances from a point.

    Parameters
    ----------
    pred, target : Tensor of shape (N, 2)
        Non-negative ``(left, right)`` distances from the same point to the start and
        to the end of the segment.

    Returns
    -------
    Tensor of shape (N,)
        ``1 - IoU + d ** 2 / c ** 2`` with ``d`` the distance of the centres and ``c``
        the length of the smallest enclosing segment (Zheng et al., 2020), as
        ActionFormer applies it in one dimension.
    """
    pl, pr = pred[:, 0], pred[:, 1]
    tl, tr = target[:, 0], target[:, 1]
    inter = torch.minimum(pl, tl) + torch.minimum(pr, tr)
    union = pl + pr + tl + tr - inter
    iou = inter / union.clamp(min=1e-8)
    enclosing = torch.maximum(pl, tl) + torch.maximum(pr, tr)
    centre = 0.5 * ((pr - pl) - (tr - tl))
    return 1 - iou + centre ** 2 / (enclosing ** 2).clamp(min=1e-8)


def level_regression_ranges(*, n_levels, regression_base):
    """ActionFormer's per-level ranges of ``max(left, right)``, in level-0 steps.

    Level 0 takes ``[0, b)``, level ``l`` takes ``[b 2^(l-1), b 2^l)`` and the last
    level everything above (``b = regression_base``; ActionFormer: 4 with 6 levels).
    """
    ranges = []
    for level in range(n_levels):
        low = 0.0 if level == 0 else regression_base * 2.0 ** (level - 1)
        high = math.inf if level == n_levels - 1 else regression_base * 2.0 ** level
        ranges.append((low, high))
    return ranges


def assign_point_targets(segments, centres, strides, ranges, n_classes, *,
                         center_sampling_radius, ignore=None):
    """Classification and regression targets of the pyramid's points for one video.

    Parameters
    ----------
    segments : ndarray of shape (m, 4)
        ``[start, end, class, weight]`` in level-0 step coordinates.
    centres, strides : ndarray of shape (P,)
        Each point's centre (step coordinates) and its level's stride.
    ranges : ndarray of shape (P, 2)
        Each point's regression range ``[low, high)`` of ``max(left, right)``.
    n_classes : int
    center_sampling_radius : float or None
        A point is positive for a segment only within ``radius * stride`` of the
        segment's centre (and inside it); ``None`` uses every point inside it.
    ignore : ndarray of shape (k, 2) or None
        ``[start, end)`` stretches (step coordinates) where a point that is not
        positive is no negative either: its weight is 0 (no classification loss).

    Returns
    -------
    cls : ndarray (P, n_classes)
        One-hot class of each point's segment (zero for negative points).
    reg : ndarray (P, 2)
        ``(left, right)`` distances in units of the point's stride.
    weight : ndarray (P,)
        The segment's weight at positive points, 1 at negative points (0 at those
        in ``ignore``).
    positive : ndarray (P,) of bool
        Ties among segments go to the shortest (ActionFormer).
    """
    n_points = len(centres)
    cls = np.zeros((n_points, n_classes), dtype=np.float32)
    reg = np.zeros((n_points, 2), dtype=np.float32)
    weight = np.ones(n_points, dtype=np.float32)
    positive = np.zeros(n_points, dtype=bool)
    if ignore is not None and len(ignore):
        ignore = np.asarray(ignore, dtype=np.float64).reshape(-1, 2)
        ignored = ((ignore[None, :, 0] <= centres[:, None])
                   & (centres[:, None] < ignore[None, :, 1])).any(axis=1)
        weight[ignored] = 0.0
    if len(segments) == 0:
        return cls, reg, weight, positive
    start, end = segments[:, 0][None], segments[:, 1][None]
    c = centres[:, None]
    left, right = c - start, end - c
    inside = (left > 0) & (right > 0)
    if center_sampling_radius is not None:
        mid = 0.5 * (start + end)
        radius = center_sampling_radius * strides[:, None]
        inside &= np.abs(c - mid) <= radius
    longest = np.maximum(left, right)
    inside &= (longest >= ranges[:, :1]) & (longest < ranges[:, 1:])
    length = np.where(inside, end - start, np.inf)
    best = np.argmin(length, axis=1)
    positive = np.isfinite(length[np.arange(n_points), best])
    idx = np.nonzero(positive)[0]
    seg = best[idx]
    cls[idx, segments[seg, 2].astype(np.int64)] = 1.0
    reg[idx, 0] = left[idx, seg] / strides[idx]
    reg[idx, 1] = right[idx, seg] / strides[idx]
    weight[idx] = segments[seg, 3]
    return cls, reg, weight, positive


def pyramid_points(length, *, n_levels):
    """Centres, strides and level of every point of a pyramid over ``length`` steps."""
    centres, strides, levels = [], [], []
    n = length
    for level in range(n_levels):
        stride = 2 ** level
        # max-pooling with kernel 3, stride 2, padding 1 centres output i on input
        # 2i, so point i of level l sits on snippet i * 2^l (ActionFormer's points)
        centres.append(np.arange(n) * stride + 0.5)
        strides.append(np.full(n, stride, dtype=np.float64))
        levels.append(np.full(n, level))
        n = (n + 1) // 2
    return np.concatenate(centres), np.concatenate(strides), np.concatenate(levels)


def score_voting(kept, candidates, *, voting_threshold):
    """Boundaries of kept detections averaged over their overlapping candidates.

    ActionFormer's post-processing (``voting_thresh``, 0.7 on THUMOS14, after
    Gidaris & Komodakis' box voting): each kept row's start and end become the
    score-weighted mean over the pre-NMS ``candidates`` of its class whose tIoU with
    it is at least ``voting_threshold``; its score is unchanged.

    Parameters
    ----------
    kept, candidates : ndarray of shape (k, 4) and (n, 4)
        ``[start, end, class, score]`` rows.
    voting_threshold : float

    Returns
    -------
    ndarray of shape (k, 4)
    """
    out = np.array(kept, dtype=np.float64, copy=True).reshape(-1, 4)
    if len(out) == 0 or len(candidates) == 0:
        return out
    cs, ce = candidates[:, 0][None], candidates[:, 1][None]
    ks, ke = out[:, :1], out[:, 1:2]
    inter = np.clip(np.minimum(ke, ce) - np.maximum(ks, cs), 0, None)
    union = (ke - ks) + (ce - cs) - inter
    iou = inter / np.maximum(union, 1e-12)
    near = (iou >= voting_threshold) & (out[:, 2:3] == candidates[:, 2][None])
    w = near * candidates[:, 3][None]
    total = w.sum(1)
    ok = total > 0
    out[ok, 0] = (w[ok] * cs).sum(1) / total[ok]
    out[ok, 1] = (w[ok] * ce).sum(1) / total[ok]
    return out


# ------------------------------------------------------------------- network
class _Head(nn.Module):
    def __init__(self, hidden_size, out_size, kernel_size, prior_bias=0.0):
        super().__init__()
        pad = kernel_size // 2
        self.hidden = nn.Conv1d(hidden_size, hidden_size, kernel_size, padding=pad)
        self.out = nn.Conv1d(hidden_size, out_size, kernel_size, padding=pad)
        nn.init.constant_(self.out.bias, prior_bias)

    def forward(self, x):
        return self.out(F.relu(self.hidden(x)))


class LocalSelfAttention(nn.Module):
    """Pre-LayerNorm transformer block whose attention is restricted to a window.

    ActionFormer's projection block (Zhang et al., 2022, local self-attention with a
    window of 19 on THUMOS14): ``x + MHA(LN(x))`` then ``x + MLP(LN(x))``, where step
    ``t`` attends only to steps ``t - w // 2 .. t + w // 2`` of the same video (padded
    steps excluded). Input and output are ``(B, C, T)``. ``n_heads`` heads (one
    where ``hidden_size`` is not a multiple of it), an MLP of 4x the width (GELU).
    """

    def __init__(self, hidden_size, *, window, n_heads=4, dropout=0.0):
        super().__init__()
        if hidden_size % n_heads:
            n_heads = 1
        self.window = window
        self.n_heads = n_heads
        self.norm1 = nn.LayerNorm(hidden_size)
        self.qkv = nn.Linear(hidden_size, 3 * hidden_size)
        self.proj = nn.Linear(hidden_size, hidden_size)
        self.norm2 = nn.LayerNorm(hidden_size)
        self.mlp = nn.Sequential(nn.Linear(hidden_size, 4 * hidden_size), nn.GELU(),
                                 nn.Linear(4 * hidden_size, hidden_size))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, mask):
        # x (B, C, T), mask (B, 1, T) in {0, 1}
        b, c, t = x.shape
        h = x.transpose(1, 2)
        q, k, v = self.qkv(self.norm1(h)).chunk(3, dim=-1)
        half = self.window // 2
        heads, dh = self.n_heads, c // self.n_heads

        def windows(z):  # (B, T, C) -> (B, heads, T, w, dh)
            z = F.pad(z.transpose(1, 2), (half, half)).unfold(2, self.window, 1)
            return z.reshape(b, heads, dh, t, self.window).permute(0, 1, 3, 4, 2)

        q = q.reshape(b, t, heads, dh).transpose(1, 2)          # (B, heads, T, dh)
        k_w, v_w = windows(k), windows(v)
        key_mask = F.pad(mask, (half, half)).unfold(2, self.window, 1)  # (B, 1, T, w)
        logits = torch.einsum("bhtd,bhtwd->bhtw", q, k_w) / math.sqrt(dh)
        logits = logits.masked_fill(key_mask <= 0, float("-inf"))
        attn = torch.softmax(logits, dim=-1).nan_to_num(0.0)
        out = torch.einsum("bhtw,bhtwd->bhtd", attn, v_w)
        out = out.transpose(1, 2).reshape(b, t, c)
        h = h + self.dropout(self.proj(out))
        h = h + self.dropout(self.mlp(self.norm2(h)))
        return h.transpose(1, 2) * mask


class ModelEMA(Callback):
    """Exponential moving average of the module's weights, used for prediction.

    ActionFormer predicts with an EMA of the weights (timm's ``ModelEmaV2``, decay
    0.999 over ~thousands of steps). After every training step ``ema = d ema + (1 -
    d) w`` with ``d = min(decay, (1 + n) / (10 + n))`` (the warm-up of TensorFlow's
    ``ExponentialMovingAverage``, so the short CPU runs are not dominated by the
    initial weights); at the end of training the averages replace the weights.
    """

    def __init__(self, decay):
        self.decay = decay

    def on_train_begin(self, net, **kwargs):
        self.shadow_ = {k: v.detach().clone() for k, v in net.module_.state_dict().items()}
        self.updates_ = 0

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        if not training:
            return
        self.updates_ += 1
        d = min(self.decay, (1 + self.updates_) / (10 + self.updates_))
        with torch.no_grad():
            for k, v in net.module_.state_dict().items():
                if v.dtype.is_floating_point:
                    self.shadow_[k].mul_(d).add_(v.detach(), alpha=1 - d)
                else:
                    self.shadow_[k].copy_(v)

    def on_train_end(self, net, **kwargs):
        net.module_.load_state_dict(self.shadow_)
        del self.shadow_


class SegmentDetectorModule(nn.Module):
    """Projection, max-pooling pyramid, heads shared across levels.

    ``forward(x, mask)`` returns ``cls_logits`` (B, P, C), ``offsets`` (B, P, 2) in
    units of each point's stride (non-negative) and ``point_mask`` (B, P), the points
    of all levels concatenated level after level.
    """

    def __init__(self, *, n_features, n_classes, hidden_size, n_levels, n_layers,
                 kernel_size, dropout, projection_kernel_size=None, attention_window=None,
                 attention_layers=1):
        super().__init__()
        pk = kernel_size if projection_kernel_size is None else projection_kernel_size
        layers = [nn.Conv1d(n_features, hidden_size, pk, padding=pk // 2)]
        for _ in range(n_layers - 1):
            layers.append(nn.Conv1d(hidden_size, hidden_size, pk, padding=pk // 2))
        self.embed = nn.ModuleList(layers)
        self.attention = nn.ModuleList(
            [] if attention_window is None else
            [LocalSelfAttention(hidden_size, window=attention_window, dropout=dropout)
             for _ in range(attention_layers)])
        self.dropout = nn.Dropout(dropout)
        self.n_levels = n_levels
        prior = -math.log((1 - PRIOR_PROBABILITY) / PRIOR_PROBABILITY)
        self.cls_head = _Head(hidden_size, n_classes, kernel_size, prior)
        self.reg_head = _Head(hidden_size, 2, kernel_size, REG_BIAS_INIT)
        self.scales = nn.Parameter(torch.ones(n_levels))

    def forward(self, x, mask=None):
        if mask is None:
            mask = torch.ones(x.shape[:2], dtype=torch.bool, device=x.device)
        m = mask[:, None, :].to(x.dtype)
        h = x.transpose(1, 2)
        for conv in self.embed:
            h = F.relu(conv(h)) * m
        for block in self.attention:
            h = block(h, m)
        h = self.dropout(h)
        feats, masks = [h], [m]
        for _ in range(1, self.n_levels):
            h = F.max_pool1d(h, kernel_size=3, stride=2, padding=1, ceil_mode=False)
            m = F.max_pool1d(m, kernel_size=1, stride=2, ceil_mode=True)
            if h.shape[-1] != m.shape[-1]:
                m = m[..., : h.shape[-1]]
            h = h * m
            feats.append(h)
            masks.append(m)
        cls, reg = [], []
        for level, f in enumerate(feats):
            cls.append(self.cls_head(f).transpose(1, 2))
            reg.append(F.relu(self.scales[level] * self.reg_head(f)).transpose(1, 2))
        return {
            "cls_logits": torch.cat(cls, dim=1),
            "offsets": torch.cat(reg, dim=1),
            "point_mask": torch.cat(masks, dim=2)[:, 0] > 0,
        }


class SegmentDetectorLoss(nn.Module):
    """Focal classification + weighted DIoU regression, normalised by positives.

    ``table`` is set by the estimator during ``fit``: a callable ``index``
    returning the video's ``[start, end, class, weight]`` rows in step coordinates.
    """

    term_names = ("loss_cls", "loss_reg")

    def __init__(self, *, n_classes, n_levels, regression_base, center_sampling_radius,
                 focal_alpha, focal_gamma, lambda_reg):
        super().__init__()
        self.n_classes = n_classes
        self.n_levels = n_levels
        self.regression_base = regression_base
        self.center_sampling_radius = center_sampling_radius
        self.focal_alpha = focal_alpha
        self.focal_gamma = focal_gamma
        self.lambda_reg = lambda_reg
        self.table = None

    def _targets(self, indices, length):
        centres, strides, levels = pyramid_points(length, n_levels=self.n_levels)
        ranges = np.asarray(
            level_regression_ranges(n_levels=self.n_levels,
                                    regression_base=self.regression_base)
        )[levels]
        out = [
            assign_point_targets(
                self.table(int(i)), centres, strides, ranges, self.n_classes,
                center_sampling_radius=self.center_sampling_radius,
                ignore=self.table.ignored(int(i)),
            )
            for i in indices
        ]
        return [np.stack(parts) for parts in zip(*out)]

    def forward(self, outputs, targets):
        if self.table is None:
            raise RuntimeError("SegmentDetectorLoss needs its segment table (set in fit)")
        logits, offsets = outputs["cls_logits"], outputs["offsets"]
        valid = outputs["point_mask"]
        length = targets["mask"].shape[1]
        cls, reg, weight, positive = (
            torch.as_tensor(a, device=logits.device)
            for a in self._targets(targets["index"].cpu().numpy(), length)
        )
        # padded videos: a point is also invalid when beyond its own video's length
        n_pos = max(float((positive & valid).sum()), 1.0)
        focal = sigmoid_focal_loss(
            logits, cls, focal_alpha=self.focal_alpha, focal_gamma=self.focal_gamma
        ).sum(-1)
        loss_cls = (focal * weight * valid).sum() / n_pos
        sel = positive & valid
        if bool(sel.any()):
            loss_reg = (diou_loss(offsets[sel], reg[sel]) * weight[sel]).sum() / n_pos
        else:
            loss_reg = offsets.sum() * 0.0
        return {
            "loss_cls": loss_cls,
            "loss_reg": loss_reg,
            "loss": loss_cls + self.lambda_reg * loss_reg,
        }


class _SegmentTable:
    """Ground-truth rows of the training videos in each video's step coordinates."""

    def __init__(self, segments, lengths, n_segments, ignore=None):
        self.segments = segments
        self.lengths = lengths
        self.n_segments = n_segments
        self.ignore = ignore

    def _scaled(self, rows, index):
        rows = rows.copy()
        if len(rows) and self.n_segments is not None:
            rows[:, :2] *= self.n_segments / self.lengths[index]
        return rows

    def __call__(self, index):
        return self._scaled(self.segments[index], index)

    def ignored(self, index):
        """The video's ``[start, end)`` stretches without negatives, or None."""
        return None if self.ignore is None else self._scaled(self.ignore[index], index)


@fill_doc
class SegmentDetector(BaseLocalizer):
    """Fully supervised anchor-free single-stage temporal action detector.

    Learns from annotated instances ``[start, end, class]``. Every snippet of every
    level of a temporal feature pyramid is a candidate point that classifies itself
    (one sigmoid per class) and regresses its distances to the start and to the end of
    the action around it.

    Design, after the published single-stage detectors:

    * projection: ``n_layers`` temporal convolutions (TemporalMaxer), of kernel
      ``projection_kernel_size`` (default: the heads' ``kernel_size``), then, with
      ``attention_window``, a pre-LayerNorm transformer block with multi-head
      self-attention restricted to a window of that many steps (ActionFormer's local
      self-attention; ActionFormer: window 19 on its 2304-step THUMOS14 inputs);
    * pyramid: ``n_levels`` levels, each a stride-2 max-pooling (kernel 3, padding 1)
      of the previous one (TemporalMaxer); point ``i`` of level ``l`` sits on snippet
      ``i * 2^l``, where that pooling centres it (ActionFormer's point generator);
    * heads: two-layer convolutional classification and regression heads shared by
      all levels, a learnable scale per level, ReLU distances in units of the level's
      stride, classification bias initialised to the prior 0.01 (ActionFormer,
      after RetinaNet/FCOS);
    * targets: centre sampling (a point is positive only within
      ``center_sampling_radius`` strides of an action's centre) and per-level
      regression ranges of ``max(left, right)`` (ActionFormer); ties go to the
      shortest action;
    * losses: sigmoid focal loss (α = 0.25, γ = 2) and DIoU regression loss, both
      summed and divided by the number of positive points (ActionFormer);
    * decoding: scores above 0.001, the 2000 best (point, class) pairs, soft-NMS
      (ActionFormer) or hard NMS, optionally score voting of the kept boundaries
      (ActionFormer's ``voting_thresh``);
    * weights: an exponential moving average of the weights, used for prediction
      (ActionFormer predicts with such an EMA, decay 0.999; here 0.99 by default).

    Parameters
    ----------
    n_levels : int, default=4
        Pyramid levels (ActionFormer/TemporalMaxer on THUMOS14: 6).
    n_layers : int, default=2
        Convolutions of the projection.
    kernel_size : int, default=3
        Temporal kernel of every convolution (odd).
    regression_base : float, default=4.0
        Upper end of level 0's regression range; level ``l`` covers
        ``[b 2^(l-1), b 2^l)`` and the last level everything above (ActionFormer: 4).
    center_sampling_radius : float or None, default=1.5
        Centre sampling radius in strides (ActionFormer: 1.5); ``None`` disables it.
    focal_alpha : float, default=0.25
        Positive-class weight of the focal loss (negative: none).
    focal_gamma : float, default=2.0
        Focusing exponent of the focal loss.
    lambda_reg : float, default=1.0
        Weight of the regression loss (ActionFormer: 1).
    nms : {'soft', 'hard'}, default='soft'
        Soft-NMS (Gaussian, σ = 0.5) or greedy NMS at ``nms_threshold``.
    projection_kernel_size : int or None, default=None
        Temporal kernel of the projection's convolutions (odd); ``None`` uses
        ``kernel_size``.
    attention_window : int or None, default=9
        Window (odd, in steps of the finest level) of the local self-attention block
        after the projection; ``None`` leaves the block out (the purely convolutional
        TemporalMaxer-like detector). See Notes for the measurements behind 9.
    ema_decay : float in [0, 1) or None, default=0.99
        Decay of the exponential moving average of the weights; at the end of
        training the averages replace the weights, so ``predict`` uses them
        (ActionFormer: 0.999 over tens of thousands of steps; the short CPU runs
        here have hundreds, so about 0.99 fits). The decay warms up as
        ``min(decay, (1 + n) / (10 + n))`` after ``n`` steps. ``None``: no EMA.
    voting_threshold : float in (0, 1] or None, default=None
        Score voting after NMS: each kept detection's boundaries become the
        score-weighted mean of the candidates of its class with tIoU at least this
        with it (ActionFormer: 0.7 on THUMOS14); ``None``: no voting. Off by
        default on measurement (``benchmarks/run_methods.py --refinement --voting``,
        three seeds): 0.7 is level on both suites, 0.5 adds 0.9 to 1.7 points of
        avg mAP 0.1:0.7 on the THUMOS14 timelines and loses up to 0.8 on the
        synthetic suite.
%(common_parameters)s
        For this detector ``n_segments`` defaults to ``None`` (native length; the
        pyramid works at any length), ``dropout`` to 0 (see Notes), ``class_threshold`` is the
        minimum detection score kept and ``topk_ratio`` and ``class_fallback`` are
        unused.

    Attributes
    ----------
%(common_attributes)s
    See Also
    --------
    PseudoLabelRefiner : trains this detector on a weak localizer's detections.

    Notes
    -----
    ``y`` rows may carry a fourth column, a confidence weight in ``(0, 1]``, which
    multiplies the classification and regression losses of the points assigned to
    that instance (pseudo-labels with their scores). Three-column rows have weight 1.

    ``dropout`` defaults to 0: at the benchmark's budget (30 epochs) dropout 0.1 gave
    lower full-supervision mAP on both suites of ``benchmarks/run_methods.py
    --refinement``; deeper or wider projections were not better on both (the tuning
    runs are listed in the "Two-stage training" page of the documentation).

    ``attention_window`` defaults to 9: with full supervision (30 epochs, scratch
    runs on the shared 2-core CPU, avg mAP 0.1:0.7 on the test videos of
    ``benchmarks/run_methods.py``'s suites) the block lifts the synthetic suite's
    seed 0 from 39.8 to 56.5 (window 19 with ``ema_decay=0.99``: 55.7) and the
    THUMOS14 timelines' seeds 0 / 1 / 2 to 44.2 / 41.3 / 44.2 (convolutions only:
    38.3 ± 1.0 over the three), the gain largest at high tIoU (synthetic @0.7 8.1 to
    19.2). Wider convolution kernels, the former alternative, lifted the synthetic
    suite but lost up to 7 points on THUMOS14 seeds 1 / 2. ``projection_kernel_size=5``
    alone gave 40.8.

    ``ema_decay`` defaults to 0.99 for the second stage of
    :class:`PseudoLabelRefiner`: on noisy pseudo-instances the averaged weights
    (a mean teacher) raise FS-PTAL's refinement gain on the synthetic suite from
    +2.6 to +4.0 (three seeds, ``benchmarks/run_methods.py --refinement``, against
    the tables of the detector without it) and move the other two-stage rows' gains
    by -0.7 to +2.7 points on the two suites; with full supervision it is within
    the seed noise (synthetic 52.5 -> 53.8, THUMOS14 timelines 42.3 -> 42.9).
    ``None`` keeps the raw weights of the last step.

    The defaults are small so that the detector trains on a CPU in seconds. A
    paper-size configuration for THUMOS14 I3D features (ActionFormer / TemporalMaxer):
    ``SegmentDetector(n_levels=6, hidden_size=512, n_layers=2, lr=1e-4,
    weight_decay=0.05, max_epochs=35, batch_size=2, n_segments=2304,
    resampling='interpolate')`` (ActionFormer trains with AdamW, warm-up and a cosine
    schedule; here Adam at a fixed rate).

    Examples
    --------
    >>> from sktal import SegmentDetector
    >>> from sktal.datasets import make_temporal_actions
    >>> data = make_temporal_actions(n_videos=8, random_state=0)
    >>> est = SegmentDetector(hidden_size=16, max_epochs=2, random_state=0)
    >>> est = est.fit(data.X, data.segments)
    >>> est.predict(data.X[:2])[0].shape[1]
    4
    """

    supervision = "segments"

    _loss_names = SegmentDetectorLoss.term_names

    _param_checks = {
        "n_levels": dict(kind=numbers.Integral, low=1),
        "n_layers": dict(kind=numbers.Integral, low=1),
        "kernel_size": dict(kind=numbers.Integral, low=1),
        "regression_base": dict(kind=numbers.Real, low=0, include_low=False),
        "center_sampling_radius": dict(kind=numbers.Real, low=0, include_low=False,
                                       allow_none=True),
        "focal_alpha": dict(kind=numbers.Real, high=1),
        "focal_gamma": dict(kind=numbers.Real, low=0),
        "lambda_reg": dict(kind=numbers.Real, low=0),
        "nms": dict(options=("soft", "hard")),
        "projection_kernel_size": dict(kind=numbers.Integral, low=1, allow_none=True),
        "attention_window": dict(kind=numbers.Integral, low=1, allow_none=True),
        "ema_decay": dict(kind=numbers.Real, low=0, high=1, include_high=False,
                          allow_none=True),
        "voting_threshold": dict(kind=numbers.Real, low=0, high=1, include_low=False,
                                 allow_none=True),
    }

    def __init__(self, *, n_levels=4, n_layers=2, kernel_size=3, regression_base=4.0,
                 center_sampling_radius=1.5, focal_alpha=0.25, focal_gamma=2.0,
                 lambda_reg=1.0, nms="soft", projection_kernel_size=None,
                 attention_window=9, ema_decay=0.99, voting_threshold=None,
                 n_segments=None, resampling="interpolate", hidden_size=64, dropout=0.0,
                 topk_ratio=8, lr=1e-3, weight_decay=0.0, batch_size=4,
                 max_epochs=30, class_threshold=0.01, class_fallback=None, nms_threshold=0.5, max_detections=200,
                 tiou_thresholds=None, n_classes=None, device="auto",
                 random_state=None, verbose=0, callbacks=None, warm_start=False,
                 on_interrupt="auto", validation_fraction=None, precision="32",
                 progress="auto"):
        self.n_levels = n_levels
        self.n_layers = n_layers
        self.kernel_size = kernel_size
        self.regression_base = regression_base
        self.center_sampling_radius = center_sampling_radius
        self.focal_alpha = focal_alpha
        self.focal_gamma = focal_gamma
        self.lambda_reg = lambda_reg
        self.nms = nms
        self.projection_kernel_size = projection_kernel_size
        self.attention_window = attention_window
        self.ema_decay = ema_decay
        self.voting_threshold = voting_threshold
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
        for name in ("kernel_size", "projection_kernel_size", "attention_window"):
            value = getattr(self, name)
            if value is not None and value % 2 != 1:
                raise ValueError(f"{name} must be odd, got {value}")

    def _extra_callbacks(self):
        return [] if self.ema_decay is None else [("ema", ModelEMA(self.ema_decay))]

    def _build_module(self, n_features, n_classes):
        return SegmentDetectorModule(
            n_features=n_features, n_classes=n_classes, hidden_size=self.hidden_size,
            n_levels=self.n_levels, n_layers=self.n_layers,
            kernel_size=self.kernel_size, dropout=self.dropout,
            projection_kernel_size=self.projection_kernel_size,
            attention_window=self.attention_window,
        )

    def _build_criterion(self, n_classes):
        criterion = SegmentDetectorLoss(
            n_classes=n_classes, n_levels=self.n_levels,
            regression_base=self.regression_base,
            center_sampling_radius=self.center_sampling_radius,
            focal_alpha=self.focal_alpha, focal_gamma=self.focal_gamma,
            lambda_reg=self.lambda_reg,
        )
        criterion.table = getattr(self, "_segment_table", None)
        return criterion

    def _localization_scores(self, outputs):
        probs = torch.sigmoid(outputs["cls_logits"])
        return {
            "probs": probs,
            "offsets": outputs["offsets"],
            "video_scores": probs.max(dim=1).values,
        }

    # ---------------------------------------------------------------- fitting
    @staticmethod
    def _split_weights(y, n_videos):
        """``(segments (m, 3), weights (m,))`` per video from 3- or 4-column rows."""
        if y is None or isinstance(y, np.ndarray) and y.ndim == 2 and y.dtype != object:
            raise ValueError(
                "SegmentDetector is fully supervised: y must be a sequence of "
                "(m_i, 3) [start, end, class] or (m_i, 4) [..., weight] arrays"
            )
        if len(y) != n_videos:
            raise ValueError(f"y has {len(y)} entries for {n_videos} videos")
        segments, weights = [], []
        for i, rows in enumerate(y):
            rows = np.zeros((0, 3)) if rows is None else np.asarray(rows, dtype=np.float64)
            if rows.size == 0:
                rows = rows.reshape(0, 3)
            if rows.ndim != 2 or rows.shape[1] not in (3, 4):
                raise ValueError(
                    f"y[{i}]: expected shape (m, 3) or (m, 4), got {rows.shape}"
                )
            w = rows[:, 3] if rows.shape[1] == 4 else np.ones(len(rows))
            if np.any(~np.isfinite(w)) or np.any((w <= 0) | (w > 1)):
                raise ValueError(f"y[{i}]: weights (4th column) must lie in (0, 1]")
            segments.append(rows[:, :3])
            weights.append(w)
        return segments, weights

    @staticmethod
    def _check_ignore(ignore, lengths):
        """``ignore`` as one ``(k_i, 2)`` float array per video, or None."""
        if ignore is None:
            return None
        if len(ignore) != len(lengths):
            raise ValueError(f"ignore has {len(ignore)} entries for {len(lengths)} videos")
        out = []
        for i, (rows, length) in enumerate(zip(ignore, lengths)):
            rows = np.asarray([] if rows is None else rows, dtype=np.float64)
            rows = rows.reshape(0, 2) if rows.size == 0 else rows
            if rows.ndim != 2 or rows.shape[1] != 2:
                raise ValueError(f"ignore[{i}]: expected shape (k, 2) [start, end), "
                                 f"got {rows.shape}")
            bad = ~np.isfinite(rows).all(1) | (rows[:, 0] >= rows[:, 1]) | (
                rows[:, 0] < 0) | (rows[:, 1] > length)
            if bad.any():
                raise ValueError(
                    f"ignore[{i}]: row {int(np.flatnonzero(bad)[0])} "
                    f"{rows[bad][0].tolist()} is not a stretch 0 <= start < end <= "
                    f"{length} (the video's timesteps)")
            out.append(rows)
        return out

    def fit(self, X, y, clicks=None, ignore=None):
        """Train the detector on annotated instances.

        Parameters
        ----------
        X : sequence of ndarray of shape (T_i, D)
        y : sequence of ndarray of shape (m_i, 3) or (m_i, 4)
            ``[start, end, class]`` per instance, optionally a fourth column with a
            confidence weight in ``(0, 1]``.
        clicks : ignored
            Accepted for API compatibility with the weak localizers.
        ignore : sequence of ndarray of shape (k_i, 2) or None
            Per video, ``[start, end)`` stretches (timesteps of ``X``) that are
            neither action nor background: their points that are not positive for
            an instance of ``y`` get no classification loss. For pseudo-labels of
            incomplete recall, where an unlabelled stretch may hold an action
            (:class:`~sktal.PseudoLabelRefiner`'s ``ignore_threshold``).

        Returns
        -------
        self : object
        """
        self._validate_params()   # parameters first, as BaseLocalizer.fit does
        videos = check_videos(X)
        segments, weights = self._split_weights(y, len(videos))
        segments = check_segments(segments, len(videos), n_classes=self.n_classes, name="y")
        rows = [np.column_stack([s, w]) for s, w in zip(segments, weights)]
        lengths = [len(v) for v in videos]
        self._segment_table = _SegmentTable(
            rows, lengths, None if self.resampling is None else self.n_segments,
            self._check_ignore(ignore, lengths),
        )
        try:
            if self.warm_start and hasattr(self, "net_"):
                self.net_.criterion_.table = self._segment_table
            super().fit(videos, segments, None)
        finally:
            if hasattr(self, "net_"):
                self.net_.criterion_.table = None
            del self._segment_table
        return self

    # ------------------------------------------------------------- prediction
    def _detections(self, result, length):
        probs, offsets, positions = result["probs"], result["offsets"], result["positions"]
        n_steps = len(positions)
        centres, strides, _ = pyramid_points(n_steps, n_levels=self.n_levels)
        flat = probs.ravel()
        keep = np.nonzero(flat > max(PRE_NMS_THRESHOLD, 0.0))[0]
        if len(keep) > PRE_NMS_TOPK:
            keep = keep[np.argsort(-flat[keep], kind="stable")[:PRE_NMS_TOPK]]
        point, cls = np.divmod(keep, probs.shape[1])
        scale = length / n_steps
        start = np.clip(centres[point] - offsets[point, 0] * strides[point], 0, n_steps)
        end = np.clip(centres[point] + offsets[point, 1] * strides[point], 0, n_steps)
        det = np.column_stack([start * scale, end * scale, cls, flat[keep]])
        det = det[det[:, 1] > det[:, 0]]
        candidates = det
        if self.nms == "soft":
            det = soft_nms(det, SOFT_NMS_SIGMA, score_threshold=self.class_threshold,
                           max_detections=self.max_detections)
        else:
            det = non_maximum_suppression(det[det[:, 3] >= self.class_threshold],
                                          self.nms_threshold)
            if self.max_detections is not None:
                det = det[: self.max_detections]
        if self.voting_threshold is not None:
            det = score_voting(det, candidates, voting_threshold=self.voting_threshold)
        return det.reshape(-1, 4)

    def predict_cas(self, X):
        """Per-snippet class scores of the finest pyramid level.

        Parameters
        ----------
        X : sequence of ndarray of shape (T_i, D)

        Returns
        -------
        list of ndarray of shape (T_i, n_classes)
        """
        from .._resampling import restore_length

        videos = self._check_predict_input(X)
        return [
            restore_length(r["probs"][: len(r["positions"])], r["positions"], len(v))
            for r, v in zip(self._infer(videos), videos)
        ]
