"""Shared utilities: input and parameter validation."""
from .validation import (
    check_clicks,
    check_consistent_length,
    check_labels,
    check_param,
    check_segments,
    check_videos,
    is_annotated,
    segments_to_labels,
)

__all__ = [
    "check_clicks",
    "check_consistent_length",
    "check_labels",
    "check_param",
    "check_segments",
    "check_videos",
    "is_annotated",
    "segments_to_labels",
]
