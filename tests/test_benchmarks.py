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
    # every table of every weak localizer's _paper_tables runs, with its rows
    for name in LOCALIZERS:   # the weak localizers; the ceiling is --refinement's
        cls = get_localizer(name)
        if cls.supervision == "segments":
            continue
        assert f"{name} (" in stdout
        for table, spec in (getattr(cls, "_paper_tables", None) or {}).items():
            assert f"{name} {table} ({spec['caption']})" in stdout
            for label, _, _ in spec["rows"]:
                assert f"\n{label} " in stdout, (name, table, label)
    assert "BackTAL Table 6" in stdout
    assert "after each evaluated epoch" in stdout and "ep 1" in stdout
    assert "attention inside / near / far background" in stdout
    assert "TEN (defaults)" in stdout and "epoch:in/near/far" in stdout
    runs = [r for r in results["runs"] if "error" not in r]
    assert runs and all(len(r["clean"]) == 7 and len(r["paper"]) == 7 for r in runs)
    # the paper protocol keeps the best evaluation, so it is never below the clean one
    assert all(np.mean(r["paper"]) >= np.mean(r["clean"]) - 1e-12 for r in runs)
    for r in runs:  # the curve ends with the clean result; only TEN has an attention
        assert r["curve"][-1] == r["clean"] and len(r["curve"]) == len(r["evaluated_epochs"])
        assert bool(r["attention"]) == (r["method"] == "TEN"), r["row"]
        assert all(0.0 <= a <= 1.0 for _, *att in r["attention"] for a in att)


def test_run_methods_quick_thumos_timelines_with_refinement(tmp_path, shared_data):
    stdout, results = _run("run_methods.py", "--suite", "thumos", "--ablations", "none",
                           "--refinement", "--voting", "0.7,0.5",
                           "--data-dir", os.path.join(shared_data, "thumos14"),
                           tmp_path=tmp_path)
    assert "[thumos]" in stdout and "annotator A1" in stdout
    assert {r["supervision"] for r in results["runs"]} == {
        "video", "background", "action", "both"}
    assert "SegmentDetector (full supervision)" in stdout and "pseudo P / R" in stdout
    assert "two-stage training per seed" in stdout
    assert "score voting of the fitted detectors" in stdout
    for r in results["refinement"]:   # every fitted detector, the ceiling's too
        assert sorted(r["voting"]) == ["0.5", "0.7"], r["row"]
        assert all(len(m) == 7 and all(0.0 <= v <= 1.0 for v in m)
                   for m in r["voting"].values())
    two_stage = results["refinement"]
    assert [r["supervision"] for r in two_stage] == [
        "segments", "video", "video", "background", "action", "action", "both"]
    main = {(r["row"], r["supervision"]): r for r in results["runs"]}
    for r in two_stage[1:]:
        assert f"{r['row']} + refinement (" in stdout
        assert 0.0 <= r["precision"] <= 1.0 and 0.0 <= r["recall"] <= 1.0
        # the refiner's first stage is the main row's estimator: same budget, same seed
        assert r["first_stage"] == main[(r["row"], r["supervision"])]["clean"], r["row"]
        assert r["first_stage_reused"], r["row"]  # not trained a second time


