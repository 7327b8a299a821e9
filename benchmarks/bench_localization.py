"""Time ``cas_to_detections`` against the plain loop version of the tests.

A THUMOS-like case: T = 750 snippets, C = 20 classes, 2 classes above the class
threshold, default post-processing (10 thresholds, scale 24, hard NMS 0.7), with and
without LACP's class-agnostic proposals. Run from the repository root::

    python benchmarks/bench_localization.py
"""
import os
import sys
import time
import timeit

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]

from sktal.localization import cas_to_detections  # noqa: E402
from test_postprocessing import reference_cas_to_detections  # noqa: E402


def make_case(n_steps=750, n_classes=20, n_kept=2, seed=0):
    rng = np.random.default_rng(seed)
    # smooth logits: a random walk, so that runs have realistic lengths
    cas = np.cumsum(rng.normal(size=(n_steps, n_classes)), axis=0).astype(np.float32)
    video_scores = np.full(n_classes, 0.01, dtype=np.float32)
    video_scores[rng.choice(n_classes, n_kept, replace=False)] = 0.8
    # actionness = 1 - background probability, smooth like a network's output
    agnostic = 1 / (1 + np.exp(-np.cumsum(rng.normal(size=n_steps)) / 3))
    agnostic = agnostic.astype(np.float32)
    return cas, video_scores, agnostic


def best_of(function, repeat=7):
    """Best CPU time per call (process time: robust to other jobs sharing the cores)."""
    timer = time.process_time
    number = max(1, int(0.2 / max(timeit.timeit(function, timer=timer, number=1), 1e-6)))
    return min(timeit.repeat(function, timer=timer, number=number, repeat=repeat)) / number


def main():
    cas, video_scores, agnostic = make_case()
    for label, extra in [("class thresholds only", {}),
                         ("+ agnostic proposals", {"agnostic_scores": agnostic})]:
        fast = cas_to_detections(cas, video_scores, **extra)
        slow = reference_cas_to_detections(cas, video_scores, **extra)
        assert fast.shape == slow.shape and np.allclose(fast, slow, atol=1e-9)
        t_fast = best_of(lambda: cas_to_detections(cas, video_scores, **extra))
        t_slow = best_of(lambda: reference_cas_to_detections(cas, video_scores, **extra),
                         repeat=2)
        print(f"T=750, C=20, 2 kept classes, {label}: {len(fast)} detections | "
              f"vectorised {t_fast * 1e3:.2f} ms, loop {t_slow * 1e3:.0f} ms, "
              f"speed-up x{t_slow / t_fast:.0f}")


if __name__ == "__main__":
    main()
