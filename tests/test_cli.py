"""The command line: ``python -m sktal demo | train | predict | evaluate``."""
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import sktal
from sktal.cli import CLIError, main
from sktal.cli._common import estimator_class
from sktal.cli._train import parse_value
from sktal.datasets import make_temporal_actions, simulate_clicks
from sktal.metrics import evaluate_activitynet_json

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))
FPS, SNIPPET_FRAMES = 25.0, 16
SECONDS_PER_STEP = SNIPPET_FRAMES / FPS
TINY = ["--param", "hidden_size=8", "--param", "n_segments=16", "--param", "max_epochs=1",
        "--param", "batch_size=4"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Six videos in the BaS-Net layout (features/{rgb,flow}/<video>.npy), an
    ActivityNet-style gt.json (4 validation, 2 test videos, seconds at 25 fps and
    16-frame snippets) and a BackTAL background-click CSV."""
    root = tmp_path_factory.mktemp("cli")
    data = make_temporal_actions(n_videos=6, n_classes=2, n_features=8,
                                 length_range=(20, 40), random_state=0)
    for stream in ("rgb", "flow"):
        os.makedirs(root / "features" / stream)
    database = {}
    for i, (x, segments) in enumerate(zip(data.X, data.segments)):
        video = f"video_{i}"
        np.save(root / "features" / "rgb" / f"{video}.npy", x[:, :4])
        np.save(root / "features" / "flow" / f"{video}.npy", x[:, 4:])
        database[video] = {
            "subset": "validation" if i < 4 else "test",
            "duration": len(x) * SECONDS_PER_STEP,
            "fps": FPS,
            "annotations": [
                {"segment": [s * SECONDS_PER_STEP, e * SECONDS_PER_STEP],
                 "label": data.class_names[int(c)]}
                for s, e, c in segments
            ],
        }
    with open(root / "gt.json", "w") as fh:
        json.dump({"database": database}, fh)
    clicks = simulate_clicks(data.segments, data.lengths, kind="background", random_state=0)
    with open(root / "clicks.csv", "w") as fh:
        fh.write("URLID,URL,TagID,Tag,Start,End,Time,State\n")
        for i, video_clicks in enumerate(clicks):
            for t, _ in video_clicks:
                seconds = (t + 0.5) * SECONDS_PER_STEP
                fh.write(f"video_{i},,1,background,{seconds:.3f},{seconds:.3f},,\n")
    return root


@pytest.fixture(scope="module")
def trained(folder):
    """``sktal train`` on the validation videos; returns the model path."""
    model = folder / "backtal.pt"
    code = main(["train", "--method", "backtal", "--features", str(folder / "features"),
                 "--annotations", str(folder / "gt.json"), "--clicks",
                 str(folder / "clicks.csv"), "--subset", "validation", "--out", str(model),
                 "-q", *TINY])
    assert code == 0
    return model


def _one_line_error(capsys):
    err = capsys.readouterr().err.strip()
    assert err.startswith("sktal: error: ") and "\n" not in err and "Traceback" not in err
    return err


# ------------------------------------------------------------------- help
def test_help_runs_as_a_module():
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "sktal", "--help"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    for command in ("demo", "train", "predict", "evaluate"):
        assert command in proc.stdout


@pytest.mark.parametrize("command, options", [
    ("demo", ["--method", "--seed", "--plot", "--quick"]),
    ("train", ["--features", "--annotations", "--clicks", "--layout", "--subset", "--param",
               "--out"]),
    ("predict", ["--model", "--features", "--annotations", "--fps", "--snippet-frames",
                 "--out"]),
    ("evaluate", ["--ground-truth", "--results", "--subset", "--tiou", "--json"]),
])
def test_every_command_documents_its_options(command, options, capsys):
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    for option in options:
        assert option in out


def test_no_command_is_a_usage_error(capsys):
    assert main([]) == 2
    assert "choose a command" in capsys.readouterr().err


# ------------------------------------------------------- train, predict, evaluate
def test_train_saves_weights_params_and_class_names(folder, trained):
    estimator = sktal.load(trained)
    assert type(estimator).__name__ == "BackTAL"
    params = estimator.get_params()
    assert (params["hidden_size"], params["n_segments"], params["max_epochs"]) == (8, 16, 1)
    assert params["callbacks"] is None  # the progress bar is not saved with the model
    with open(f"{trained}.json") as fh:
        info = json.load(fh)
    assert info["class_names"] == ["action_0", "action_1"]
    assert info["layout"] == "rgb_flow" and info["snippet_frames"] == SNIPPET_FRAMES


def test_predict_writes_seconds_and_evaluate_reads_them(folder, trained, capsys):
    results = folder / "results.json"
    assert main(["predict", "--model", str(trained), "--features", str(folder / "features"),
                 "--annotations", str(folder / "gt.json"), "--subset", "test",
                 "--out", str(results), "-q"]) == 0
    with open(results) as fh:
        written = json.load(fh)
    assert sorted(written["results"]) == ["video_4", "video_5"]

    # the detections of the estimator, converted from snippets to seconds
    estimator = sktal.load(trained)
    x = np.hstack([np.load(folder / "features" / s / "video_4.npy") for s in ("rgb", "flow")])
    expected = estimator.predict([x])[0]
    got = written["results"]["video_4"]
    assert len(got) == len(expected)
    np.testing.assert_allclose([d["segment"] for d in got], expected[:, :2] * SECONDS_PER_STEP)
    assert [d["label"] for d in got] == [f"action_{int(c)}" for c in expected[:, 2]]

    capsys.readouterr()
    assert main(["evaluate", "--ground-truth", str(folder / "gt.json"), "--results",
                 str(results), "--subset", "test"]) == 0
    table = capsys.readouterr().out
    for row in ("0.1 ", "0.7 ", "0.1:0.5", "0.3:0.7", "0.1:0.7"):
        assert row in table

    assert main(["evaluate", "--ground-truth", str(folder / "gt.json"), "--results",
                 str(results), "--subset", "test", "--json"]) == 0
    numbers = json.loads(capsys.readouterr().out)
    reference = evaluate_activitynet_json(folder / "gt.json", results, subset="test")
    np.testing.assert_allclose(numbers["mAP"], reference.mAP)  # fractions, not percent
    np.testing.assert_allclose(numbers["tiou_thresholds"], np.linspace(0.1, 0.7, 7))
    assert numbers["averages"]["0.1:0.5"] == pytest.approx(reference.mAP[:5].mean())
    assert f"{100 * reference.mAP[0]:.2f}" in table


def test_predict_without_annotations_uses_fps_and_snippet_frames(folder, trained):
    with_gt, without_gt = folder / "with_gt.json", folder / "without_gt.json"
    common = ["--model", str(trained), "--features", str(folder / "features"), "-q"]
    assert main(["predict", *common, "--annotations", str(folder / "gt.json"),
                 "--out", str(with_gt)]) == 0
    assert main(["predict", *common, "--fps", "25", "--snippet-frames", "16",
                 "--out", str(without_gt)]) == 0
    with open(with_gt) as a, open(without_gt) as b:
        assert json.load(a)["results"] == json.load(b)["results"]


def test_evaluate_accepts_activitynet_thresholds(folder, capsys):
    results = {"results": {"video_4": []}}
    path = folder / "empty_results.json"
    with open(path, "w") as fh:
        json.dump(results, fh)
    assert main(["evaluate", "--ground-truth", str(folder / "gt.json"), "--results", str(path),
                 "--tiou", "activitynet"]) == 0
    out = capsys.readouterr().out
    assert "0.95" in out and "0.5:0.95" in out


# ---------------------------------------------------------------------- demo
def test_demo_quick_prints_the_map_table_and_saves_a_plot(tmp_path, capsys):
    plot = tmp_path / "demo.png"
    assert main(["demo", "--quick", "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    for row in ("tIoU", "0.1 ", "0.7 ", "0.1:0.5", "0.3:0.7", "0.1:0.7"):
        assert row in out
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert "matplotlib is not installed" in out
    else:
        assert plot.stat().st_size > 0


def test_demo_plot_without_matplotlib(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from sktal.cli._demo import _plot_demo

    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    cas = np.zeros((20, 2))
    cas[5:10, 1] = 0.9
    path = tmp_path / "plot.png"
    drawn = _plot_demo(path, cas, np.array([[5.0, 10.0, 1]]), np.array([[4.0, 9.0, 1, 0.8]]),
                       ["a", "b"], "title")
    assert not drawn and not path.exists()  # skipped, and the demo says so


# -------------------------------------------------------------------- errors
@pytest.mark.parametrize("command", ["train", "predict", "evaluate"])
def test_missing_file_exits_2_naming_the_file(command, folder, tmp_path, capsys):
    missing = str(tmp_path / "missing.json")
    argv = {
        "train": ["train", "--features", str(folder / "features"), "--annotations", missing,
                  "--out", str(tmp_path / "m.pt")],
        "predict": ["predict", "--model", missing, "--features", str(folder / "features"),
                    "--out", str(tmp_path / "r.json")],
        "evaluate": ["evaluate", "--ground-truth", str(folder / "gt.json"),
                     "--results", missing],
    }[command]
    assert main(argv) == 2
    assert missing in _one_line_error(capsys)


def test_bad_json_exits_2(folder, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"results": {')
    assert main(["evaluate", "--ground-truth", str(folder / "gt.json"),
                 "--results", str(bad)]) == 2
    assert "not valid JSON" in _one_line_error(capsys)
    bad.write_text('{"something": 1}')
    assert main(["evaluate", "--ground-truth", str(bad), "--results", str(bad)]) == 2
    assert "'database'" in _one_line_error(capsys)


def test_not_a_model_file_exits_2(folder, tmp_path, capsys):
    assert main(["predict", "--model", str(folder / "gt.json"), "--features",
                 str(folder / "features"), "--out", str(tmp_path / "r.json")]) == 2
    assert "not a model file" in _one_line_error(capsys)


def test_unknown_parameter_is_rejected_before_loading(folder, tmp_path, capsys):
    assert main(["train", "--features", str(folder / "features"), "--annotations",
                 str(folder / "gt.json"), "--out", str(tmp_path / "m.pt"),
                 "--param", "hiden_size=8"]) == 2
    assert "did you mean hidden_size" in _one_line_error(capsys)


def test_bad_parameter_value_is_rejected_before_the_features_are_read(tmp_path, capsys):
    # the features folder does not exist: only a check that runs first can answer
    assert main(["train", "--features", str(tmp_path / "nowhere"), "--annotations",
                 str(tmp_path / "gt.json"), "--out", str(tmp_path / "m.pt"),
                 "--param", "lr=-1"]) == 2
    message = _one_line_error(capsys)
    assert "--param" in message and "lr" in message and "no such" not in message


def test_missing_clicks_tell_the_command_line_remedy(folder, tmp_path, capsys):
    assert main(["train", "--features", str(folder / "features"), "--annotations",
                 str(folder / "gt.json"), "--out", str(tmp_path / "m.pt"), "-q", *TINY]) == 2
    assert "--simulate-clicks background" in _one_line_error(capsys)
    assert not (tmp_path / "m.pt").exists()


def test_debug_shows_the_traceback(folder, tmp_path):
    with pytest.raises(CLIError, match="no such file"):
        main(["--debug", "evaluate", "--ground-truth", str(folder / "gt.json"),
              "--results", str(tmp_path / "missing.json")])


# ------------------------------------------------------------------- helpers
@pytest.mark.parametrize("text, value", [
    ("8", 8), ("1e-3", 1e-3), ("0.5", 0.5), ("true", True), ("False", False),
    ("None", None), ("[0.3, 0.5]", [0.3, 0.5]), ("code", "code"),
])
def test_param_values_are_parsed(text, value):
    parsed = parse_value(text)
    assert parsed == value and type(parsed) is type(value)


def test_an_unknown_method_gives_a_clear_error():
    with pytest.raises(CLIError, match="unknown method 'nope'; choose from basnet, ten, "
                                       "backtal, fsptal"):
        estimator_class("nope")
    assert estimator_class("BackTAL").__name__ == "BackTAL"


def test_tiou_thresholds_out_of_range_are_a_usage_error(folder, capsys):
    for values in (["1.5"], ["x"]):
        assert main(["evaluate", "--ground-truth", str(folder / "gt.json"),
                     "--results", str(folder / "gt.json"), "--tiou", *values]) == 2
        assert re.search(r"--tiou: .*\[0, 1\]", capsys.readouterr().err)


# ------------------------------------------------------------------- Ctrl-C
@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child is POSIX-only")
def test_train_ctrl_c_saves_the_partial_model_and_exits_130(folder, tmp_path):
    import signal
    import time

    model = tmp_path / "partial.pt"
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        [sys.executable, "-m", "sktal", "train", "--method", "basnet", "--features",
         str(folder / "features"), "--annotations", str(folder / "gt.json"),
         "--subset", "validation", "--out", str(model), "--param", "hidden_size=8",
         "--param", "n_segments=16", "--param", "max_epochs=1000000",
         "--param", "batch_size=4"],
        stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    lines, deadline = [], time.monotonic() + 60
    try:
        for line in proc.stderr:  # plain per-epoch lines (stderr is not a terminal)
            lines.append(line)
            if re.search(r"epoch [3-9]\d*/1000000", line):  # a few epochs done
                break
            assert time.monotonic() < deadline, "".join(lines)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    err = "".join(lines) + err
    assert proc.returncode == 130, err
    assert "KeyError" not in err and "Traceback" not in err, err
    match = re.search(r"interrupted after (\d+) of 1000000 epochs; the partial model is "
                      r"saved to", err)
    assert match, err
    assert "training stopped after" not in err and err.count("interrupted") == 1, err
    estimator = sktal.load(model)
    assert estimator.n_epochs_completed_ == int(match.group(1)) >= 3
    assert len(estimator.history_) == estimator.n_epochs_completed_
    assert estimator.get_params()["on_interrupt"] == "auto"  # not the CLI's 'warn'
    x = np.hstack([np.load(folder / "features" / s / "video_4.npy") for s in ("rgb", "flow")])
    assert isinstance(estimator.predict([x])[0], np.ndarray)
    with open(f"{model}.json") as fh:
        assert json.load(fh)["method"] == "BaSNet"


def test_fit_estimator_reports_early_stopping_as_progress_not_as_an_interrupt(capsys):
    import argparse

    from skorch.callbacks import EarlyStopping

    from sktal.cli._common import fit_estimator

    d = make_temporal_actions(n_videos=8, n_classes=2, n_features=8, random_state=0)
    stop = EarlyStopping(monitor="train_loss", patience=1, threshold=1e9)
    estimator = sktal.BaSNet(hidden_size=8, n_segments=16, max_epochs=50, batch_size=4,
                             callbacks=[stop], random_state=0)
    fit_estimator(estimator, d.X, d.y, None, argparse.Namespace(quiet=False, debug=False))
    captured = capsys.readouterr()
    epochs = len(estimator.history_)
    assert epochs < 50 and not estimator.interrupted_
    assert f"stopped early after {epochs} of 50 epochs" in captured.out
    assert "interrupted" not in captured.err and "warning" not in captured.err


def test_train_interrupted_before_any_epoch_saves_nothing(folder, tmp_path, monkeypatch,
                                                          capsys):
    def interrupted_fit(estimator, X, y, clicks, args, **for_this_fit):
        estimator.n_epochs_completed_, estimator.interrupted_ = 0, True
        return estimator

    monkeypatch.setattr("sktal.cli._train.fit_estimator", interrupted_fit)
    model = tmp_path / "none.pt"
    code = main(["train", "--method", "basnet", "--features", str(folder / "features"),
                 "--annotations", str(folder / "gt.json"), "--subset", "validation",
                 "--out", str(model), "-q", *TINY])
    assert code == 130
    assert "before the first epoch completed; no model saved" in capsys.readouterr().err
    assert not model.exists()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to oneself is POSIX-only")
def test_train_defers_the_first_ctrl_c_to_the_end_of_the_batch():
    # a KeyboardInterrupt raised inside a finalizer is lost ("Exception ignored"), so
    # `sktal train` records the first Ctrl-C and raises it from the training loop
    import signal

    from sktal.cli._train import _deferred_sigint

    before = signal.getsignal(signal.SIGINT)
    with _deferred_sigint() as stop:
        stop.on_batch_end(None)  # no request: nothing happens
        os.kill(os.getpid(), signal.SIGINT)  # recorded, not raised here
        with pytest.raises(KeyboardInterrupt):
            stop.on_batch_end(None)
        with pytest.raises(KeyboardInterrupt):  # a second Ctrl-C interrupts at once
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(1000):  # the handler runs between bytecodes
                pass
    assert signal.getsignal(signal.SIGINT) is before
    with _deferred_sigint() as stop:  # a new training starts without the request
        stop.on_batch_end(None)