def test_reduced_budget_is_per_suite_and_explicit_options_win():
    rm = _load_run_methods()

    def budgets(*argv):
        args = rm.parse_args(list(argv))
        return {s: rm._budget(rm.suite_args(args, s)) for s in args.suites}

    default = budgets()
    assert set(default) == {"synthetic", "thumos"}
    assert (default["thumos"]["n_segments"], default["thumos"]["max_epochs"]) == (384, 30)
    assert (default["synthetic"]["n_segments"],
            default["synthetic"]["max_epochs"]) == (128, 40)
    assert all(b["hidden_size"] == 64 and b["dropout"] == 0.3 for b in default.values())
    given = budgets("--n-segments", "200", "--dropout", "default")
    assert given["thumos"]["n_segments"] == given["synthetic"]["n_segments"] == 200
    assert given["thumos"]["max_epochs"] == 30  # the other per-suite value stays
    assert all("dropout" not in b for b in given.values())  # each method's own
    # the ten-zones preset keeps TEN's own dropout (docs/methods/ten.rst's figures)
    assert "dropout" not in budgets("--preset", "ten-zones")["ten-synthetic"]
    real = budgets("--features", "unused")["features"]
    assert not {"n_segments", "max_epochs", "dropout", "hidden_size"} & set(real)
    with pytest.raises(SystemExit):
        rm.parse_args(["--dropout", "1.5"])
    lacp = [r for r in rm.MAIN_ROWS if "LACP" in r.label]
    assert len(lacp) == 1 and lacp[0].method == "FSPTAL"
    assert dict(lacp[0].params) == {**rm.ADDITIONS_OFF, **rm.LACP_PIECES}


def test_method_budget_is_per_suite_printed_and_explicit_options_win():
    import types

    rm = _load_run_methods()
    split = types.SimpleNamespace(n_rgb_features=32, n_classes=5)
    ten, basnet = rm.Row("TEN", "TEN", "video"), rm.Row("BaSNet", "BaSNet", "video")

    def epochs(argv, suite, row):
        args = rm.suite_args(rm.parse_args(argv), suite)
        return rm.build(row, args, split, seed=0).max_epochs

    own = rm.METHOD_BUDGET["synthetic"]["TEN"]["max_epochs"]
    suite = rm.SUITE_BUDGET["synthetic"]["max_epochs"]
    assert own != suite   # otherwise this test proves nothing
    assert epochs([], "synthetic", ten) == own
    assert epochs([], "synthetic", basnet) == suite   # only TEN's budget changes
    assert epochs([], "thumos", ten) == rm.SUITE_BUDGET["thumos"]["max_epochs"]
    assert epochs(["--max-epochs", "7"], "synthetic", ten) == 7   # the option wins
    # a row that sets a budget parameter keeps it
    fixed = rm.row("TEN 3", "TEN", max_epochs=3)
    assert epochs([], "synthetic", fixed) == 3
    assert rm.parse_args(["--features", "unused"]).method_budget == {}
    # --methods without TEN: no TEN budget to print
    assert rm.parse_args(["--methods", "BaSNet"]).method_budget == {
        "synthetic": {}, "thumos": {}}


def test_orderings_are_paired_per_seed_differences():
    rm = _load_run_methods()
    (_, backtal), _, (_, fsptal) = rm._orderings()
    both, bg, basnet = backtal[0::2]
    values = {both.key(): [40, 42, 38], bg.key(): [35, 36, 39], basnet.key(): [20, 21, 19],
              fsptal[0].key(): [30, 31, 32], fsptal[2].key(): [33, 34, 35]}
    results = [{"key": key, "seed": seed, "clean": [v / 100] * 7}
               for key, vs in values.items() for seed, v in zip((2, 0, 1), vs)]
    lines = rm.ordering_lines(results)
    assert len(lines) == 6
    link = {tuple(cell for cell in line[1:2]): line for line in lines}
    first = link[("BackTAL (both) >= BackTAL (background)",)]
    # per seed 40-35, 42-36, 38-39 (seeds 2, 0, 1): +5, +6, -1
    assert first[2] == f"{np.mean([5, 6, -1]):+6.1f} ±{np.std([5, 6, -1]):4.1f}"
    assert first[3] == "+5.0 / +6.0 / -1.0"
    assert first[4] == f"{max(np.std([40, 42, 38]), np.std([35, 36, 39])):5.1f}"
    assert first[5] == "holds on the mean only, |mean| > spread"
    second = link[("BackTAL (background) > BaSNet (video)",)]
    assert second[5] == "holds on every seed, |mean| > spread"
    ten_links = [line for line in lines if "TEN" in line[1]]
    assert len(ten_links) == 2 and all(line[-1].strip() == "not run on this suite"
                                       for line in ten_links)
    lacp = [line for line in lines if line[1].startswith("FSPTAL (action) >=")][0]
    assert lacp[3] == "-3.0 / -3.0 / -3.0" and lacp[5].startswith("reversed on every seed")


