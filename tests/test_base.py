"""BaseLocalizer behaviour, checked on every localizer (the base class owns it)."""
import warnings

import numpy as np
import pytest
import torch
from sklearn.model_selection import GridSearchCV, cross_validate
from skorch.callbacks import Callback

from sktal import BackTAL, BaSNet
from sktal.utils.discovery import all_localizers
from sktal.datasets import make_temporal_actions, simulate_clicks
from sktal.metrics import TemporalMAPScorer

#: every registered localizer: a new one gets these checks with no edit here
LOCALIZERS = [cls for _, cls in all_localizers()]

def _target(cls, d):
    """What ``cls`` learns from: segments for a fully supervised localizer, else labels."""
    return d.segments if cls.supervision == "segments" else d.y


FAST = dict(n_segments=16, hidden_size=8, max_epochs=2, batch_size=4, random_state=0)


@pytest.fixture(scope="module")
def data():
    d = make_temporal_actions(n_videos=8, n_classes=3, n_features=12, random_state=1)
    clicks = simulate_clicks(d.segments, d.lengths, kind="both", random_state=1)
    return d, clicks


class _Interrupt(Callback):
    """Raise KeyboardInterrupt at the end of epoch ``at`` (as Ctrl-C would)."""

    def __init__(self, at=2, mid_epoch=False):
        self.at = at
        self.mid_epoch = mid_epoch

    def on_batch_end(self, net, **kwargs):
        if self.mid_epoch and len(net.history) == self.at + 1:
            raise KeyboardInterrupt

    def on_epoch_end(self, net, **kwargs):
        if not self.mid_epoch and len(net.history) == self.at:
            raise KeyboardInterrupt


# ------------------------------------------------------------ interruption
@pytest.mark.parametrize("cls", LOCALIZERS, ids=lambda c: c.__name__)
def test_interrupted_standalone_fit_warns_and_stays_usable(cls, data, tmp_path):
    d, clicks = data
    est = cls(**{**FAST, "max_epochs": 5}, callbacks=[_Interrupt(2)])
    with pytest.warns(UserWarning, match=r"after 2 completed epoch\(s\) of 5"):
        est.fit(d.X, _target(cls, d), clicks)
    assert est.interrupted_ and est.n_epochs_completed_ == 2
    assert len(est.history_) == 2
    assert len(est.predict(d.X[:2])) == 2
    import sktal

    with pytest.warns(UserWarning, match="not plain data"):   # the callback
        sktal.save(est, tmp_path / "m.pt")
    assert sktal.load(tmp_path / "m.pt").predict_proba(d.X[:1]).shape == (1, 3)


def test_interrupt_mid_epoch_drops_the_partial_epoch(data):
    d, clicks = data
    est = BaSNet(**{**FAST, "max_epochs": 5}, callbacks=[_Interrupt(1, mid_epoch=True)])
    with pytest.warns(UserWarning, match="after 1 completed"):
        est.fit(d.X, d.y)
    assert est.n_epochs_completed_ == 1
    assert "train_loss" in est.history_[-1]   # what the CLI reads


def test_uninterrupted_fit_records_epochs_and_does_not_warn(data):
    d, _ = data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = BaSNet(**FAST).fit(d.X, d.y)
    assert est.n_epochs_completed_ == 2 and not est.interrupted_
    est.set_params(warm_start=True).fit(d.X, d.y)
    assert est.n_epochs_completed_ == 4


def test_on_interrupt_raise_propagates_after_recording(data):
    d, _ = data
    est = BaSNet(**{**FAST, "max_epochs": 5}, callbacks=[_Interrupt(1)], on_interrupt="raise")
    with pytest.raises(KeyboardInterrupt, match="after 1 completed"):
        est.fit(d.X, d.y)
    assert est.n_epochs_completed_ == 1 and est.interrupted_
    assert len(est.predict(d.X[:1])) == 1


