"""Tests of sktal.plotting: figures render to PNG and hold the expected artists."""
import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sktal.plotting import (  # noqa: E402
    plot_cas,
    plot_detections,
    plot_error_analysis,
    plot_precision_recall,
)

TRUTH = [np.array([[10.0, 20.0, 0], [40.0, 50.0, 1]]), np.array([[5.0, 9.0, 1]])]
DETS = [
    np.array([[11.0, 20.0, 0, 0.9], [40.0, 52.0, 1, 0.8], [70.0, 80.0, 0, 0.2]]),
    np.array([[5.0, 8.0, 1, 0.6]]),
]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _save(ax, tmp_path, name):
    path = tmp_path / name
    ax.figure.savefig(path)
    assert path.exists() and path.stat().st_size > 0


def test_plot_cas_draws_one_line_per_class_and_annotation_lanes(tmp_path):
    cas = np.random.default_rng(0).random((60, 3))
    clicks = np.array([[2.0, -1], [15.0, 0], [45.0, 1], [30.0, -1]])
    ax = plot_cas(cas, TRUTH[0], clicks, DETS[0], class_names=["a", "b", "c"])
    _save(ax, tmp_path, "cas.png")
    # classes 0 and 1 appear in the annotations; class 2 does not
    assert len(ax.lines) == 2
    assert [line.get_label() for line in ax.lines] == ["a", "b"]
    assert len(ax.patches) == len(TRUTH[0]) + len(DETS[0])
    assert len(ax.collections) == 2  # background and action clicks
    assert [t.get_text() for t in ax.get_yticklabels()][:3] == ["truth", "detections", "clicks"]


def test_plot_cas_classes_and_detection_filters(tmp_path):
    cas = np.zeros((60, 3))
    ax = plot_cas(cas, detections=DETS[0], classes=[0, 1, 2], max_detections=2, legend=False)
    _save(ax, tmp_path, "cas2.png")
    assert len(ax.lines) == 3
    assert len(ax.patches) == 2
    ax = plot_cas(cas, detections=DETS[0], min_score=0.5, seconds_per_step=0.64)
    assert len(ax.patches) == 2
    assert ax.get_xlabel() == "time (s)"
    assert ax.get_xlim()[1] == pytest.approx(60 * 0.64)


def test_plot_cas_without_annotations_draws_every_class():
    ax = plot_cas(np.zeros((10, 4)))
    assert len(ax.lines) == 4
    assert len(ax.patches) == 0


def test_plot_cas_uses_given_axes():
    fig, ax = plt.subplots()
    assert plot_cas(np.zeros(10), ax=ax) is ax


def test_plot_cas_rejects_bad_input():
    with pytest.raises(ValueError, match="classes"):
        plot_cas(np.zeros((10, 2)), classes=[3])
    with pytest.raises(ValueError, match="segments"):
        plot_cas(np.zeros((10, 2)), segments=np.zeros((2, 4)))


def test_plot_detections_draws_one_bar_per_segment(tmp_path):
    ax = plot_detections(DETS, TRUTH, class_names=["a", "b"], video_names=["v0", "v1"])
    _save(ax, tmp_path, "detections.png")
    n_bars = sum(len(d) for d in DETS) + sum(len(t) for t in TRUTH)
    assert len(ax.patches) == n_bars
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["v0 truth", "v0 detections", "v1 truth", "v1 detections"]
    assert len(ax.get_legend().get_texts()) == 2


def test_plot_detections_single_video_and_top_detections():
    ax = plot_detections(DETS[0], TRUTH[0], max_detections=1)
    assert len(ax.patches) == len(TRUTH[0]) + 1
    with pytest.raises(ValueError, match="segments"):
        plot_detections(DETS, TRUTH[:1])


def test_plot_precision_recall_one_curve_per_class(tmp_path):
    ax = plot_precision_recall(TRUTH, DETS, class_names=["a", "b"])
    _save(ax, tmp_path, "pr.png")
    assert len(ax.lines) == 2
    assert "AP" in ax.lines[0].get_label()
    ax = plot_precision_recall(TRUTH, DETS, class_index=1, tiou_threshold=0.7,
                               interpolated=False)
    assert len(ax.lines) == 1
    recall = ax.lines[0].get_xdata()
    assert recall[-1] == pytest.approx(1.0)  # both class-1 instances found at 0.7
    with pytest.raises(ValueError, match="no ground truth"):
        plot_precision_recall(TRUTH, DETS, class_index=7)


def test_plot_error_analysis_stacks_six_categories_per_factor(tmp_path):
    ax = plot_error_analysis(TRUTH, DETS, top_k_factors=(1, 2, 3))
    _save(ax, tmp_path, "errors.png")
    assert len(ax.patches) == 6 * 3
    heights = np.array([p.get_height() for p in ax.patches]).reshape(6, 3)
    assert np.allclose(heights.sum(axis=0), 100.0)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1G", "2G", "3G"]


def test_missing_matplotlib_gives_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install sktal\[plot\]"):
        plot_cas(np.zeros((5, 1)))


def test_importing_plotting_and_inspection_imports_neither_matplotlib_nor_torch():
    import subprocess

    code = (
        "import sys, sktal.plotting, sktal.inspection; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib'; "
        "assert 'torch' not in sys.modules, 'torch'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("draw", [
    lambda: plot_error_analysis(TRUTH, DETS),
    lambda: plot_detections(DETS, TRUTH, class_names=["a long class name", "another long one"]),
    lambda: plot_cas(np.random.default_rng(0).random((60, 2)), TRUTH[0], detections=DETS[0]),
    lambda: plot_precision_recall(TRUTH, DETS),
], ids=["error_analysis", "detections", "cas", "precision_recall"])
def test_saved_figures_are_not_clipped(draw, tmp_path):
    # issue #15.10: the legend of plot_error_analysis sits right of the axes and the
    # labels are near the edges; a saved figure must hold every artist.
    ax = draw()
    fig = ax.figure
    assert fig.get_layout_engine() is not None
    assert type(fig.get_layout_engine()).__name__ == "ConstrainedLayoutEngine"
    fig.savefig(tmp_path / "plot.png")  # draws, so the layout is applied
    renderer = fig.canvas.get_renderer()
    tight = fig.get_tightbbox(renderer)          # inches
    box = fig.bbox_inches
    tol = 1e-3
    assert tight.x0 >= box.x0 - tol and tight.y0 >= box.y0 - tol, (tight, box)
    assert tight.x1 <= box.x1 + tol and tight.y1 <= box.y1 + tol, (tight, box)
