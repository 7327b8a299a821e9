"""BaS-Net: Background Suppression Network (Lee, Uh and Byun, AAAI 2020)."""
import numbers

import torch
from torch import nn

from ..base import BaseLocalizer, fill_doc
from ..nn import (
    CASModule,
    FilterModule,
    foreground_norm_loss,
    minmax_normalize,
    topk_mean,
    valid_mask_or_none,
    video_bce_loss,
    video_ce_loss,
    video_targets,
)

#: width of the filter module's hidden layer (official code: 512)
FILTER_HIDDEN_SIZE = 512
#: temporal kernel of the CAS head's two convolutions (official code: 3)
KERNEL_SIZE = 3
#: BaS-Net's video-level loss (official code: ``nn.BCELoss``)
VIDEO_LOSS = "bce"


def branch_localization_scores(outputs, branch="supp"):
    """Localization inputs from one branch, as the BaS-Net and BackTAL code make them.

    The CAS thresholded for proposals is the branch's raw logits (background column
    dropped) min-max normalised over time per video (extremes clipped at 0, then to
    [0, 1]); class probabilities are the branch's softmaxed top-k scores.
    """
    return {
        "cas": minmax_normalize(outputs[f"cas_{branch}"][..., :-1]),
        "video_scores": outputs[f"score_{branch}"][:, :-1],
    }


class BaSNetModule(nn.Module):
    """BaS-Net's network: a filter module and one CAS head run on two branches.

    The base branch classifies the features as they are; the suppression branch
    classifies them multiplied by the filter's foreground weights. Both CAS have
    ``C + 1`` channels (the last is background) and are pooled by top-k mean, then
    softmax over classes.

    Subclasses extend the forward pass through two hooks instead of rewriting it:
    :meth:`_similarity` (neighbour similarities for attention convolutions, computed
    once from the input) and :meth:`_extra_outputs` (entries added to the output
    dict).

    Parameters
    ----------
    n_features, n_classes, hidden_size : int
    dropout : float
    topk_ratio : int
    filter_kernel_size : int
        Temporal kernel of the filter module.
    kernel_size : int
        Temporal kernel of the CAS head's two convolutions.
    attention : bool
        Use attention convolutions in the CAS head (BackTAL's affinity module).
    conv_bias : bool
        Bias of the CAS head's two plain temporal convolutions (BaSNet-pytorch: yes;
        BackTAL's code: no).
    """

    def __init__(self, *, n_features, n_classes, hidden_size, dropout, topk_ratio,
                 filter_kernel_size, kernel_size, attention, conv_bias):
        super().__init__()
        self.topk_ratio = topk_ratio
        self.filter = FilterModule(n_features, FILTER_HIDDEN_SIZE, filter_kernel_size)
        self.cas_module = CASModule(
            n_features, hidden_size, n_classes + 1, dropout,
            kernel_size=kernel_size, attention=attention, bias=conv_bias,
        )

    def _similarity(self, x, mask):
        """Hook: (similarity for the CAS head or None, extra outputs dict); ``mask``:
        the valid steps (B, T) or None."""
        return None, {}

    def _extra_outputs(self, outputs, hidden_supp, pool_mask):
        """Hook: add entries to ``outputs`` (the dict ``forward`` returns).

        ``hidden_supp`` (B, T, hidden_size): the suppression branch's first-layer
        activations.
        """
        return outputs

    def forward(self, x, mask=None):
        """Features (B, T, D) -> dict of both branches' CAS and video probabilities."""
        if not self.cas_module.attention:
            # the convolutions read (B, D, T): lay x out that way once (a view of it
            # is x again), so that the filter's and both branches' convolutions do
            # not each copy a transposed x to a contiguous one, in forward and in
            # backward; the suppressed features x * weights inherit that layout.
            # The copies are the ones the convolutions made: the same values.
            x = x.transpose(1, 2).contiguous().transpose(1, 2)
        weights = self.filter(x, mask=mask)
        similarity, extra = self._similarity(x, mask)
        if similarity is not None:
            similarity = torch.cat([similarity, similarity])  # both branches
        # one pass of the shared head over both branches, stacked after its first
        # layer so that the raw features (base branch) get no input gradient
        both, hidden = self.cas_module(x, scales=weights, similarity=similarity,
                                       return_hidden=True, mask=mask)
        cas_base, cas_supp = both.chunk(2)
        pool_mask = valid_mask_or_none(mask)
        topk_base = topk_mean(cas_base, self.topk_ratio, pool_mask)
        outputs = {
            "cas_base": cas_base,
            "cas_supp": cas_supp,
            "topk_base": topk_base,
            "score_base": torch.softmax(topk_base, -1),
            "score_supp": torch.softmax(topk_mean(cas_supp, self.topk_ratio, pool_mask), -1),
            "weights": weights,
            **extra,
        }
        return self._extra_outputs(outputs, hidden.chunk(2)[1], pool_mask)


