"""Evaluation of temporal action detections.

ActivityNet-style detection mAP (the protocol of THUMOS14, ActivityNet and HACS
papers), a scikit-learn scorer built on it, an evaluator for ActivityNet-format
JSON files, and the mAP report of a result (a table, or plain data for JSON).  This
subpackage depends on NumPy and scikit-learn only: importing it does not import torch.
"""
from ._activitynet import evaluate_activitynet_json
from ._curves import detection_precision_recall
from ._detection import (
    ACTIVITYNET_TIOU_THRESHOLDS,
    DEFAULT_TIOU_THRESHOLDS,
    average_precision,
    detection_map,
    segment_iou,
)
from ._report import format_map_table, map_averages, map_summary
from ._scorer import TemporalMAPScorer

__all__ = [
    "ACTIVITYNET_TIOU_THRESHOLDS",
    "DEFAULT_TIOU_THRESHOLDS",
    "TemporalMAPScorer",
    "average_precision",
    "detection_map",
    "detection_precision_recall",
    "evaluate_activitynet_json",
    "format_map_table",
    "map_averages",
    "map_summary",
    "segment_iou",
]