def test_ablation_tables_print_paired_differences_and_reprint_from_json(tmp_path, capsys):
    rm = _load_run_methods()
    table = rm.ABLATIONS["ten3"]  # BL, BL+BGES, TEN, TEN+BGES; avg mAP 0.3:0.7
    bl, bges, ten, _ = table.rows
    # seeds listed in another order per row: the difference must pair them by seed
    values = {bl.key(): {0: 20, 1: 22, 2: 30}, bges.key(): {2: 31, 0: 25, 1: 22},
              ten.key(): {1: 20}}  # TEN: one seed only; TEN+BGES: not run
    runs = [{"key": key, "seed": seed, "clean": [v / 100] * 7, "paper": [v / 100] * 7,
             "row": "r", "method": "TEN", "supervision": "video",
             "params": dict(key[2]), "suite": "synthetic"}
            for key, by_seed in values.items() for seed, v in by_seed.items()]
    rm.print_ablation("synthetic", table, runs, [0, 1, 2])
    out = capsys.readouterr().out
    lines = {line.split("  ")[0]: line for line in out.splitlines()}
    # BL+BGES - BL per seed: 25-20, 22-22, 31-30 = +5, 0, +1
    diffs = [5, 0, 1]
    assert lines["BL+BGES"].rstrip().endswith(
        f"{np.mean(diffs):+5.1f} ±{np.std(diffs):4.1f}   34.5     {34.5 - 31.2:+.1f}")
    assert "-2.0 ± 0.0" in lines["TEN"]  # seed 1 only: 20 - 22
    first = lines["BL"].split()
    assert first[-3:] == ["-", "31.2", "-"]  # no difference of the first row to itself
    assert "TEN+BGES" in out and "not run" in lines["TEN+BGES"]
    # --orderings re-prints the recorded ablation tables from the --out JSON
    path = tmp_path / "runs.json"
    saved = [{k: v for k, v in r.items() if k != "key"} for r in runs]
    path.write_text(json.dumps({"config": {"methods": ["TEN"], "ablations": ["ten3"],
                                           "ablation_suites": ["synthetic"]},
                                "runs": saved}))
    rm.orderings_from(str(path))
    reprinted = capsys.readouterr().out
    assert "the papers' orderings" in reprinted
    assert out.strip() in reprinted