class BaSNetLoss(nn.Module):
    """``lambda_base·L_base + lambda_supp·L_supp + alpha_norm·L_norm`` (BaS-Net Eq. 6–9).

    ``L_base``: BCE of the base branch's video probabilities against ``[y, 1]``
    (normalised to sum 1); ``L_supp``: the suppression branch against ``[y, 0]``;
    ``L_norm``: L1 norm of the foreground weights over time.

    ``video_loss`` chooses the video-level loss: ``'bce'`` (BaS-Net's code,
    :func:`~sktal.nn.video_bce_loss`) or ``'ce'`` (BackTAL's code,
    :func:`~sktal.nn.video_ce_loss`).
    """

    term_names = ("loss_base", "loss_supp", "loss_norm")

    def __init__(self, *, lambda_base, lambda_supp, alpha_norm, video_loss):
        super().__init__()
        if video_loss not in ("bce", "ce"):
            raise ValueError(f"video_loss must be 'bce' or 'ce', got {video_loss!r}")
        self.lambda_base = lambda_base
        self.lambda_supp = lambda_supp
        self.alpha_norm = alpha_norm
        self.video_loss = video_loss

    def forward(self, outputs, targets):
        labels = targets["labels"]
        video_loss = video_bce_loss if self.video_loss == "bce" else video_ce_loss
        terms = {
            "loss_base": video_loss(outputs["score_base"], video_targets(labels, 1)),
            "loss_supp": video_loss(outputs["score_supp"], video_targets(labels, 0)),
            "loss_norm": foreground_norm_loss(outputs["weights"], targets.get("mask")),
        }
        terms["loss"] = (
            self.lambda_base * terms["loss_base"]
            + self.lambda_supp * terms["loss_supp"]
            + self.alpha_norm * terms["loss_norm"]
        )
        return terms


