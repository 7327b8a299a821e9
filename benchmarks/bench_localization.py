"""Post-processing and prediction throughput at THUMOS14 test size.

1. ``cas_to_detections`` against the plain loop version of the tests on a THUMOS-like
   case: T = 750 snippets, C = 20 classes, 2 classes above the class threshold,
   default post-processing (10 thresholds, scale 24, hard NMS 0.7), with and without
   LACP's class-agnostic proposals.
2. ``--official-basnet PATH``: the authors' per-class Python loops (BaSNet-pytorch's
   ``test.py`` loop over ``utils.get_proposal_oic`` and ``utils.nms``, imported from
   the checkout at run time through ``benchmarks/_official_basnet.py``; nothing is
   copied) against sktal's BaS-Net post-processing on the same CAS: 213 videos
   (THUMOS14 test size), 750 steps, 20 classes + background, one run, CPU time.
   ``test.py``'s ``if pred.any()`` guard, which skips the videos whose only kept class
   is class 0, is left out so that both process every video.
3. ``--predict METHOD``: ``predict`` of a fitted estimator (fit: one epoch on two
   videos; the weights do not change the cost of the network) on 213 videos of
   T = 750 snippets at the papers' size (D = 2048, hidden 2048), seconds split into
   the network (resampling, forward) and the post-processing. Every weak localizer
   shares this path (``BaseLocalizer._infer`` then ``cas_to_detections``); they differ
   in the network's cost (``bench_speed.py``'s prediction table).

Run from the repository root::

    python benchmarks/bench_localization.py \\
        --official-basnet /tmp/official/BaSNet-pytorch --predict BaSNet
"""
import argparse
import os
import sys
import time
import timeit
import warnings

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests"), os.path.dirname(os.path.abspath(__file__))]

from sktal.postprocessing import cas_to_detections  # noqa: E402
from test_postprocessing import reference_cas_to_detections  # noqa: E402

#: THUMOS14 test set: videos, and the papers' snippets per video
THUMOS_TEST_VIDEOS, N_SEGMENTS = 213, 750


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


def against_the_test_loop():
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


def basnet_outputs(n_videos, n_steps, n_classes, seed=0):
    """BaS-Net-like suppression-branch outputs: CAS logits (T, C + 1) with smooth
    bumps, and video probabilities (C + 1,) keeping 1-3 classes above 0.25."""
    rng = np.random.default_rng(seed)
    cas, scores = [], []
    for _ in range(n_videos):
        logits = np.cumsum(rng.normal(size=(n_steps, n_classes + 1)), axis=0) / 4
        kept = rng.choice(np.arange(1, n_classes), rng.integers(1, 4), replace=False)
        p = np.full(n_classes + 1, 0.01)
        p[kept] = rng.uniform(0.3, 0.9, size=len(kept))
        cas.append(logits.astype(np.float32))
        scores.append((p / p.sum() * (1 + 0.5 * len(kept))).astype(np.float32))
    return cas, scores


def against_the_official_loops(checkout, n_videos, n_steps):
    import _official_basnet as adapter

    official = adapter.load(checkout)
    cas, scores = basnet_outputs(n_videos, n_steps, 20)
    # one run each, CPU time of this process
    start = time.process_time()
    ours = [adapter.sktal_postprocess(c, s, n_steps) for c, s in zip(cas, scores)]
    t_sktal = time.process_time() - start
    start = time.process_time()
    theirs = [adapter.official_postprocess(official.utils, c, s, n_steps, n_steps,
                                           any_check=False)
              for c, s in zip(cas, scores)]
    t_official = time.process_time() - start
    n_ours, n_theirs = sum(len(d) for d in ours), sum(len(d) for d in theirs)
    print(f"BaS-Net post-processing, {n_videos} videos x T={n_steps}, C=20 (+ background),"
          f" one run, CPU s: official test.py loops {t_official:.2f} s "
          f"({n_videos / t_official:.1f} videos/s, {n_theirs} detections) | sktal "
          f"cas_to_detections {t_sktal:.2f} s ({n_videos / t_sktal:.1f} videos/s, "
          f"{n_ours} detections) | speed-up x{t_official / t_sktal:.1f}")


def thumos_predict(method, n_videos, size):
    import torch

    import sktal
    from sktal._registry import click_kind, get_localizer
    from sktal.datasets import make_temporal_actions, simulate_clicks

    torch.set_num_threads(1)
    cls = get_localizer(method)
    rng = np.random.default_rng(0)
    pool = [rng.standard_normal((size["n_segments"], size["n_features"]), dtype=np.float32)
            for _ in range(min(16, n_videos))]
    videos = [pool[i % len(pool)] for i in range(n_videos)]   # 16 arrays, reused
    timelines = make_temporal_actions(n_videos=2, n_classes=20, n_features=2,
                                      lengths=[size["n_segments"]] * 2, random_state=0)
    kind = click_kind(cls)
    clicks = None if kind is None else simulate_clicks(
        timelines.segments, timelines.lengths, kind=kind, random_state=0)
    known = cls().get_params()
    params = {k: v for k, v in dict(n_segments=size["n_segments"],
                                    hidden_size=size["hidden_size"], max_epochs=1,
                                    n_classes=20, device="cpu", random_state=0,
                                    progress=None).items() if k in known}
    est = cls(**params)
    y = timelines.segments if cls.supervision == "segments" else timelines.y
    with warnings.catch_warnings():   # two videos: most classes never positive
        warnings.simplefilter("ignore", UserWarning)
        est.fit(pool[:2], y, clicks=clicks)
    post = [0.0]
    inner = est._detections

    def timed(result, length):
        start = time.process_time()
        try:
            return inner(result, length)
        finally:
            post[0] += time.process_time() - start

    est._detections = timed
    start = time.process_time()
    detections = est.predict(videos)
    total = time.process_time() - start
    del est._detections
    print(f"{getattr(sktal, method).__name__}.predict on {n_videos} videos x "
          f"(T={size['n_segments']}, D={size['n_features']}), hidden {size['hidden_size']}"
          f", 20 classes, batch {est.batch_size}, 1 thread, CPU s: {total:.1f} s "
          f"({n_videos / total:.2f} videos/s): network {total - post[0]:.1f} s, "
          f"post-processing {post[0]:.1f} s "
          f"({sum(len(d) for d in detections) / n_videos:.0f} detections/video)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    parser.add_argument("--official-basnet", metavar="PATH", default=None,
                        help="BaSNet-pytorch checkout: time its post-processing loops")
    parser.add_argument("--predict", metavar="METHOD", default=None,
                        help="time METHOD.predict at THUMOS14 test size, papers' width")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)
    against_the_test_loop()
    n_videos, n_steps = (8, 64) if args.quick else (THUMOS_TEST_VIDEOS, N_SEGMENTS)
    if args.official_basnet:
        against_the_official_loops(args.official_basnet, n_videos, n_steps)
    if args.predict:
        size = (dict(n_segments=32, n_features=16, hidden_size=8) if args.quick
                else dict(n_segments=N_SEGMENTS, n_features=2048, hidden_size=2048))
        thumos_predict(args.predict, n_videos, size)


if __name__ == "__main__":
    main()