def test_refinement_gains_per_seed_match_a_hand_computation(tmp_path, capsys):
    rm = _load_run_methods()
    rows = [r for r in rm.MAIN_ROWS if r.method in ("FSPTAL", "BackTAL")]
    fsptal = next(r for r in rows if (r.label, r.supervision) == ("FSPTAL", "action"))
    backtal = next(r for r in rows if r.supervision == "background")

    def record(row, seed, first, refined):
        return {"row": row.label, "supervision": row.supervision, "seed": seed,
                "first_stage": [first] * 7, "refined": [refined] * 7,
                "precision": 0.5, "recall": 0.25, "suite": "synthetic"}

    results = [
        {"row": "SegmentDetector", "supervision": "segments", "seed": 0,
         "refined": [0.6] * 7, "suite": "synthetic"},
        {"row": "SegmentDetector", "supervision": "segments", "seed": 1,
         "refined": [0.5] * 7, "suite": "synthetic"},
        record(fsptal, 0, 0.40, 0.45), record(fsptal, 1, 0.30, 0.36),
        record(backtal, 0, 0.20, 0.19), record(backtal, 1, 0.10, 0.12)]
    rm.print_refinement("synthetic", results, rows, [0, 1])
    out = capsys.readouterr().out
    lines = {line[:46].strip(): line for line in out.splitlines()[-6:]}
    # FSPTAL: 40 -> 45 (+5), 30 -> 36 (+6), mean +5.5; BackTAL: -1, +2, mean +0.5
    assert lines[rm._name(fsptal)].split()[-9:] == [
        "40.0", "->", "45.0", "+5.0", "30.0", "->", "36.0", "+6.0", "+5.5"]
    assert lines[rm._name(backtal)].split()[-9:] == [
        "20.0", "->", "19.0", "-1.0", "10.0", "->", "12.0", "+2.0", "+0.5"]
    # the ceiling (60, 50: 55.0) against the best first stage's mean (FSPTAL 35.0)
    assert (f"note: SegmentDetector (full supervision) 55.0, +20.0 over the best first "
            f"stage, {rm._name(fsptal)} 35.0") in out
    # rows that were not run are left out of the per-seed table, not printed empty
    per_seed = out[out.index("two-stage training per seed"):].splitlines()
    assert len(per_seed) == 5 and "not run" in out[:out.index("per seed")]
    # --voting: a table of each fitted detector without and with voting, nothing without
    assert "score voting" not in out
    for r, votes in zip(results, ([0.62] * 7, [0.50] * 7, [0.47] * 7, [0.34] * 7)):
        r["voting"] = {"0.7": votes}
    rm.print_refinement("synthetic", results[:4], rows, [0, 1])
    voting = capsys.readouterr().out.split("score voting")[1].splitlines()
    assert voting[2].split()[-6:] == ["55.0", "±", "5.0", "56.0", "±", "6.0"]  # 62, 50
    # FS-PTAL: refined 45, 36 without voting; 47, 34 with it
    assert voting[3].split()[-6:] == ["40.5", "±", "4.5", "40.5", "±", "6.5"]
    assert len(voting) == 4  # BackTAL's records were left out: no row
    # --orderings re-prints the two-stage tables from an --out JSON
    for r in results:
        r.pop("voting", None)
    path = tmp_path / "runs.json"
    path.write_text(json.dumps({"config": {"methods": ["FSPTAL", "BackTAL"]},
                                "runs": [], "refinement": results}))
    rm.orderings_from(str(path))
    assert capsys.readouterr().out.strip() == out.strip()


def test_ablation_rows_are_read_from_the_paper_tables():
    rm = _load_run_methods()
    from sktal._docs import paper_table_rows

    for name in ("BaSNet", "TEN", "BackTAL", "FSPTAL"):
        cls = get_localizer(name)
        for table in cls._paper_tables:
            rows = rm.ABLATIONS[name.lower() + table.split()[-1]].rows
            for label, params, published in paper_table_rows(cls, table):
                row = next(r for r in rows if r.label == label)
                est = cls(**dict(row.params))  # the row's estimator is the table's
                assert {k: est.get_params()[k] for k in params} == params
                if np.ndim(published) == 0:
                    assert row.paper == published
    # a setting spelled with defaults is the main row's configuration (trained once)
    ten3 = {r.label: r for r in rm.ABLATIONS["ten3"].rows}
    assert ten3["TEN+BGES"].key() == rm.Row("TEN", "TEN", "video").key()
    bt7 = {r.label: r for r in rm.ABLATIONS["backtal7"].rows}
    assert bt7["baseline (BaS-Net, interpolation)"].supervision == "video"
    assert bt7["full BackTAL"].key() == rm.Row("BackTAL", "BackTAL", "background").key()
    # BaS-Net's Table 2 gives a value per threshold: the paper column is their average
    basnet = {r.label: r for r in rm.ABLATIONS["basnet2"].rows}
    assert basnet["BaS-Net"].paper == pytest.approx(np.mean(
        [58.2, 52.3, 44.6, 36.0, 27.0, 18.6, 10.4]))
    assert not rm.ABLATIONS["ten-variants"].in_all