def test_interrupt_inside_grid_search_stops_the_search(data):
    d, _ = data
    est = BaSNet(**{**FAST, "max_epochs": 3}, callbacks=[_Interrupt(1)])
    search = GridSearchCV(est, {"lr": [1e-3, 1e-4]}, scoring=TemporalMAPScorer(), cv=2,
                          error_score="raise")
    with pytest.raises(KeyboardInterrupt, match="interrupted"):
        search.fit(d.X, d.segments)
    with pytest.raises(KeyboardInterrupt):
        cross_validate(est, d.X, d.segments, scoring=TemporalMAPScorer(), cv=2)


def test_on_interrupt_warn_inside_grid_search_lets_it_continue(data):
    d, _ = data
    est = BaSNet(**{**FAST, "max_epochs": 3}, callbacks=[_Interrupt(1)], on_interrupt="warn")
    search = GridSearchCV(est, {"lr": [1e-3, 1e-4]}, scoring=TemporalMAPScorer(), cv=2)
    with pytest.warns(UserWarning, match="interrupted"):
        search.fit(d.X, d.segments)
    assert search.best_estimator_.n_epochs_completed_ == 1


def test_early_stopping_is_not_an_interrupt(data):
    from skorch.callbacks import EarlyStopping

    d, _ = data
    # train_loss keeps falling but a threshold of 1e9 counts every epoch as a miss
    stop = EarlyStopping(monitor="train_loss", patience=1, threshold=1e9,
                         threshold_mode="abs")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = BaSNet(**{**FAST, "max_epochs": 6}, callbacks=[stop]).fit(d.X, d.y)
    assert not est.interrupted_ and est.n_epochs_completed_ < 6


# ------------------------------------------------------------ degenerate setups
def test_class_never_positive_and_empty_label_rows_warn(data):
    d, _ = data
    y = np.zeros((len(d.X), 4))
    y[:, 0] = 1
    y[0] = 0
    with pytest.warns(UserWarning) as record:
        BaSNet(**FAST).fit(d.X, y)
    text = " ".join(str(w.message) for w in record)
    assert "class(es) [1, 2, 3] of 4 are never positive" in text
    assert "1 of 8 training video(s) have no positive label (first: video 0)" in text


def test_tiny_n_segments_warns(data):
    d, _ = data
    with pytest.warns(UserWarning, match="n_segments=4 is smaller than topk_ratio=8"):
        BaSNet(**{**FAST, "n_segments": 4}).fit(d.X, d.y)


def test_predict_after_max_epochs_zero_warns(data):
    d, _ = data
    est = BaSNet(**{**FAST, "max_epochs": 0}).fit(d.X, d.y)
    with pytest.warns(UserWarning, match="untrained network"):
        est.predict(d.X[:1])


@pytest.mark.parametrize("device,match", [
    ("gpu", "not a torch device"),
    ("cuda:x", "not a torch device"),
    ("meta", "supports 'cpu' and 'cuda'"),
])
def test_bad_device_strings_raise_before_data_is_touched(device, match):
    with pytest.raises(ValueError, match=match):
        BaSNet(device=device).fit(None, None)   # data never looked at


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA present")
def test_cuda_without_cuda_is_a_clear_error():
    with pytest.raises(ValueError, match="CUDA is not available"):
        BaSNet(device="cuda").fit(None, None)


# ------------------------------------------------------------ validation split
@pytest.fixture(scope="module")
def annotated():
    return make_temporal_actions(n_videos=16, n_classes=3, n_features=12, random_state=2)


def test_validation_fraction_records_valid_map_like_score(annotated):
    d = annotated
    est = BaSNet(**{**FAST, "max_epochs": 3}, validation_fraction=0.25).fit(d.X, d.segments)
    values = est.history_[:, "valid_mAP"]
    assert len(values) == 3 and all(0 <= v <= 1 for v in values)
    # the held-out videos are a seeded split: refit gives the same split and values
    again = BaSNet(**{**FAST, "max_epochs": 3}, validation_fraction=0.25).fit(d.X, d.segments)
    assert again.history_[:, "valid_mAP"] == values
    best = est.history_[:, "valid_mAP_best"]
    assert best[0] and best == [v == max(values[: i + 1]) and v > max(values[:i] or [-1])
                                for i, v in enumerate(values)]


