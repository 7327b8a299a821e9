"""Evaluation never fails silently: ids, labels and subsets that match nothing (#15.2)."""
import json
import warnings

import numpy as np
import pytest

from sktal.cli import main
from sktal.datasets import load_annotations
from sktal.metrics import evaluate_activitynet_json
from sktal.metrics._activitynet import subset_filter


def _gt():
    return {"database": {
        "video_a": {"subset": "test", "duration": 40.0, "annotations": [
            {"segment": [0.0, 10.0], "label": "Run"}]},
        "video_b": {"subset": "test", "duration": 40.0, "annotations": [
            {"segment": [5.0, 9.0], "label": "Jump"}]},
        "video_c": {"subset": "val", "duration": 40.0, "annotations": [
            {"segment": [0.0, 4.0], "label": "Jump"}]},
    }}


def _res(**videos):
    return {"results": {v: [{"label": lab, "score": s, "segment": seg}
                            for lab, s, seg in rows] for v, rows in videos.items()}}


PERFECT = dict(video_a=[("Run", 0.9, [0.0, 10.0])], video_b=[("Jump", 0.8, [5.0, 9.0])])


def _no_warning(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return evaluate_activitynet_json(*args, **kwargs)


def test_clean_results_give_no_warning():
    result = _no_warning(_gt(), _res(**PERFECT), [0.5], subset="test")
    np.testing.assert_array_equal(result.mAP, [1.0])


def test_ids_with_extension_warn_with_counts_and_suggest_the_fix():
    results = _res(**PERFECT, **{"video_b.mp4": [("Jump", 0.95, [5.0, 9.0])] * 2})
    with pytest.warns(UserWarning, match=r"1 of 3 result videos \(2 results\) match no "
                      r"ground-truth video.*'video_b\.mp4'.*vs 'video_b'.*extension"):
        result = evaluate_activitynet_json(_gt(), results, [0.5], subset="test")
    # still counted as false positives (classic rule): Jump ranks FP, FP, hit -> AP 1/3
    np.testing.assert_array_equal(result.class_names, ["Run", "Jump"])
    np.testing.assert_allclose(result.ap[:, 1], [1 / 3])


def test_no_matching_result_at_all_is_an_error():
    results = _res(**{"video_a.mp4": [("Run", 0.9, [0.0, 10.0])]})
    with pytest.warns(UserWarning, match="match no ground-truth video"):
        with pytest.raises(ValueError, match="none of its 1 results matches"):
            evaluate_activitynet_json(_gt(), results, subset="test")
    results = _res(video_a=[("run", 0.9, [0.0, 10.0])])
    with pytest.warns(UserWarning, match="did you mean 'Run'"):
        with pytest.raises(ValueError, match="none of its 1 results"):
            evaluate_activitynet_json(_gt(), results, subset="test")


def test_label_case_difference_says_did_you_mean():
    results = _res(video_a=PERFECT["video_a"], video_b=[("jump", 0.8, [5.0, 9.0])] * 3)
    with pytest.warns(UserWarning, match=r"3 results have 1 labels that match no ground-truth "
                      r"class \('jump'\).*'jump' -> did you mean 'Jump'\?"):
        result = evaluate_activitynet_json(_gt(), results, [0.5], subset="test")
    # Run perfect, Jump missed
    np.testing.assert_allclose(result.ap[0], [1.0, 0.0])


def test_results_outside_the_subset_warn_and_count_as_false_positives():
    results = _res(**PERFECT, video_c=[("Jump", 0.99, [0.0, 4.0])])
    with pytest.warns(UserWarning, match=r"1 result videos \(1 results\) belong to a subset "
                      r"other than 'test' \('video_c'\)"):
        result = evaluate_activitynet_json(_gt(), results, [0.5], subset="test")
    np.testing.assert_allclose(result.ap[0], [1.0, 0.5])  # Run; Jump: FP then hit
    # evaluated on every subset, the same results are all hits and nothing is said
    np.testing.assert_allclose(_no_warning(_gt(), results, [0.5]).mAP, [1.0])


@pytest.mark.parametrize("entry, fragment", [
    ({"score": 0.5, "segment": [0, 1]}, "expected {'label', 'score'"),
    ({"label": "Run", "score": 0.5}, "expected {'label', 'score'"),
    ({"label": "Run", "score": 0.5, "segment": "0-1"}, "'segment': \\[start, end\\]"),
    ({"label": "Run", "score": 0.5, "segment": ["0", "1"]}, "two numbers"),
    ({"label": "Run", "score": float("nan"), "segment": [0, 1]}, "finite number"),
    ({"label": "Run", "score": "high", "segment": [0, 1]}, "finite number"),
    ("Run 0.5 0 1", "expected {'label'"),
])
def test_malformed_entries_name_file_video_and_entry(tmp_path, entry, fragment):
    path = tmp_path / "res.json"
    good = {"label": "Run", "score": 0.9, "segment": [0.0, 10.0]}
    path.write_text(json.dumps({"results": {"video_a": [good, entry]}}))
    with pytest.raises(ValueError, match=rf"results {path}: video 'video_a' entry 1: "
                                         rf".*{fragment}"):
        evaluate_activitynet_json(_gt(), path, subset="test")


def test_results_of_a_video_must_be_a_list_and_results_an_object(tmp_path):
    with pytest.raises(ValueError, match="results of video 'video_a' must be a list"):
        evaluate_activitynet_json(_gt(), {"results": {"video_a": {"label": "Run"}}})
    with pytest.raises(ValueError, match="'results' must be an object"):
        evaluate_activitynet_json(_gt(), {"results": [{"label": "Run"}]})
    gt = _gt()
    del gt["database"]["video_a"]["annotations"][0]["label"]
    with pytest.raises(ValueError, match="ground_truth: video 'video_a' annotation 0"):
        evaluate_activitynet_json(gt, _res(**PERFECT))


def test_one_subset_rule_for_loaders_and_evaluator(tmp_path):
    keep = subset_filter(["Test", "val"])
    assert [keep(s) for s in ("test", "TEST", "val", "train", None)] == [
        True, True, True, False, False]
    path = tmp_path / "gt.json"
    path.write_text(json.dumps(_gt()))
    loaded = load_annotations(path, subset="TEST")
    assert loaded.video_ids == ["video_a", "video_b"]
    result = _no_warning(path, _res(**PERFECT), [0.5], subset="TEST")
    np.testing.assert_array_equal(result.mAP, [1.0])


def test_cli_evaluate_prints_the_warnings_and_fails_when_nothing_matches(tmp_path, capsys):
    (tmp_path / "gt.json").write_text(json.dumps(_gt()))
    (tmp_path / "res.json").write_text(json.dumps(_res(**{"video_a.mp4": [
        ("Run", 0.9, [0.0, 10.0])]})))
    code = main(["evaluate", "--ground-truth", str(tmp_path / "gt.json"), "--results",
                 str(tmp_path / "res.json"), "--subset", "test"])
    assert code == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2, err
    assert err[0].startswith("sktal: warning: results ") and "'video_a.mp4' vs 'video_a'" in err[0]
    assert err[1].startswith("sktal: error: ") and "none of its 1 results matches" in err[1]
    # a partial match: the warning, then the table
    (tmp_path / "res.json").write_text(json.dumps(_res(**PERFECT, video_c=[
        ("Jump", 0.99, [0.0, 4.0])])))
    assert main(["evaluate", "--ground-truth", str(tmp_path / "gt.json"), "--results",
                 str(tmp_path / "res.json"), "--subset", "test"]) == 0
    out, err = capsys.readouterr()
    assert err.startswith("sktal: warning: ") and "belong to a subset other than 'test'" in err
    assert "detection mAP of" in out
