"""Synthetic data, click simulation, and loaders for real annotations and features.

Everything is returned in timesteps of ``X`` (snippet indices); the loaders give the
seconds-per-timestep of every video so results can be written back in seconds.
"""
from ._annotations import load_annotations
from ._features import load_features
from ._loaders import load_clicks, load_dataset
from ._results import detections_to_results, load_results_json, write_results_json
from ._synthetic import make_temporal_actions, simulate_clicks

__all__ = [
    "detections_to_results",
    "load_annotations",
    "load_clicks",
    "load_dataset",
    "load_features",
    "load_results_json",
    "make_temporal_actions",
    "simulate_clicks",
    "write_results_json",
]
