"""TEN + BGES: "Forcing the whole video as background" (adversarial WTAL).

The paper's equations were lost in the text we have; what follows is the team's
reconstruction (``docs/methods/ten.rst`` says exactly which parts are reconstructed).

* Network (Eq. 1-3): two streams (RGB, flow), each ``ReLU(Conv1d(D_s, hidden, 3))``, a
  classifier (``C + 1`` logits per snippet) and an attention head
  ``sigmoid(Conv1d(hidden, 1, 1))``; late fusion of the logits ``S`` and attentions ``A``.
* Video losses (Eq. 4-5): attention-weighted temporal means of the snippet scores
  (softmax probabilities by default, or logits) for the foreground (weights ``A``)
  and the background (weights ``1 - A``); cross-entropy against ``[y, 0]`` and
  against "background".
* BGES (Eq. 11-13): the background pooling's normaliser ``sum(1 - A)`` becomes ``T``
  (and the foreground's ``sum(A)`` too, so ``L_fg`` resists the uniform push); the
  other strategies of the paper's comparison (GRL, BVL) are options.
* TEN (Eq. 6-7): a temporal continuity branch on a chunk-resampled copy of the video,
  tied to the base branch by ``L_att`` (smoothed attentions) and ``L_kl`` (snippet CAS).
"""
import functools
import numbers

import numpy as np
import torch
import torch.nn.functional as F
from skorch.callbacks import LRScheduler
from torch import nn

from ..base import BaseLocalizer, fill_doc
from ..nn import valid_mask_or_none, zero_loss
from ..nn._layers import one_output_conv
from ._ten_functional import (
    BACKGROUND_STRATEGIES,
    FOREGROUND_NORMALIZERS,
    SCORE_POOLINGS,
    attention_consistency_loss,
    background_loss,
    background_pool,
    chunk_sample,
    foreground_loss,
    foreground_pool,
    snippet_background_loss,
    snippet_kl_loss,
    snippet_scores,
    video_log_probabilities,
)

#: thresholds on the min-max normalised localization score (Eq. 14)
DEFAULT_LOCALIZATION_THRESHOLDS = np.arange(1, 10) / 10


# -------------------------------------------------------------------- network
class _Stream(nn.Module):
    """One modality: ``ReLU(Conv1d(D_s, hidden, 3))``, classifier and attention head."""

    def __init__(self, n_features, hidden_size, n_outputs, dropout):
        super().__init__()
        self.embedding = nn.Conv1d(n_features, hidden_size, 3, padding=1)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Conv1d(hidden_size, n_outputs, 1)
        self.attention = nn.Conv1d(hidden_size, 1, 1)

    def forward(self, x):
        """``x`` (batch, T, D_s) -> logits (batch, T, C + 1), attention (batch, T)."""
        h = self.dropout(F.relu(self.embedding(x.transpose(1, 2))))
        cas = self.classifier(h).transpose(1, 2)
        attention = torch.sigmoid(one_output_conv(self.attention, h)).squeeze(1)
        return cas, attention


