"""A toy localizer: the skeleton of ``docs/writing_a_localizer.rst``.

``tests/test_registry.py`` registers it as a sixth localizer to show that the registry
puts a new method through the common checks with no other edit.
"""
import numbers

import torch
from torch import nn
from torch.nn import functional as F

from sktal._docs import fill_doc
from sktal.base import BaseLocalizer
from sktal.nn import topk_mean, valid_mask_or_none


class ToyModule(nn.Module):
    """One temporal convolution, then a class logit per snippet and per video."""

    def __init__(self, *, n_features, n_classes, hidden_size, kernel_size, dropout,
                 topk_ratio):
        super().__init__()
        self.topk_ratio = topk_ratio
        self.body = nn.Sequential(
            nn.Conv1d(n_features, hidden_size, kernel_size, padding=kernel_size // 2),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Conv1d(hidden_size, n_classes, 1),
        )

    def forward(self, x, mask=None):
        """Features (B, T, D) and validity mask (B, T) -> dict of tensors."""
        cas = self.body(x.transpose(1, 2)).transpose(1, 2)  # (B, T, C) logits
        video = topk_mean(cas, self.topk_ratio, valid_mask_or_none(mask))
        return {"cas": cas, "video_logits": video}


class ToyLoss(nn.Module):
    """Binary cross-entropy of the video logits against the video labels."""

    term_names = ("loss_video",)

    def forward(self, outputs, targets):
        terms = {"loss_video": F.binary_cross_entropy_with_logits(
            outputs["video_logits"], targets["labels"])}
        terms["loss"] = terms["loss_video"]
        return terms


@fill_doc
class ToyLocalizer(BaseLocalizer):
    """A one-convolution localizer learning from video labels.

    Parameters
    ----------
    kernel_size : int, default=3
        Temporal kernel of the convolution (odd).
%(common_parameters)s
    Attributes
    ----------
%(common_attributes)s
    Examples
    --------
    >>> from sktal.datasets import make_temporal_actions
    >>> data = make_temporal_actions(n_videos=6, random_state=0)
    >>> est = ToyLocalizer(n_segments=32, hidden_size=8, max_epochs=1, random_state=0)
    >>> est.fit(data.X, data.y).predict(data.X[:1])[0].shape[1]
    4
    """

    supervision = None  # video labels only
    _loss_names = ToyLoss.term_names
    _param_checks = {"kernel_size": dict(kind=numbers.Integral, low=1)}

    def __init__(self, *, kernel_size=3,
                 n_segments=750, resampling="interpolate", hidden_size=2048, dropout=0.7,
                 topk_ratio=8, lr=1e-4, weight_decay=0.0, batch_size=16, max_epochs=50,
                 class_threshold=0.2, class_fallback=None, nms_threshold=0.6,
                 max_detections=1000, tiou_thresholds=None, n_classes=None,
                 device="auto", random_state=None, verbose=0, callbacks=None,
                 warm_start=False, on_interrupt="auto", validation_fraction=None,
                 precision="32", progress="auto"):
        self.kernel_size = kernel_size
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
        if self.kernel_size % 2 != 1:
            raise ValueError(f"kernel_size must be odd, got {self.kernel_size}")

    def _build_module(self, n_features, n_classes):
        return ToyModule(n_features=n_features, n_classes=n_classes,
                         hidden_size=self.hidden_size, kernel_size=self.kernel_size,
                         dropout=self.dropout, topk_ratio=self.topk_ratio)

    def _build_criterion(self, n_classes):
        return ToyLoss()

    def _localization_scores(self, outputs):
        return {"cas": torch.sigmoid(outputs["cas"]),
                "video_scores": torch.sigmoid(outputs["video_logits"])}
