"""Every row of docs/checks.rst ("What sktal checks") run as written (#15)."""
import json
import os
import re
import warnings

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback
from sklearn.model_selection import GridSearchCV

import sktal
from sktal.datasets import load_dataset, make_temporal_actions, write_results_json
from sktal.metrics import TemporalMAPScorer, detection_map, evaluate_activitynet_json

DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "docs")
FAST = dict(n_segments=16, hidden_size=8, max_epochs=1, batch_size=4, random_state=0)


def _table():
    """``{check: (kind, fragment)}`` from the list-table of docs/checks.rst."""
    with open(os.path.join(DOCS, "checks.rst"), encoding="utf-8") as fh:
        text = fh.read()
    rows = re.findall(r"^   \* - ``([a-z-]+)``\n     - .*?\n     - ``(\w+)``\n"
                      r"     - ``(.*?)``", text, flags=re.M | re.S)
    return {check: (kind, fragment) for check, kind, fragment in rows}


TABLE = _table()


@pytest.fixture(scope="module")
def data():
    return make_temporal_actions(n_videos=6, n_classes=3, n_features=12, random_state=0)


class _Interrupt(Callback):
    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == 1:
            raise KeyboardInterrupt


def _gt():
    return {"database": {
        "video_a": {"subset": "test", "annotations": [{"segment": [0.0, 10.0], "label": "Run"}]},
        "video_b": {"subset": "val", "annotations": [{"segment": [0.0, 4.0], "label": "Run"}]},
    }}


def _res(video="video_a", label="Run", segment=(0.0, 10.0), score=0.9):
    return {"results": {video: [{"label": label, "score": score, "segment": list(segment)}]}}


def _two(extra):
    res = _res()
    res["results"].update(extra["results"])
    return res


def _tiny_folder(tmp_path, rows):
    gt = tmp_path / "gt.json"
    gt.write_text(json.dumps({"database": {"v1": {
        "subset": "val", "duration": 3.0, "fps": 32,
        "annotations": [{"segment": [0.5, 4.0 if rows == "past" else 1.5],
                         "label": "Jump"}]}}}))
    os.makedirs(tmp_path / "f", exist_ok=True)
    np.save(tmp_path / "f" / "v1.npy", np.zeros((24 if rows == "x4" else 6, 4)))
    if rows == "empty":
        (tmp_path / "f" / "v1.npy").write_bytes(b"")
    return gt, tmp_path / "f"


CASES = {
    "eval-unknown-video": lambda d, p: evaluate_activitynet_json(
        _gt(), _two(_res("video_a.mp4")), subset="test"),
    "eval-label-case": lambda d, p: evaluate_activitynet_json(
        _gt(), _two(_res(label="run")), subset="test"),
    "eval-other-subset": lambda d, p: evaluate_activitynet_json(
        _gt(), _two(_res("video_b")), subset="test"),
    "eval-nothing-matches": lambda d, p: evaluate_activitynet_json(
        _gt(), _res(label="Walk"), subset="test"),
    "eval-malformed-entry": lambda d, p: evaluate_activitynet_json(
        _gt(), {"results": {"video_a": [{"score": 0.5, "segment": [0, 1]}]}}),
    "npy-broken": lambda d, p: load_dataset(*_tiny_folder(p, "empty")),
    "results-nan": lambda d, p: write_results_json(
        p / "r.json", [np.array([[0.0, 1.0, 0, np.nan]])], ["v1"], ["Jump"], 1.0),
    "grid-fps": lambda d, p: load_dataset(*_tiny_folder(p, "x4")),
    "gt-past-features": lambda d, p: load_dataset(*_tiny_folder(p, "past")),
    "map-seconds": lambda d, p: detection_map(
        [np.array([[10.0, 40.0, 0]])], [np.array([[10.0, 40.0, 0, 0.9]])], lengths=[20]),
    "device-unknown": lambda d, p: sktal.BaSNet(**FAST, device="tpu").fit(d.X, d.y),
    "device-unavailable": lambda d, p: sktal.BaSNet(**FAST, device="cuda").fit(d.X, d.y),
    "fit-interrupted": lambda d, p: sktal.BaSNet(
        **{**FAST, "max_epochs": 3}, callbacks=[_Interrupt()]).fit(d.X, d.y),
    "fit-interrupted-search": lambda d, p: GridSearchCV(
        sktal.BaSNet(**{**FAST, "max_epochs": 3}, callbacks=[_Interrupt()]),
        {"lr": [1e-3]}, scoring=TemporalMAPScorer(), cv=2).fit(d.X, d.segments),
    "class-never-positive": lambda d, p: sktal.BaSNet(**FAST).fit(
        d.X, np.column_stack([d.y[:, :2], np.zeros(len(d.y))])),
    "zero-label-rows": lambda d, p: sktal.BaSNet(**FAST).fit(
        d.X, np.vstack([np.zeros((1, 3)), d.y[1:]])),
    "tiny-n-segments": lambda d, p: sktal.BaSNet(**{**FAST, "n_segments": 1}).fit(d.X, d.y),
    "predict-untrained": lambda d, p: sktal.BaSNet(**{**FAST, "max_epochs": 0}).fit(
        d.X, d.y).predict(d.X[:1]),
    "click-outside": lambda d, p: sktal.BackTAL(**FAST).fit(
        d.X, d.y, [np.array([[d.lengths[0] + 5.0, -1]])] + [np.zeros((0, 2))] * 5),
    "feature-width": lambda d, p: sktal.BaSNet(**FAST).fit(d.X, d.y).predict(
        [d.X[0][:, :5]]),
}


def test_the_table_and_the_cases_list_the_same_checks():
    assert len(TABLE) >= 20
    assert set(TABLE) == set(CASES)


@pytest.mark.parametrize("check", sorted(CASES))
def test_each_documented_check_gives_what_the_table_says(check, data, tmp_path):
    kind, fragment = TABLE[check]
    if check == "device-unavailable" and torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    if kind.endswith("Warning"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                CASES[check](data, tmp_path)
            except ValueError:
                pass  # eval-nothing-matches style rows warn on the way
        messages = [str(w.message) for w in caught if w.category.__name__ == kind]
        assert any(fragment in m for m in messages), (fragment, messages)
    else:
        with pytest.raises(BaseException) as info:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                CASES[check](data, tmp_path)
        assert type(info.value).__name__ == kind, info.value
        assert fragment in str(info.value), (fragment, str(info.value))
