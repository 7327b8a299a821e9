"""Draw the figures of the documentation from synthetic data.

Run from the repository root when a plot changes (a few seconds, CPU only)::

    python docs/_make_figures.py

The PNGs are written to ``docs/_static/`` and committed; the documentation build does
not run this script.
"""
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "_static")


def _synthetic_cas(segments, length, n_classes, rng):
    """A plausible CAS: smoothed indicator of each instance, plus noise."""
    t = np.arange(length) + 0.5
    cas = np.zeros((length, n_classes))
    for start, end, c in segments:
        rise = 1 / (1 + np.exp(-(t - start) / 1.2)) - 1 / (1 + np.exp(-(t - end) / 1.2))
        cas[:, int(c)] += 0.85 * rise
    cas += 0.08 * rng.random((length, n_classes))
    return np.clip(cas, 0, 1)


def main():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sktal.datasets import simulate_clicks
    from sktal.postprocessing import cas_to_detections
    from sktal.plotting import plot_cas, plot_error_analysis, plot_precision_recall

    rng = np.random.default_rng(3)
    class_names = ["high jump", "long jump"]
    length = 120
    segments = np.array([[12.0, 27.5, 0], [48.0, 56.0, 1], [80.0, 101.0, 0]])
    clicks = simulate_clicks([segments], [length], kind="both", random_state=1)[0]
    cas = _synthetic_cas(segments, length, 2, rng)
    cas[60:66, 1] += 0.5  # a false alarm right after the long jump
    detections = cas_to_detections(cas, np.array([0.9, 0.7]), max_detections=6)

    os.makedirs(OUT, exist_ok=True)
    fig, ax = plt.subplots(figsize=(8, 3.2))
    plot_cas(cas, segments, clicks, detections, class_names=class_names, ax=ax)
    ax.set_title("One video: CAS (lines), ground truth, detections and clicks")
    fig.tight_layout()
    fig.savefig(os.path.join(OUT, "data_model.png"), dpi=80)
    plt.close(fig)

    # evaluation figures on many noisy copies of random timelines
    truth, dets = [], []
    for _ in range(30):
        n = rng.integers(1, 4)
        starts = np.sort(rng.uniform(0, 90, n))
        seg = np.column_stack([starts, starts + rng.uniform(3, 10, n), rng.integers(0, 2, n)])
        truth.append(seg)
        jitter = seg[:, :2] + rng.normal(0, 1.5, (n, 2))
        det = np.column_stack([jitter, seg[:, 2], rng.uniform(0.5, 1.0, n)])
        noise_starts = rng.uniform(0, 100, 4)
        noise = np.column_stack([noise_starts, noise_starts + rng.uniform(2, 8, 4),
                                 rng.integers(0, 2, 4), rng.uniform(0.0, 0.7, 4)])
        dets.append(np.concatenate([det, noise]))
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    plot_precision_recall(truth, dets, class_names=class_names, ax=axes[0])
    plot_error_analysis(truth, dets, ax=axes[1])
    fig.tight_layout()
    fig.savefig(os.path.join(OUT, "evaluation.png"), dpi=80)
    plt.close(fig)


if __name__ == "__main__":
    main()