def test_attention_zones_match_a_hand_count():
    rm = _load_run_methods()
    # snippet centres 0.5 ... 29.5; one instance [10, 12]: centres 10.5, 11.5 inside
    inside, near, far = rm.attention_zones(30, np.array([[10.0, 12.0, 0]]), near=3)
    assert np.flatnonzero(inside).tolist() == [10, 11]
    assert np.flatnonzero(near).tolist() == [7, 8, 9, 12, 13, 14]  # within 3 of an end
    assert (inside ^ near ^ far).all() and not (inside & far).any()
    # no instance: everything is far background
    assert rm.attention_zones(5, np.zeros((0, 3)))[2].all()


def test_ten_zones_preset_prints_the_three_zones_quick(tmp_path):
    stdout, results = _run("run_methods.py", "--preset", "ten-zones", tmp_path=tmp_path)
    assert "[ten-synthetic] attention inside / near / far background" in stdout
    assert "TEN's BGES under each reading" in stdout
    rows = _load_run_methods().ABLATIONS["ten-zones"].rows
    runs = [r for r in results["runs"] if r["params"].get("dropout") == 0.5]
    assert sorted(r["row"] for r in runs) == sorted(r.label for r in rows)
    assert all("error" not in r for r in runs)
    for r in runs:  # (epoch, inside, near, far) after every epoch, each a mean attention
        assert [a[0] for a in r["attention"]] == [1, 2]
        assert all(len(a) == 4 and all(0.0 <= v <= 1.0 for v in a[1:])
                   for a in r["attention"]), r["row"]


def test_pseudo_precision_recall_matches_a_hand_count():
    rm = _load_run_methods()
    truth = [np.array([[0.0, 10.0, 0], [20.0, 30.0, 1]]), np.array([[5.0, 9.0, 0]])]
    pseudo = [np.array([[0.0, 9.0, 0, 1.0],     # tIoU 0.9 with the first: a hit
                        [1.0, 9.5, 0, 0.5],     # the same instance again: a miss
                        [20.0, 30.0, 0, 1.0]]),  # wrong class: a miss
              np.array([[0.0, 20.0, 0, 1.0]])]  # tIoU 0.2: a miss
    assert rm.pseudo_precision_recall(pseudo, truth) == (0.25, 1 / 3)
    assert rm.pseudo_precision_recall([np.zeros((0, 4))] * 2, truth) == (0.0, 0.0)


def test_paper_protocol_evaluations_do_not_change_the_clean_result():
    rm = _load_run_methods()
    args = rm.parse_args(["--quick"])
    args.max_epochs = 3
    split = rm.synthetic_split(args, 0)
    row = rm.Row("TEN", "TEN", "video")
    args.eval_every = args.attention_every = 0
    without = rm.fit_row(row, args, split, 0)
    args.eval_every = args.attention_every = 1
    with_evaluations = rm.fit_row(row, args, split, 0)
    assert with_evaluations["clean"] == without["clean"]
    assert with_evaluations["evaluated_epochs"] == [1, 2, 3]
    assert [a[0] for a in with_evaluations["attention"]] == [1, 2, 3]
    assert without["attention"] == []


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


@pytest.mark.parametrize("script", ["bench_fsptal.py"])  # bench_refinement: test_refinement
def test_folded_scripts_forward_to_run_methods(script):
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, os.path.join(BENCHMARKS, script), "--help"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.startswith("usage: run_methods.py") and "--refinement" in proc.stdout


@pytest.mark.parametrize(
    "script,expected",
    [
        ("bench_localization.py", ["speed-up"]),
        ("bench_metrics.py", ["speed-up", "agree"]),
        ("backtal_eval_gap.py", ["none eval", "score train", "dropout=0.3"]),
        ("ten_components.py", ["AUC att", "TEN+BGES", "max_epochs"]),
    ],
)
def test_component_benchmarks_run_quick(script, expected):
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