class TENModule(nn.Module):
    """Two-stream network of TEN with the temporal continuity branch.

    In training (and with ``tcb=True``) the batch is run twice through the same
    weights: as it is (base branch) and chunk-resampled (temporal continuity branch).
    At inference only the base branch runs. Every argument is the :class:`TEN`
    parameter of the same name (``n_rgb_features`` resolved to a number).

    Parameters
    ----------
    n_rgb_features, n_flow_features, n_classes, hidden_size : int
    dropout : float
    rgb_weight : float
        Late fusion: ``S = w S_rgb + (1 - w) S_flow``, same for ``A``.
    interval : int
    tcb : bool
    score_pooling : {'logits', 'probabilities'}
        What the attention pooling averages (see
        :func:`~sktal.localizers._ten_functional.snippet_scores`).
    foreground_normalizer : {'auto', 'attention', 'length'}
    background_strategy : str
        Only to resolve ``foreground_normalizer='auto'``.
    """

    def __init__(self, *, n_rgb_features, n_flow_features, n_classes, hidden_size,
                 dropout, rgb_weight, interval, tcb, score_pooling,
                 foreground_normalizer, background_strategy):
        super().__init__()
        self.n_rgb_features = n_rgb_features
        self.score_pooling = score_pooling
        self.foreground_normalizer = foreground_normalizer
        self.background_strategy = background_strategy
        self.rgb_weight = rgb_weight
        self.interval = interval
        self.tcb = tcb
        self.rgb = _Stream(n_rgb_features, hidden_size, n_classes + 1, dropout)
        self.flow = _Stream(n_flow_features, hidden_size, n_classes + 1, dropout)

    def _fused(self, x):
        cas_rgb, att_rgb = self.rgb(x[..., : self.n_rgb_features])
        cas_flow, att_flow = self.flow(x[..., self.n_rgb_features :])
        w = self.rgb_weight
        return w * cas_rgb + (1 - w) * cas_flow, w * att_rgb + (1 - w) * att_flow

    def forward(self, x, mask=None):
        """Features (B, T, D) -> dict of fused logits ``cas``, ``attention``,
        ``video_log_probabilities`` (foreground pooling, Eq. 4) and, in training,
        ``cas_tcb`` and ``attention_tcb``."""
        batch = x.shape[0]
        with_tcb = self.training and self.tcb
        if with_tcb:
            x_tcb, _ = chunk_sample(x, interval=self.interval, mask=mask)
            x = torch.cat([x, x_tcb])
        cas, attention = self._fused(x)
        if mask is not None:
            attention = attention * mask.to(attention.dtype).repeat(cas.shape[0] // batch, 1)
        outputs = {"cas": cas[:batch], "attention": attention[:batch]}
        if with_tcb:
            outputs["cas_tcb"] = cas[batch:]
            outputs["attention_tcb"] = attention[batch:]
        pooled = foreground_pool(
            snippet_scores(outputs["cas"], score_pooling=self.score_pooling),
            outputs["attention"], valid_mask_or_none(mask),
            foreground_normalizer=self.foreground_normalizer,
            background_strategy=self.background_strategy,
        )
        outputs["video_log_probabilities"] = video_log_probabilities(
            pooled, score_pooling=self.score_pooling
        )
        return outputs


class TENLoss(nn.Module):
    """``L_fg + alpha_bg L_bg + lambda_att L_att + lambda_kl L_kl (+ lambda_bvl L_bvl)``.

    Eq. 8 with the background strategy of Sec. 3.2 (see
    :func:`~sktal.localizers._ten_functional.background_pool`); ``L_bvl`` (Eq. 10) is
    added only for ``'bvl'`` and ``'bvl+bges'``. Terms that are switched off are
    returned as 0. Every argument is the :class:`TEN` parameter of the same name.
    """

    #: the loss terms ``forward`` returns besides their weighted sum ``loss``
    term_names = ("loss_fg", "loss_bg", "loss_bvl", "loss_att", "loss_kl")

    def __init__(self, *, background_strategy, alpha_bg, lambda_att, lambda_kl,
                 lambda_bvl, smoothing_sigma, score_pooling):
        super().__init__()
        self.score_pooling = score_pooling
        self.background_strategy = background_strategy
        self.alpha_bg = alpha_bg
        self.lambda_att = lambda_att
        self.lambda_kl = lambda_kl
        self.lambda_bvl = lambda_bvl
        self.smoothing_sigma = smoothing_sigma

    def forward(self, outputs, targets):
        mask = valid_mask_or_none(targets.get("mask"))
        cas, attention = outputs["cas"], outputs["attention"]
        zero = zero_loss(cas)
        pooled_bg = background_pool(
            snippet_scores(cas, score_pooling=self.score_pooling), attention, mask,
            background_strategy=self.background_strategy,
        )
        terms = {
            "loss_fg": foreground_loss(
                outputs["video_log_probabilities"], targets["labels"]
            ),
            "loss_bg": background_loss(
                video_log_probabilities(pooled_bg, score_pooling=self.score_pooling)
            ),
            "loss_bvl": zero,
            "loss_att": zero,
            "loss_kl": zero,
        }
        if self.background_strategy.startswith("bvl"):
            terms["loss_bvl"] = snippet_background_loss(cas, mask)
        if "cas_tcb" in outputs:
            terms["loss_att"] = attention_consistency_loss(
                attention, outputs["attention_tcb"], mask,
                smoothing_sigma=self.smoothing_sigma,
            )
            terms["loss_kl"] = snippet_kl_loss(cas, outputs["cas_tcb"], mask)
        terms["loss"] = (
            terms["loss_fg"]
            + self.alpha_bg * terms["loss_bg"]
            + self.lambda_bvl * terms["loss_bvl"]
            + self.lambda_att * terms["loss_att"]
            + self.lambda_kl * terms["loss_kl"]
        )
        return terms


# ------------------------------------------------------------------ estimator
def _step_decay(n_steps, *, step, factor):
    """Learning-rate factor after ``n_steps`` optimizer steps: 1, then ``factor``
    from step ``step`` on (a module-level function, so a fitted model pickles)."""
    return factor if n_steps >= step else 1.0


class _BatchLRScheduler(LRScheduler):
    """skorch's LRScheduler stepped every batch, whose torch scheduler resumes at the
    number of batches already trained (skorch resumes it at the number of epochs)."""

    def _get_scheduler(self, net, policy, **scheduler_kwargs):
        scheduler_kwargs["last_epoch"] = self.batch_idx_ - 1
        return super()._get_scheduler(net, policy, **scheduler_kwargs)


def _without_parameter_doc(doc, name):
    """Drop the entry ``name`` from a numpydoc parameter list."""
    lines = doc.splitlines(keepends=True)
    out, skipping = [], False
    for line in lines:
        if line.startswith(f"    {name} :"):
            skipping = True
            continue
        if skipping and line.startswith("    ") and not line.startswith("        "):
            skipping = False
        if not skipping:
            out.append(line)
    return "".join(out)


@fill_doc
class TEN(BaseLocalizer):
    """Temporal Enhancement Network with the background gradient enhancement strategy.

    Learns from video-level labels only. Two streams (RGB and flow halves of the
    features) each embed the snippets with one temporal convolution and predict
    ``C + 1`` class logits and a foreground attention ``A`` per snippet; both are fused
    late. A video is classified twice: by attention-weighted pooling (foreground,
    weights ``A``, target: its classes) and by background pooling (weights ``1 - A``,
    target: background). BGES changes the background pooling so that every snippet
    is pushed towards background by the same extra gradient, an adversary that the
    foreground loss must overcome. The temporal continuity branch runs the same
    network on a chunk-resampled copy of the video and ties both branches with
    attention and CAS consistency losses. Paper: "Forcing the Whole Video as
    Background: An Adversarial Learning Strategy for Weakly Temporal Action
    Localization". Its equations were lost from our copy and are reconstructed; see
    the Notes and ``docs/methods/ten.rst``.

    Parameters
    ----------
    background_strategy : {'bges', 'bges_exact', 'bges_shrink', 'bvl', 'bvl+bges', \
'grl', 'none'}, default='bges'
        How ``L_bg`` acts on the attention (Sec. 3.2, Tables 3-4). ``'none'``: plain
        Eq. 4, background normaliser ``sum_t (1 - A_t)``. ``'bges'``: BGES as the paper
        implements it, background normaliser ``T`` (Eq. 13) and, with
        ``foreground_normalizer='auto'``, foreground normaliser ``T`` too.
        ``'bges_exact'``: the plain forward pass, backward changed from
        ``-g.(s_t - z)/N`` to ``-g.s_t/N`` (Eq. 12). ``'bges_shrink'``: the team's
        first reconstruction (background normaliser ``T``, foreground ``sum_t A_t``:
        a uniform shrink of ``A`` that nothing resists; kept for the ablation).
        ``'grl'``: the gradient of ``L_bg`` to ``A`` reversed. ``'bvl'``: plain Eq. 4
        plus ``L_bvl`` (Eq. 10, every snippet classified as background);
        ``'bvl+bges'``: both.
    tcb : bool, default=True
        Train with the temporal continuity branch (TEN). ``False`` is the base branch
        alone ("BL" in Table 3).
    alpha_bg : float, default=0.1
        Weight α of ``L_bg`` (paper: 0.1 for THUMOS14, 0.02 for ActivityNet1.2).
    lambda_att : float, default=0.5
        Weight λ1 of ``L_att``, the L1 distance of the smoothed attentions (Eq. 6).
    lambda_kl : float, default=0.1
        Weight λ2 of ``L_kl``, the snippet KL divergence of the two branches (Eq. 7).
    lambda_bvl : float, default=0.1
        Weight of ``L_bvl`` for ``'bvl'`` / ``'bvl+bges'`` (not given in the paper).
    interval : int, default=4
        Sampling interval of the temporal continuity branch: chunk size, one random
        snippet per chunk.
    smoothing_sigma : float, default=1.0
        Standard deviation, in snippets, of the Gaussian ``G`` of ``L_att`` (not given
        in the paper); 0 compares the raw attentions.
    n_rgb_features : int or None, default=None
        The first ``n_rgb_features`` columns of ``X`` are the RGB stream, the rest the
        flow stream. ``None``: half of ``D`` (I3D: 1024 + 1024).
    rgb_weight : float, default=0.5
        Late fusion ``S = w S_rgb + (1 - w) S_flow``, same for ``A``; 0.5 averages.
    cas_weight : float, default=0.5
        ξ of Eq. 14: the localization score is ``ξ softmax(S)_c + (1 - ξ) A``
        (value not given in the paper).
    score_pooling : {'probabilities', 'logits'}, default='probabilities'
        What Eq. 4 pools over time: the snippets' softmax probabilities (video
        probability = the weighted mean) or their logits (video probability =
        softmax of the weighted mean). See the Notes.
    foreground_normalizer : {'auto', 'attention', 'length'}, default='auto'
        ``N_fg`` of Eq. 4: ``sum_t A_t`` (``'attention'``) or the number of snippets
        ``T`` (``'length'``). ``'auto'``: ``T`` under the BGES strategies, as the
        Eq. 13 sentence says, ``sum_t A_t`` otherwise. See the Notes.
    localization_thresholds : array-like of float or None, default=None
        Thresholds applied to the min-max normalised localization score to cut
        proposals; ``None`` means 0.1, 0.2, ..., 0.9.
    lr_decay : float, default=0.1
        The learning rate is multiplied by it once, at the point ``lr_decay_step``
        sets (1e-3 -> 1e-4 in the paper); 1 keeps it constant.
    lr_decay_step : int or None, default=None
        When ``lr_decay`` applies. ``None``: after half of ``max_epochs``, the paper's
        "after half of the training iterations" (an epoch count, so the number of
        optimizer steps at the full rate grows with the number of training videos).
        An int: after that many optimizer steps (batches), whatever the dataset size
        and ``max_epochs``; a fit with fewer steps never decays. It exists so that
        the schedule need not depend on the dataset size: under the epoch rule,
        twice the training videos at the same ``max_epochs`` are twice the steps at
        the full rate (measured on the benchmark's synthetic suite, where that makes
        the clean mAP fall after the first 150 steps; ``docs/benchmarks.rst``, TEN
        Tables 3-4). A warm start continues the step count.
%(common_parameters)s
    Attributes
    ----------
%(common_attributes)s
    See Also
    --------
    BaSNet : background modelled by a filter module and an extra class.

    Notes
    -----
    Reconstructed, not read from the paper: the layer shapes (one ``k = 3``
    convolution per stream, ``k = 1`` heads), average late fusion, the form of Eq. 4
    and of BGES, the Gaussian ``G``, the direction of the KL divergence and which of
    0.5 and 0.1 weighs ``L_att`` and ``L_kl`` (we follow the order of Eq. 6-8). Not
    stated in the paper: ``hidden_size``, dropout, ``max_epochs``, batch size,
    resampling, ``cas_weight``, ``lambda_bvl`` and the proposal thresholds.

    BGES, re-derived from Sec. 3.2 (reconstructed; the equations are lost). Eq. 11:
    the gradient of ``L_bg`` to the attention of snippet ``t`` is ``R_t (s_t - p)``,
    ``s_t`` the snippet's and ``p > 0`` the video's background score, ``R_t > 0``
    the remaining factors (``1/N_bg`` among them): a snippet more background-like
    than its video has its attention lowered, the others raised. Eq. 12: BGES turns
    ``s_t - p`` into ``s_t``, adding the same push ``R_t p`` towards background on
    every snippet. Eq. 13: the paper approximates this by the background normaliser
    ``T`` and says the other normaliser "is also set as T"; we read it as the
    foreground one. This matters: with ``N_fg = sum_t A_t`` the foreground pooling
    is invariant to a uniform scaling of ``A``, so ``L_fg`` has no gradient along
    BGES' push and ``A`` shrinks everywhere (``'bges_shrink'``, the first
    reconstruction: measured attention inside / near / far from actions
    0.30/0.28/0.28 against the baseline's 0.92/0.86/0.79, ``run_methods.py
    --preset ten-zones``, see the TEN docs page). With ``N_fg = T`` a smaller ``A`` lowers the pooled
    foreground score, so ``L_fg`` must overcome the push on action snippets: the
    adversary the paper describes. ``p > 0`` holds for pooled *probabilities*
    (the default ``score_pooling``); with pooled logits ``p`` is a logit of either
    sign and BGES can push attention *up* (measured: it saturates ``A`` near 1).
    ``'grl'`` reverses only the attention's gradient: the paper's analysis of GRL
    is about ``A``. Inference uses the base branch.

    Examples
    --------
    >>> from sktal import TEN
    >>> from sktal.datasets import make_temporal_actions
    >>> data = make_temporal_actions(n_videos=8, random_state=0)
    >>> est = TEN(n_segments=64, hidden_size=16, max_epochs=2, random_state=0)
    >>> est = est.fit(data.X, data.y)
    >>> detections = est.predict(data.X[:2])   # [start, end, class, score] per row
    >>> detections[0].shape[1]
    4
    """

    #: what ``fit`` learns from besides video labels (``None``: video labels only)
    supervision = None

    _loss_names = TENLoss.term_names

    #: the paper's ablations (THUMOS14, avg mAP 0.3:0.7) as parameter settings
    _paper_tables = {
        "Table 3": {
            "caption": "Effectiveness of each component (BGES, TEN)",
            "metric": "avg mAP@0.3:0.7 (%), THUMOS14",
            "rows": [
                ("BL", {"tcb": False, "background_strategy": "none"}, 31.2),
                ("BL+BGES", {"tcb": False, "background_strategy": "bges"}, 34.5),
                ("TEN", {"tcb": True, "background_strategy": "none"}, 34.7),
                ("TEN+BGES", {"tcb": True, "background_strategy": "bges"}, 37.8),
            ],
        },
        "Table 4": {
            "caption": "Ways of modifying the gradient (GRL, BVL, BGES)",
            "metric": "avg mAP@0.3:0.7 (%), THUMOS14",
            "rows": [
                ("BL+GRL", {"tcb": False, "background_strategy": "grl"}, 32.5),
                ("TEN+GRL", {"tcb": True, "background_strategy": "grl"}, 34.3),
                ("BL+BVL", {"tcb": False, "background_strategy": "bvl"}, 34.0),
                ("TEN+BVL", {"tcb": True, "background_strategy": "bvl"}, 35.2),
                ("TEN+BVL+BGES", {"tcb": True, "background_strategy": "bvl+bges"}, 37.5),
            ],
        },
    }

    _param_checks = {
        "background_strategy": dict(kind=None, options=BACKGROUND_STRATEGIES),
        "tcb": dict(kind=(bool, np.bool_)),
        "alpha_bg": dict(kind=numbers.Real, low=0),
        "lambda_att": dict(kind=numbers.Real, low=0),
        "lambda_kl": dict(kind=numbers.Real, low=0),
        "lambda_bvl": dict(kind=numbers.Real, low=0),
        "interval": dict(kind=numbers.Integral, low=1),
        "smoothing_sigma": dict(kind=numbers.Real, low=0),
        "n_rgb_features": dict(kind=numbers.Integral, low=1, allow_none=True),
        "rgb_weight": dict(kind=numbers.Real, low=0, high=1),
        "cas_weight": dict(kind=numbers.Real, low=0, high=1),
        "score_pooling": dict(kind=None, options=SCORE_POOLINGS),
        "foreground_normalizer": dict(kind=None, options=FOREGROUND_NORMALIZERS),
        "lr_decay": dict(kind=numbers.Real, low=0, high=1, include_low=False),
        "lr_decay_step": dict(kind=numbers.Integral, low=1, allow_none=True),
    }

    def __init__(self, *, background_strategy="bges", tcb=True, alpha_bg=0.1,
                 lambda_att=0.5, lambda_kl=0.1, lambda_bvl=0.1, interval=4,
                 smoothing_sigma=1.0, n_rgb_features=None, rgb_weight=0.5,
                 cas_weight=0.5, score_pooling="probabilities", foreground_normalizer="auto",
                 localization_thresholds=None, lr_decay=0.1, lr_decay_step=None,
                 n_segments=750,
                 resampling="perturb",
                 hidden_size=2048, dropout=0.7, lr=1e-3, weight_decay=1e-3,
                 batch_size=16, max_epochs=100, class_threshold=0.1, class_fallback="argmax",
                 nms_threshold=0.5, max_detections=1000, tiou_thresholds=None, n_classes=None,
                 device="auto", random_state=None, verbose=0, callbacks=None,
                 warm_start=False,
                 on_interrupt="auto", validation_fraction=None,
                 precision="32", progress="auto"):
        self.background_strategy = background_strategy
        self.tcb = tcb
        self.alpha_bg = alpha_bg
        self.lambda_att = lambda_att
        self.lambda_kl = lambda_kl
        self.lambda_bvl = lambda_bvl
        self.interval = interval
        self.smoothing_sigma = smoothing_sigma
        self.n_rgb_features = n_rgb_features
        self.rgb_weight = rgb_weight
        self.cas_weight = cas_weight
        self.score_pooling = score_pooling
        self.foreground_normalizer = foreground_normalizer
        self.localization_thresholds = localization_thresholds
        self.lr_decay = lr_decay
        self.lr_decay_step = lr_decay_step
        self.n_segments = n_segments
        self.resampling = resampling
        self.hidden_size = hidden_size
        self.dropout = dropout
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
        if self.localization_thresholds is not None:
            thresholds = np.asarray(self.localization_thresholds, dtype=float)
            if thresholds.ndim != 1 or thresholds.size == 0 or np.any(
                (thresholds < 0) | (thresholds > 1)
            ):
                raise ValueError(
                    "localization_thresholds must be a non-empty 1-D sequence of "
                    f"values in [0, 1], got {self.localization_thresholds!r}"
                )

    def _split(self, n_features):
        n_rgb = n_features // 2 if self.n_rgb_features is None else self.n_rgb_features
        if not 1 <= n_rgb < n_features:
            raise ValueError(
                f"n_rgb_features={self.n_rgb_features!r} leaves no flow stream: X has "
                f"{n_features} features, so the RGB part must have between 1 and "
                f"{n_features - 1} columns"
            )
        return n_rgb, n_features - n_rgb

    def _build_module(self, n_features, n_classes):
        n_rgb, n_flow = self._split(n_features)
        return TENModule(
            n_rgb_features=n_rgb, n_flow_features=n_flow, n_classes=n_classes,
            **{k: getattr(self, k) for k in (
                "hidden_size", "dropout", "rgb_weight", "interval", "tcb",
                "score_pooling", "foreground_normalizer", "background_strategy",
            )},
        )

    def _build_criterion(self, n_classes):
        return TENLoss(**{k: getattr(self, k) for k in (
            "background_strategy", "alpha_bg", "lambda_att", "lambda_kl",
            "lambda_bvl", "smoothing_sigma", "score_pooling",
        )})

    def _extra_callbacks(self):
        if self.lr_decay == 1:
            return []
        if self.lr_decay_step is not None:
            schedule = _BatchLRScheduler(
                policy=torch.optim.lr_scheduler.LambdaLR,
                lr_lambda=functools.partial(
                    _step_decay, step=self.lr_decay_step, factor=self.lr_decay
                ),
                step_every="batch",
            )
            return [("lr_schedule", schedule)]
        if self.max_epochs < 2:
            return []
        schedule = LRScheduler(
            policy=torch.optim.lr_scheduler.MultiStepLR,
            milestones=[self.max_epochs // 2],
            gamma=self.lr_decay,
        )
        return [("lr_schedule", schedule)]

    def _postprocess_params(self):
        thresholds = (
            DEFAULT_LOCALIZATION_THRESHOLDS
            if self.localization_thresholds is None
            else np.asarray(self.localization_thresholds, dtype=float)
        )
        return {"thresholds": thresholds}

    def _localization_scores(self, outputs):
        xi = self.cas_weight
        probabilities = torch.softmax(outputs["cas"], dim=-1)[..., :-1]
        attention = outputs["attention"].unsqueeze(-1)
        return {
            "cas": xi * probabilities + (1 - xi) * attention,
            "video_scores": outputs["video_log_probabilities"].exp()[:, :-1],
        }


TEN.__doc__ = _without_parameter_doc(TEN.__doc__, "topk_ratio")
