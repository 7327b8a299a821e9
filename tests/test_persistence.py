"""save/load: weights and parameters, not code, checked across a fresh process."""
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

import sktal
from sktal.datasets import make_temporal_actions

FAST = dict(n_segments=16, hidden_size=8, max_epochs=1, batch_size=4, random_state=0)


@pytest.fixture(scope="module")
def fitted():
    data = make_temporal_actions(n_videos=6, n_classes=3, n_features=12, random_state=0)
    return data, sktal.BaSNet(**FAST).fit(data.X, data.y)


def test_load_in_a_fresh_process_predicts_the_same(fitted, tmp_path):
    data, est = fitted
    path = tmp_path / "model.pt"
    sktal.save(est, path)
    np.save(tmp_path / "x0.npy", data.X[0])
    np.save(tmp_path / "expected.npy", est.predict_proba([data.X[0]]))
    np.save(tmp_path / "expected_det.npy", est.predict([data.X[0]])[0])
    script = textwrap.dedent(
        f"""
        import numpy as np, sktal
        est = sktal.load({str(path)!r}, device="cpu")
        x = np.load({str(tmp_path / 'x0.npy')!r})
        np.testing.assert_array_equal(est.predict_proba([x]), np.load({str(tmp_path / 'expected.npy')!r}))
        np.testing.assert_array_equal(est.predict([x])[0], np.load({str(tmp_path / 'expected_det.npy')!r}))
        print(type(est).__name__, est.get_params()["hidden_size"])
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["BaSNet", "8"]


def test_saved_file_holds_data_only(fitted, tmp_path):
    _, est = fitted
    path = tmp_path / "model.pt"
    sktal.save(est, path)
    payload = torch.load(path, weights_only=True)  # would refuse pickled code
    assert payload["class"] == "BaSNet"
    assert payload["params"]["hidden_size"] == 8


def test_loaded_model_can_continue_training(fitted, tmp_path):
    data, est = fitted
    path = tmp_path / "model.pt"
    sktal.save(est, path)
    loaded = sktal.load(path, device="cpu").set_params(warm_start=True)
    loaded.fit(data.X, data.y)
    # the saved epoch is kept and the resumed one is appended (#15.8)
    assert loaded.history_[:, "epoch"] == [1, 2]
    assert loaded.history_[0, "train_loss"] == pytest.approx(est.history_[0, "train_loss"])
    assert loaded.n_epochs_completed_ == 2


def test_history_is_saved_json_safe_and_reported_after_load(tmp_path):
    data = make_temporal_actions(n_videos=6, n_classes=3, n_features=12, random_state=0)
    est = sktal.BaSNet(**{**FAST, "max_epochs": 3}).fit(data.X, data.y)
    path = tmp_path / "model.pt"
    sktal.save(est, path)
    payload = torch.load(path, weights_only=True)
    assert isinstance(payload["history"], str) and payload["n_epochs_completed"] == 3
    loaded = sktal.load(path, device="cpu")
    assert loaded.n_epochs_completed_ == 3 and loaded.interrupted_ is False
    assert loaded.history_[:, "epoch"] == [1, 2, 3]
    for key in ("train_loss", "loss_base", "loss_supp"):
        np.testing.assert_allclose(loaded.history_[:, key], est.history_[:, key])
    assert len(loaded.history_[-1, "batches"]) == len(est.history_[-1, "batches"])


def test_code_parameters_are_dropped_with_a_warning(fitted, tmp_path):
    from skorch.callbacks import EpochTimer

    data, _ = fitted
    est = sktal.BaSNet(**FAST, callbacks=[EpochTimer()]).fit(data.X, data.y)
    with pytest.warns(UserWarning, match="callbacks"):
        sktal.save(est, tmp_path / "m.pt")
    assert sktal.load(tmp_path / "m.pt").callbacks is None


def test_load_rejects_other_files(tmp_path):
    torch.save({"hello": 1}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a file written by sktal.save"):
        sktal.load(tmp_path / "other.pt")


def test_save_requires_a_fitted_estimator(tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        sktal.save(sktal.BaSNet(), tmp_path / "m.pt")