def test_validation_data_equals_score_of_the_last_epoch(annotated):
    d = annotated
    est = BaSNet(**FAST).fit(d.X[:12], d.y[:12], validation_data=(d.X[12:], d.segments[12:]))
    assert est.history_[-1, "valid_mAP"] == est.score(d.X[12:], segments=d.segments[12:])
    assert dict(est.net_.callbacks_)["valid_mAP"].data is None   # not kept in the model


def test_validation_needs_segments_and_exclusive_options(annotated):
    d = annotated
    with pytest.raises(ValueError, match="needs annotated y"):
        BaSNet(**FAST, validation_fraction=0.2).fit(d.X, d.y)
    with pytest.raises(ValueError, match="not both"):
        BaSNet(**FAST, validation_fraction=0.2).fit(
            d.X, d.segments, validation_data=(d.X, d.segments))
    with pytest.raises(ValueError, match="validation_fraction"):
        BaSNet(**FAST, validation_fraction=1.5).fit(d.X, d.segments)


def test_early_stopping_and_checkpoint_restore_the_best_epoch(annotated, tmp_path):
    from skorch.callbacks import Checkpoint, EarlyStopping

    d = annotated
    fit_args = (d.X[:12], d.y[:12])
    valid = (d.X[12:], d.segments[12:])
    params = {**FAST, "max_epochs": 12, "lr": 1e-2, "random_state": 3}
    stop = EarlyStopping(monitor="valid_mAP", lower_is_better=False, patience=3,
                         load_best=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # early stopping is not an interrupt
        est = BaSNet(**params, callbacks=[stop]).fit(*fit_args, validation_data=valid)
    values = est.history_[:, "valid_mAP"]
    assert len(values) < 12 and np.argmax(values) < len(values) - 1   # stopped early
    assert values[-1] != max(values)
    assert est.score(*valid[:1], segments=valid[1]) == pytest.approx(max(values))

    keep = Checkpoint(monitor="valid_mAP_best", dirname=str(tmp_path), load_best=True)
    est = BaSNet(**{**params, "max_epochs": 4}, callbacks=[keep]).fit(
        *fit_args, validation_data=valid)
    # Checkpoint(load_best) restores weights and the history up to the best epoch
    assert est.history_[-1, "valid_mAP_best"]
    assert est.score(*valid[:1], segments=valid[1]) == pytest.approx(
        est.history_[-1, "valid_mAP"])


# ------------------------------------------------------------ mixed precision
def test_precision_32_is_exactly_the_float32_computation(data, monkeypatch):
    from skorch import NeuralNet

    from sktal.base import _LocalizerNet

    d, clicks = data
    new = BackTAL(**FAST).fit(d.X, d.y, clicks)

    def plain_get_loss(self, y_pred, y_true, X=None, training=False):   # main's version
        from skorch.utils import to_tensor

        losses = self.criterion_(y_pred, to_tensor(y_true, device=self.device))
        if training:
            for name, value in losses.items():
                if name != "loss":
                    self.history.record_batch(name, float(value.detach()))
        return losses["loss"]

    def plain_infer(self, x, **fit_params):   # no autocast, no float32 copies
        return NeuralNet.infer(self, self.batch_inputs(x), **fit_params)

    monkeypatch.setattr(_LocalizerNet, "infer", plain_infer)
    monkeypatch.setattr(_LocalizerNet, "get_loss", plain_get_loss)
    old = BackTAL(**FAST).fit(d.X, d.y, clicks)
    for name in ("train_loss",) + BackTAL._loss_names:
        assert new.history_[:, name] == old.history_[:, name]
    for a, b in zip(new.module_.parameters(), old.module_.parameters()):
        assert torch.equal(a, b)


@pytest.mark.parametrize("cls", LOCALIZERS, ids=lambda c: c.__name__)
def test_bf16_trains_on_cpu_and_predicts_close_to_float32(cls):
    from sktal.metrics import detection_map

    d = make_temporal_actions(n_videos=40, n_classes=3, n_features=16,
                              context_scale=(1.0, 0.5), runup_prob=0.0, random_state=0)
    clicks = simulate_clicks(d.segments, d.lengths, kind="both", random_state=0)
    tr, te = slice(0, 28), slice(28, 40)
    lr = 1e-2 if cls.__name__ in ("TEN", "FSPTAL") else 1e-3   # they learn little in 25 epochs at 1e-3
    params = dict(n_segments=64, hidden_size=32, batch_size=7, lr=lr, random_state=0)
    fits = {}
    for precision, epochs in (("bf16", 0), ("bf16", 25), ("32", 25)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = cls(max_epochs=epochs, precision=precision, **params)
            fits[precision, epochs] = est.fit(d.X[tr], _target(cls, d)[tr], clicks[tr])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        before = detection_map(d.segments[te], fits["bf16", 0].predict(d.X[te]), [0.3]).mAP[0]
    after = detection_map(d.segments[te], fits["bf16", 25].predict(d.X[te]), [0.3]).mAP[0]
    assert after > before + 0.1, (before, after)
    assert np.all(np.isfinite(fits["bf16", 25].history_[:, "train_loss"]))
    # same weights, bf16 vs float32 prediction: bf16's 8-bit mantissa (~0.4 %)
    net = fits["32", 25]
    p32 = net.predict_proba(d.X[te])
    net.set_params(precision="bf16")
    net.net_.sktal_precision_ = "bf16"
    np.testing.assert_allclose(net.predict_proba(d.X[te]), p32, atol=0.05)


def test_16_mixed_needs_cuda():
    if torch.cuda.is_available():
        pytest.skip("CUDA present")
    with pytest.raises(ValueError, match="16-mixed.*CUDA"):
        BaSNet(precision="16-mixed").fit(None, None)


# ------------------------------------------------------------ base behaviour, every localizer
ids = [c.__name__ for c in LOCALIZERS]


@pytest.mark.parametrize("cls", LOCALIZERS, ids=ids)
def test_warm_start_continues_and_cold_start_restarts(cls, data):
    d, clicks = data
    est = cls(warm_start=True, **FAST).fit(d.X, _target(cls, d), clicks)
    first = [p.detach().clone() for p in est.module_.parameters()]
    net = est.net_
    est.set_params(max_epochs=1).fit(d.X, _target(cls, d), clicks)
    assert est.net_ is net and len(est.history_) == 3 and est.n_epochs_completed_ == 3
    assert any(not torch.equal(a, b) for a, b in zip(first, est.module_.parameters()))
    cold = cls(**FAST).fit(d.X, _target(cls, d), clicks).fit(d.X, _target(cls, d), clicks)
    assert len(cold.history_) == 2


@pytest.mark.parametrize("param,value", [("hidden_size", 4), ("lr", 0.5), ("dropout", 0.1)])
def test_warm_start_after_a_structural_set_params_raises(param, value, data):
    d, clicks = data
    est = BackTAL(warm_start=True, **FAST).fit(d.X, d.y, clicks)
    est.set_params(**{param: value})
    with pytest.raises(ValueError, match=f"warm_start=True but {param} changed"):
        est.fit(d.X, d.y, clicks)
    est.set_params(warm_start=False).fit(d.X, d.y, clicks)   # rebuilds
    assert len(est.history_) == 2


def test_loaded_model_warm_starts_from_the_shared_initialisation(data, tmp_path):
    import sktal

    d, clicks = data
    est = BaSNet(**FAST).fit(d.X, d.y)
    sktal.save(est, tmp_path / "m.pt")
    loaded = sktal.load(tmp_path / "m.pt")
    # the history is saved (#15.8): the loaded model knows its 2 epochs
    assert loaded.n_epochs_completed_ == 2 and loaded._built_with_ is not None
    np.testing.assert_array_equal(loaded.predict_proba(d.X), est.predict_proba(d.X))
    loaded.set_params(warm_start=True, max_epochs=1).fit(d.X, d.y)
    assert loaded.n_epochs_completed_ == 3 and len(loaded.history_) == 3
    with pytest.raises(ValueError, match="hidden_size changed"):
        loaded.set_params(hidden_size=4).fit(d.X, d.y)


@pytest.mark.parametrize("cls", LOCALIZERS, ids=ids)
def test_verbose_prints_each_loss_per_epoch_and_zero_is_silent(cls, data, capsys):
    d, clicks = data
    cls(**{**FAST, "verbose": 1}).fit(d.X, _target(cls, d), clicks)
    out = capsys.readouterr().out
    for name in ("train_loss",) + tuple(cls._loss_names):
        assert name in out
    cls(**FAST).fit(d.X, _target(cls, d), clicks)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("cls", LOCALIZERS, ids=ids)
def test_fit_restores_torch_global_random_state(cls, data):
    d, clicks = data
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    cls(**FAST).fit(d.X, _target(cls, d), clicks)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("resampling", ["interpolate", "perturb", None])
@pytest.mark.parametrize("cls", LOCALIZERS, ids=ids)
def test_videos_shorter_than_n_segments(cls, resampling):
    X = [np.random.default_rng(i).normal(size=(n, 12)).astype(np.float32)
         for i, n in enumerate([1, 3, 40])]
    y = np.eye(3)
    if cls.supervision == "segments":   # one instance of each video's class
        y = [np.array([[0.0, n, k]]) for k, n in enumerate([1, 3, 40])]
    clicks = [np.array([[0.0, 0]]), np.array([[2.0, -1], [1.0, 1]]), np.array([[20.0, 2]])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = cls(**{**FAST, "resampling": resampling}).fit(X, y, clicks)
    assert [c.shape for c in est.predict_cas(X)] == [(1, 3), (3, 3), (40, 3)]
    for det, x in zip(est.predict(X), X):
        assert np.all(det[:, 1] <= len(x) + 1e-9)


def _invalid_values(spec):
    """Values that violate a ``_param_checks`` entry."""
    import numbers

    kind = spec.get("kind", "default")
    options = spec.get("options")
    if not spec.get("allow_none", False) and (options is None or None not in options):
        yield None
    if options is not None and kind in ("default", None):
        yield "no-such-option"
        return
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if bool in kinds:
        yield "yes"
        return
    yield "text"
    if numbers.Integral in kinds and numbers.Real not in kinds:
        yield 1.5
    low, high = spec.get("low"), spec.get("high")
    if low is not None:
        yield low if not spec.get("include_low", True) else low - 1
    if high is not None:
        yield high if not spec.get("include_high", True) else high + 1


def _constraint_cases():
    for cls in LOCALIZERS:
        constraints = {}
        for klass in reversed(cls.__mro__):
            constraints.update(getattr(klass, "_param_checks", {}))
        params = cls().get_params(deep=False)
        for name, spec in constraints.items():
            if name not in params:   # a base constraint the class has no parameter for
                continue
            for value in _invalid_values(spec):
                yield pytest.param(cls, name, value, id=f"{cls.__name__}-{name}-{value!r}")


@pytest.mark.parametrize("cls,name,value", list(_constraint_cases()))
def test_values_outside_the_param_checks_are_rejected_at_fit(cls, name, value, data):
    d, clicks = data
    est = cls(**FAST).set_params(**{name: value})
    with pytest.raises((ValueError, TypeError), match=name):
        est.fit(d.X, _target(cls, d), clicks)


# ------------------------------------------------------------ progress display
def test_progress_lines_when_not_a_tty_are_plain(data, capsys):
    d, _ = data
    BaSNet(**{**FAST, "max_epochs": 3}, progress="lines").fit(d.X, d.y)
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert [line.split(",")[0] for line in lines] == [
        f"BaSNet: epoch {i}/3" for i in (1, 2, 3)]
    assert "ETA" in lines[0] and "\r" not in err and "\x1b" not in err


def test_progress_auto_is_silent_for_a_short_fit_and_none_always(data, capsys, monkeypatch):
    import sktal.base

    d, _ = data
    # 'auto' on a fit expected to end before PROGRESS_AFTER_S; set far above any
    # run time so that a slow, loaded machine cannot make the fit look long
    monkeypatch.setattr(sktal.base, "PROGRESS_AFTER_S", 1e9)
    BaSNet(**FAST).fit(d.X, d.y)
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(sktal.base, "PROGRESS_AFTER_S", 0.0)   # as if the fit were long
    BaSNet(**FAST).fit(d.X, d.y)
    assert capsys.readouterr().err.count("BaSNet: epoch") == 2   # stderr is not a TTY here
    BaSNet(**FAST, progress=None).fit(d.X, d.y)
    assert capsys.readouterr().err == ""
    BaSNet(**{**FAST, "verbose": 1}).fit(d.X, d.y)         # skorch's table instead
    assert "BaSNet: epoch" not in capsys.readouterr().err


def test_score_warns_when_ground_truth_is_in_seconds_not_timesteps(data):
    d, _ = data
    est = BaSNet(**FAST).fit(d.X, d.y)
    # boundaries in frames instead of snippets (16x too large) end far past each video
    as_frames = [np.column_stack([s[:, :2] * 16, s[:, 2]]) for s in d.segments]
    with pytest.warns(UserWarning, match="beyond"):
        est.score(d.X, as_frames)


def test_predict_shows_progress_over_chunks_and_detects_the_same(data, capsys, monkeypatch):
    import sktal.base

    d, _ = data
    est = BaSNet(**FAST, progress=None).fit(d.X, d.y)
    X = d.X * 3                                       # 24 videos, 3 chunks of 10
    quiet = est.predict(X)
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(sktal.base, "PREDICT_CHUNK", 10)
    shown = est.set_params(progress="lines").predict(X)
    lines = capsys.readouterr().err.strip().splitlines()
    assert [line.split(",")[0] for line in lines] == [
        f"BaSNet.predict: video {n}/24" for n in (10, 20, 24)]
    assert len(shown) == len(quiet) == 24
    for a, b in zip(shown, quiet):
        np.testing.assert_array_equal(a, b)
    monkeypatch.setattr(sktal.base, "PROGRESS_AFTER_S", 1e9)  # short, however loaded
    est.set_params(progress="auto").predict(X)        # expected short: nothing
    assert capsys.readouterr().err == ""


class _ModeProbe(Callback):
    """Record the module modes each training step ran in, then put one submodule in
    eval mode (the next step must be back in training mode)."""

    def __init__(self, record):
        self.record = record   # a plain function (the estimator deep-copies callbacks)

    def on_batch_end(self, net, training=False, **kwargs):
        if training:   # the modes the step ran in, then one submodule to eval
            self.record([m.training for m in net.module_.modules()])
            next(iter(net.module_.children())).eval()


def test_every_training_batch_runs_with_every_submodule_in_training_mode(data):
    # _set_training skips Module.train when nothing would change; a submodule left
    # in eval mode must still be switched back
    d, _ = data
    record = []
    BaSNet(**FAST, callbacks=[("probe", _ModeProbe(record.append))]).fit(d.X, d.y)
    assert len(record) == 4 and all(all(modes) for modes in record)
