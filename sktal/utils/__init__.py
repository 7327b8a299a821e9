"""Shared utilities: input and parameter validation (localizer discovery is in
:mod:`sktal.utils.discovery`)."""
from .validation import (
    check_clicks,
    check_consistent_length,
    check_labels,
    check_param,
    check_rows,
    check_segments,
    check_tiou_thresholds,
    check_videos,
    is_annotated,
    segments_to_labels,
)

__all__ = [
    "check_clicks",
    "check_consistent_length",
    "check_labels",
    "check_param",
    "check_rows",
    "check_segments",
    "check_tiou_thresholds",
    "check_videos",
    "is_annotated",
    "segments_to_labels",
]