def test_ten_components_auc_is_the_rank_statistic():
    spec = importlib.util.spec_from_file_location(
        "ten_components", os.path.join(BENCHMARKS, "ten_components.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    positive = np.array([1, 1, 0, 0, 0], bool)
    assert module.auc([0.9, 0.8, 0.1, 0.2, 0.3], positive) == 1.0
    assert module.auc([0.1, 0.2, 0.9, 0.8, 0.7], positive) == 0.0
    # ties count one half: one positive above all 3 negatives, one tied with one
    assert module.auc([0.9, 0.3, 0.1, 0.2, 0.3], positive) == (3 + 2.5) / 6
    assert np.isnan(module.auc([0.1, 0.2], np.array([True, True])))
    rng = np.random.default_rng(0)
    scores, labels = rng.normal(size=200), rng.random(200) < 0.3
    brute = np.mean([(p > n) + 0.5 * (p == n) for p in scores[labels]
                     for n in scores[~labels]])
    assert module.auc(scores, labels) == pytest.approx(brute)


def _load_refinement_recall():
    spec = importlib.util.spec_from_file_location(
        "refinement_recall", os.path.join(BENCHMARKS, "refinement_recall.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("suite", ["synthetic", "thumos"])
def test_refinement_recall_quick(tmp_path, request, suite):
    extra = []
    if suite == "thumos":
        extra = ["--data-dir", os.path.join(request.getfixturevalue("shared_data"),
                                            "thumos14")]
    stdout, saved = _run("refinement_recall.py", "--suite", suite, *extra,
                         tmp_path=tmp_path)
    assert f"[{suite}] stretches of the training videos' background clicks" in stdout
    assert "P / R @0.3" in stdout and "P / R @0.7" in stdout
    for label in ("BackTAL teacher", "the other true instances ignored", "ceiling"):
        assert label in stdout
    (run,) = saved["runs"]
    assert set(run["maps"]) == {"teacher", "pseudo", "oracle", "oracle_ignore",
                                "ceiling"}
    assert all(len(m) == 7 for m in run["maps"].values())
    s = run["stretches"]
    assert sum(s["per_stretch"]) > 0 and 0 <= s["alone"] <= s["instances"]
    # the oracle's subset has the pseudo-instances' recall at tIoU 0.5
    precision, recall = run["pr"]["0.5"]
    assert run["oracle_instances"] == round(recall * s["instances"])
    if suite == "thumos":
        assert "annotator A1" in stdout


def test_refinement_recall_stretches_and_subset_match_a_hand_count():
    rr = _load_refinement_recall()
    # clicks at snippets 10 and 30 of a 50-snippet video: stretches [0, 10), [11, 30),
    # [31, 50); instances with centres 4 and 7 (the first stretch), 20 (the second),
    # 10.5 (on the click at 10, and it contains that click); the 20 one has a twin
    segments = [np.array([[2.0, 6.0, 0], [5.0, 9.0, 1], [15.0, 25.0, 0],
                          [15.0, 25.0, 1], [10.0, 11.0, 2]])]
    clicks = [np.array([[10.2, -1], [30.0, -1], [40.0, 1]])]  # an action click: no cut
    s = rr.stretch_statistics(segments, clicks, [50])
    assert s["instances"] == 5 and s["clicks"] == 2
    assert s["per_stretch"] == [1, 0, 2, 0, 0]  # the twins share the second stretch
    assert s["alone"] == 0 and s["on_click"] == 1 and s["contain_click"] == 1
    assert s["twins"] == 2
    truth = [np.array([[0.0, 1, 0], [2, 3, 1]]), np.zeros((0, 3)),
             np.array([[4.0, 5, 0], [6, 7, 0], [8, 9, 1]])]
    kept, rest = rr.true_subset(truth, 0.4, seed=0)
    assert sum(map(len, kept)) == 2 and sum(map(len, rest)) == 3
    for t, k, r in zip(truth, kept, rest):  # a partition of each video's instances
        both = np.concatenate([k, r])
        assert sorted(map(tuple, both)) == sorted(map(tuple, t))
    again, _ = rr.true_subset(truth, 0.4, seed=0)
    assert all(np.array_equal(a, b) for a, b in zip(kept, again))