@fill_doc
class BaSNet(BaseLocalizer):
    """Background Suppression Network for weakly-supervised localization.

    Learns from video-level labels only. A filter module weighs every snippet by its
    foreground probability; a shared CAS head classifies the video as it is (base
    branch, trained with an extra "background" label) and with background suppressed
    (suppression branch, trained without it). Detections come from the suppression
    branch. Defaults follow the official code (Lee et al., AAAI 2020).

    Parameters
    ----------
    lambda_base : float, default=1.0
        Weight of ``L_base`` (base branch, label ``[y, 1]``).
    lambda_supp : float, default=1.0
        Weight of ``L_supp`` (suppression branch, label ``[y, 0]``).
    alpha_norm : float, default=1e-4
        Weight of ``L_norm``, the L1 norm of the foreground weights (γ in the
        paper's Eq. 8; ``alpha`` in the official code).
    filter_kernel_size : int, default=1
        Temporal kernel of the filter module (the official code: 1).
    inference_branch : {'suppression', 'base'}, default='suppression'
        Branch whose CAS and probabilities are used at prediction.
%(common_parameters)s
    Attributes
    ----------
%(common_attributes)s
    See Also
    --------
    BackTAL : BaS-Net plus background clicks.

    Notes
    -----
    Differences from the paper, following the official code: the filter module uses
    kernel size 1, Adam's weight decay is 5e-4 (``main.py``; the paper does not say),
    ``L_norm`` is the L1 norm summed over time and averaged over videos. The paper trains for 1,500 iterations of 16 videos (about
    120 epochs of THUMOS14's 200 training videos). Detections are cut from the
    suppression branch's raw logits min-max normalised over time (as the official
    ``test.py`` does), not from their softmax; ``predict_cas`` returns that
    normalised CAS. In the paper's Eq. 8 the three weights are called α, β, γ:
    ``lambda_base`` = α, ``lambda_supp`` = β, ``alpha_norm`` = γ.

    Examples
    --------
    >>> from sktal import BaSNet
    >>> from sktal.datasets import make_temporal_actions
    >>> data = make_temporal_actions(n_videos=8, random_state=0)
    >>> est = BaSNet(n_segments=64, hidden_size=16, max_epochs=2, random_state=0)
    >>> est = est.fit(data.X, data.y)
    >>> detections = est.predict(data.X[:2])   # [start, end, class, score] per row
    >>> detections[0].shape[1]
    4
    """

    #: what ``fit`` learns from besides video labels (``None``: video labels only)
    supervision = None

    _loss_names = BaSNetLoss.term_names

    #: the paper's ablations as parameter settings (THUMOS14, mAP at tIoU 0.1 ... 0.7)
    _paper_tables = {
        "Table 2": {
            "caption": "Effect of each component on THUMOS14",
            "metric": "mAP@0.1:0.7 (THUMOS14)",
            "rows": [
                ("base branch only", {"lambda_supp": 0.0, "inference_branch": "base"},
                 (28.5, 23.0, 18.1, 13.7, 9.2, 5.8, 2.7)),
                ("suppression branch only", {"lambda_base": 0.0},
                 (49.1, 42.5, 33.5, 26.0, 18.6, 12.8, 6.2)),
                ("BaS-Net", {}, (58.2, 52.3, 44.6, 36.0, 27.0, 18.6, 10.4)),
            ],
        },
    }

    _param_checks = {
        "lambda_base": dict(kind=numbers.Real, low=0),
        "lambda_supp": dict(kind=numbers.Real, low=0),
        "alpha_norm": dict(kind=numbers.Real, low=0),
        "filter_kernel_size": dict(kind=numbers.Integral, low=1),
        "inference_branch": dict(options=("suppression", "base")),
    }

    def __init__(self, *, lambda_base=1.0, lambda_supp=1.0, alpha_norm=1e-4,
                 filter_kernel_size=1, inference_branch="suppression",
                 n_segments=750, resampling="perturb", hidden_size=2048, dropout=0.7,
                 topk_ratio=8, lr=1e-4, weight_decay=5e-4, batch_size=16,
                 max_epochs=120, class_threshold=0.25, class_fallback=None, nms_threshold=0.7, max_detections=1000,
                 tiou_thresholds=None, n_classes=None, device="auto",
                 random_state=None, verbose=0, callbacks=None, warm_start=False,
                 on_interrupt="auto", validation_fraction=None,
                 precision="32", progress="auto"):
        self.lambda_base = lambda_base
        self.lambda_supp = lambda_supp
        self.alpha_norm = alpha_norm
        self.filter_kernel_size = filter_kernel_size
        self.inference_branch = inference_branch
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
        if self.filter_kernel_size % 2 != 1:
            raise ValueError(
                f"filter_kernel_size must be odd, got {self.filter_kernel_size}"
            )

    def _build_module(self, n_features, n_classes):
        return BaSNetModule(
            n_features=n_features, n_classes=n_classes, hidden_size=self.hidden_size,
            dropout=self.dropout, topk_ratio=self.topk_ratio,
            filter_kernel_size=self.filter_kernel_size, kernel_size=KERNEL_SIZE,
            attention=False, conv_bias=True,
        )

    def _build_criterion(self, n_classes):
        return BaSNetLoss(lambda_base=self.lambda_base, lambda_supp=self.lambda_supp,
                          alpha_norm=self.alpha_norm, video_loss=VIDEO_LOSS)

    def _localization_scores(self, outputs):
        branch = "supp" if self.inference_branch == "suppression" else "base"
        return branch_localization_scores(outputs, branch)

    def _postprocess_params(self):
        return {"normalize": False}  # done per video by branch_localization_scores
