"""Smoke tests of the benchmark scripts: each runs end to end in its --quick mode."""
import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from sktal._registry import LOCALIZERS, get_localizer

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))
BENCHMARKS = os.path.join(ROOT, "benchmarks")


def _run(script, *args, tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS="1")
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, os.path.join(BENCHMARKS, script), "--quick", "--out", str(out),
         *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return proc.stdout, json.loads(out.read_text())


def _load_run_methods():
    spec = importlib.util.spec_from_file_location(
        "run_methods", os.path.join(BENCHMARKS, "run_methods.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_run_methods_quick_prints_both_protocols_and_ablations(tmp_path):
    stdout, results = _run("run_methods.py", "--suite", "synthetic", tmp_path=tmp_path)
    assert "protocol clean" in stdout and "protocol paper" in stdout
    for title in ("BackTAL Table 7", "BackTAL Table 6", "TEN Table 3", "TEN Table 4",
                  "FS-PTAL Table 2"):
        assert title in stdout
    for name in LOCALIZERS:   # the weak localizers; the ceiling is bench_refinement's
        if get_localizer(name).supervision != "segments":
            assert f"{name} (" in stdout
    runs = [r for r in results["runs"] if "error" not in r]
    assert runs and all(len(r["clean"]) == 7 and len(r["paper"]) == 7 for r in runs)
    # the paper protocol keeps the best evaluation, so it is never below the clean one
    assert all(np.mean(r["paper"]) >= np.mean(r["clean"]) - 1e-12 for r in runs)


def test_run_methods_quick_thumos_timelines(tmp_path, shared_data):
    stdout, results = _run("run_methods.py", "--suite", "thumos", "--ablations", "none",
                           "--data-dir", os.path.join(shared_data, "thumos14"),
                           tmp_path=tmp_path)
    assert "[thumos]" in stdout and "annotator A1" in stdout
    assert {r["supervision"] for r in results["runs"]} == {
        "video", "background", "action", "both"}


def test_paper_protocol_evaluations_do_not_change_the_clean_result():
    rm = _load_run_methods()
    args = rm.parse_args(["--quick"])
    args.max_epochs = 3
    split = rm.synthetic_split(args, 0)
    row = rm.Row("TEN", "TEN", "video")
    args.eval_every = 0
    without = rm.fit_row(row, args, split, 0)
    args.eval_every = 1
    with_evaluations = rm.fit_row(row, args, split, 0)
    assert with_evaluations["clean"] == without["clean"]
    assert with_evaluations["evaluated_epochs"] == [1, 2, 3]


def test_bench_speed_quick_prints_training_prediction_and_postprocessing(tmp_path):
    stdout, results = _run("bench_speed.py", "--device", "cpu", "--amp",
                           tmp_path=tmp_path)
    for section in ("Training", "Prediction", "Post-processing", "matmul rate"):
        assert section in stdout
    assert {(r["method"], r["precision"]) for r in results["methods"]} == {
        (m, p) for m in LOCALIZERS for p in ("32", "bf16")}
    for r in results["methods"]:
        assert 0.0 <= r["outside_core_share"] < 1.0, r
    assert "outside" in stdout
    methods = {r["method"]: r for r in results["methods"]}
    assert set(methods) == set(LOCALIZERS)
    for r in methods.values():
        assert "error" not in r, r
        assert r["epoch_seconds"] > 0 and r["flops_epoch"] > 0
        assert r["predict_videos_per_second"] > 0 and r["rss_train_peak_mib"] > 0
    assert results["matmul_flops_per_second"]["fp32"] > 0


@pytest.mark.parametrize(
    "script,expected",
    [
        ("bench_backtal.py", ["BaSNet", "BackTAL", "avg 0.1:0.7"]),
        ("bench_ten.py", ["BL+BGES", "TEN+BGES", "avg 0.1:0.7"]),
        ("bench_fsptal.py", ["FSPTAL", "BackTAL", "avg(0.1:0.7)"]),
        ("bench_localization.py", ["speed-up"]),
        ("bench_metrics.py", ["speed-up", "agree"]),
    ],
)
def test_per_method_and_component_benchmarks_run_quick(script, expected):
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS="1")
    proc = subprocess.run(
        [sys.executable, os.path.join(BENCHMARKS, script), "--quick"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    for text in expected:
        assert text in proc.stdout, f"{script}: {text!r} missing from its output"


@pytest.mark.slow
def test_bench_speed_compile_and_batches_options(tmp_path):
    stdout, results = _run("bench_speed.py", "--device", "cpu", "--methods", "BaSNet",
                           "--compile", "--batches", "1", tmp_path=tmp_path)
    (r,) = results["methods"]
    assert r["compiled"] and r["compile_seconds"] > 0 and r["batches_timed"] == 1
    assert "torch.compile'd" in stdout
