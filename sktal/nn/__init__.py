"""Torch building blocks shared by the sktal methods.

One implementation each of the pieces several papers use: top-k pooling, BaS-Net's
filter module and CAS head, the attention convolution of BackTAL / FS-PTAL, the
snippet embedding, and the loss terms that are common to several methods.
"""
from ._functional import EPS, IGNORE_INDEX, mean_over, valid_mask_or_none, zero_loss
from ._layers import AttentionConv1d, CASModule, EmbeddingModule, FilterModule
from ._losses import (
    click_cross_entropy,
    embedding_separation_loss,
    foreground_norm_loss,
    video_bce_loss,
    video_ce_loss,
    video_targets,
)
from ._pooling import masked_mean, minmax_normalize, topk_mean, topk_sizes

__all__ = [
    "EPS",
    "IGNORE_INDEX",
    "mean_over",
    "valid_mask_or_none",
    "zero_loss",
    "AttentionConv1d",
    "CASModule",
    "EmbeddingModule",
    "FilterModule",
    "click_cross_entropy",
    "embedding_separation_loss",
    "foreground_norm_loss",
    "masked_mean",
    "minmax_normalize",
    "topk_mean",
    "topk_sizes",
    "video_bce_loss",
    "video_ce_loss",
    "video_targets",
]

from ._data import VideoDataset, collate_videos  # noqa: E402

__all__ += ["VideoDataset", "collate_videos"]
