"""Time ``sktal.metrics.detection_map`` against a plain per-detection loop.

Two synthetic problems of the sizes of the real benchmarks:

* THUMOS14-sized: 213 videos, 20 classes, ~3,000 ground truths (up to ~130 in a
  video), ~50,000 detections, the 7 thresholds 0.1:0.1:0.7;
* ActivityNet-sized: 5,000 videos, 200 classes, ~7,500 ground truths, 500,000
  detections, the 10 thresholds 0.5:0.05:0.95.

Detections cluster around the ground truth (jittered boundaries, some wrong classes)
plus random background segments; scores are rounded to 4 decimals so that ties occur.
The reference is ``tests/_reference.py`` (the oracle of the test suite); the two
results must agree to 1e-12.

Usage::

    python benchmarks/bench_metrics.py            # both problems, full size
    python benchmarks/bench_metrics.py --quick    # small smoke run (seconds)

Times are the best of a few runs of ``detection_map`` and one run of the reference,
wall-clock and CPU time of this process (on a shared machine the CPU time is the
steadier of the two).
"""
import argparse
import os
import sys
import time

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))

from _reference import reference_detection_map  # noqa: E402

from sktal.metrics import (  # noqa: E402
    ACTIVITYNET_TIOU_THRESHOLDS,
    DEFAULT_TIOU_THRESHOLDS,
    detection_map,
)


def make_problem(n_videos, n_classes, n_ground_truths, n_detections, *, concentration=0.7,
                 empty_fraction=0.02, length=(300, 3000), random_state=0):
    """Random ground truth and detections with a realistic structure."""
    rng = np.random.default_rng(random_state)
    # skewed number of instances per video; a few videos have none
    has_gt = rng.random(n_videos) >= empty_fraction
    weights = rng.dirichlet(np.full(n_videos, concentration)) * has_gt
    gt_counts = has_gt + rng.multinomial(n_ground_truths - has_gt.sum(), weights / weights.sum())
    det_counts = rng.multinomial(n_detections, np.full(n_videos, 1 / n_videos))
    segments_true, detections = [], []
    for n_gt, n_det in zip(gt_counts, det_counts):
        video_length = rng.uniform(*length)
        video_classes = rng.choice(n_classes, size=rng.integers(1, 3), replace=False)
        duration = np.minimum(rng.lognormal(np.log(0.03 * video_length), 0.8, n_gt),
                              0.5 * video_length)
        start = rng.uniform(0, video_length - duration)
        labels = rng.choice(video_classes, n_gt)
        segments_true.append(np.column_stack([start, start + duration, labels]))

        # 70% around a ground truth (jittered, 10% with a wrong class), 30% anywhere
        n_near = int(0.7 * n_det) if n_gt else 0
        source = rng.integers(0, max(n_gt, 1), n_near)
        near_start = start[source] + rng.normal(0, 0.3, n_near) * duration[source]
        near_end = near_start + duration[source] * rng.lognormal(0, 0.4, n_near)
        wrong = rng.random(n_near) < 0.1
        near_class = np.where(wrong, rng.integers(0, n_classes, n_near), labels[source])

        n_random = n_det - n_near
        random_duration = rng.lognormal(np.log(0.03 * video_length), 1.0, n_random)
        random_start = rng.uniform(-0.05 * video_length, video_length, n_random)
        random_class = np.where(rng.random(n_random) < 0.8,
                                rng.choice(video_classes, n_random),
                                rng.integers(0, n_classes, n_random))
        det = np.column_stack([
            np.r_[near_start, random_start],
            np.r_[near_end, random_start + random_duration],
            np.r_[near_class, random_class],
            np.round(np.r_[rng.uniform(0.3, 1.0, n_near), rng.uniform(0.0, 0.8, n_random)], 4),
        ])
        det[:, 0] = np.clip(det[:, 0], 0, video_length)
        det[:, 1] = np.clip(det[:, 1], det[:, 0], video_length)
        detections.append(det[np.argsort(-det[:, 3], kind="stable")])
    return segments_true, detections


def _best_time(function, repeat):
    """Best wall-clock and CPU (process) times over ``repeat`` runs, and the result."""
    best_wall, best_cpu, result = np.inf, np.inf, None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = function()
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return best_wall, best_cpu, result


def run(name, segments_true, detections, thresholds, repeat):
    n_gt = sum(len(s) for s in segments_true)
    n_det = sum(len(d) for d in detections)
    print(f"{name}: {len(segments_true)} videos, {n_gt} ground truths, {n_det} detections, "
          f"{len(thresholds)} thresholds")
    detection_map(segments_true, detections, thresholds)  # warm-up (imports, caches)
    fast_wall, fast_cpu, fast = _best_time(
        lambda: detection_map(segments_true, detections, thresholds), repeat
    )
    ref_wall, ref_cpu, (ref_ap, ref_classes) = _best_time(
        lambda: reference_detection_map(segments_true, detections, thresholds), 1
    )
    assert np.array_equal(fast.classes, ref_classes)
    difference = np.abs(fast.ap - ref_ap).max()
    agree = difference <= 1e-12
    print("                          wall        cpu")
    print(f"  detection_map      {fast_wall:8.3f} s {fast_cpu:8.3f} s   (best of {repeat})")
    print(f"  per-detection loop {ref_wall:8.3f} s {ref_cpu:8.3f} s")
    print(f"  speed-up           {ref_wall / fast_wall:8.1f} x {ref_cpu / fast_cpu:8.1f} x")
    print(f"  average mAP {fast.average_mAP:.6f}; max |AP - reference| = {difference:.1e}: "
          f"{'agree' if agree else 'DISAGREE'}")
    return agree


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small problems (smoke test)")
    args = parser.parse_args(argv)
    if args.quick:
        problems = [
            ("THUMOS14-like (quick)", (30, 5, 300, 3000), DEFAULT_TIOU_THRESHOLDS, 3),
            ("ActivityNet-like (quick)", (200, 20, 300, 5000), ACTIVITYNET_TIOU_THRESHOLDS, 3),
        ]
    else:
        problems = [
            ("THUMOS14-sized", (213, 20, 3000, 50_000), DEFAULT_TIOU_THRESHOLDS, 5),
            ("ActivityNet-sized", (5000, 200, 7500, 500_000), ACTIVITYNET_TIOU_THRESHOLDS, 3),
        ]
    ok = True
    for name, size, thresholds, repeat in problems:
        concentration = 0.7 if "THUMOS" in name else 1.0
        segments_true, detections = make_problem(*size, concentration=concentration,
                                                 random_state=0)
        ok &= run(name, segments_true, detections, thresholds, repeat)
    if not ok:
        sys.exit("detection_map and the reference disagree")


if __name__ == "__main__":
    main()
