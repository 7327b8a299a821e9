"""Tests for the loaders of sktal.datasets: real annotation files and the feature layouts."""
import json
import os
import warnings

import numpy as np
import pytest

from sktal.datasets import (
    detections_to_results,
    load_annotations,
    load_clicks,
    load_dataset,
    load_features,
    load_results_json,
    make_temporal_actions,
    simulate_clicks,
    write_results_json,
)
from sktal.utils import check_clicks, check_segments, check_videos

ANNOTATORS = {"A1": 2264, "A2": 2323, "A3": 2344}


SHARED_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir,
                           "shared", "data")


@pytest.fixture(scope="module")
def thumos():
    """``../shared/data/thumos14`` (module-scoped twin of the ``shared_data`` fixture)."""
    folder = os.path.normpath(os.path.join(SHARED_DATA, "thumos14"))
    if not os.path.isdir(folder):
        pytest.skip("../shared/data not found beside the checkout")
    return folder


@pytest.fixture(scope="module")
def thumos_val(thumos):
    return load_dataset(os.path.join(thumos, "gt_val.json"))


def _click_file(folder, annotator):
    return os.path.join(folder, f"THUMOS14_Background-Click-Annotation_{annotator}.txt")


# ---------------------------------------------------------------- real annotation files
def test_thumos14_ground_truth(shared_data, thumos_val):
    data = thumos_val
    assert len(data.video_ids) == 200 and len(data.class_names) == 20
    assert sum(len(s) for s in data.segments) == 3003
    assert data.X is None and data.clicks is None
    assert data.y.shape == (200, 20) and (data.y.sum(axis=1) > 1).sum() == 27
    check_segments(data.segments, 200, n_classes=20, lengths=data.lengths)
    # timestep = seconds * fps / 16; lengths cover the whole duration
    assert np.allclose(data.seconds_per_step, 16 / data.fps)
    assert np.all(data.lengths >= data.durations / data.seconds_per_step)
    assert np.all(data.lengths - 1 < data.durations / data.seconds_per_step)


def test_seconds_timesteps_seconds_round_trip(shared_data, thumos_val, tmp_path):
    gt = load_annotations(os.path.join(shared_data, "thumos14", "gt_val.json"))
    data = thumos_val
    for seg, sps, seconds in zip(data.segments, data.seconds_per_step, gt.segments_seconds):
        np.testing.assert_allclose(seg[:, :2] * sps, seconds[:, :2], rtol=1e-14, atol=0)
        assert np.array_equal(seg[:, 2], seconds[:, 2])
    # through the result writer and back
    detections = [np.column_stack([s, np.linspace(1, 0.5, len(s))]) for s in data.segments]
    path = tmp_path / "results.json"
    written = write_results_json(path, detections, data.video_ids, data.class_names,
                                 data.seconds_per_step)
    with open(path) as fh:
        results = json.load(fh)
    assert results == written == detections_to_results(
        detections, data.video_ids, data.class_names, data.seconds_per_step)
    assert results["version"] and results["external_data"] == {}
    first = data.video_ids[0]
    expected = [[a["segment"], a["label"]] for a in
                json.load(open(os.path.join(shared_data, "thumos14", "gt_val.json")))
                ["database"][first]["annotations"]]
    got = [[d["segment"], d["label"]] for d in results["results"][first]]
    assert [label for _, label in got] == [label for _, label in expected]
    np.testing.assert_allclose([s for s, _ in got], [s for s, _ in expected], atol=1e-9)
    back = load_results_json(path, data.video_ids, data.class_names, data.seconds_per_step)
    for det, original in zip(back, detections):
        np.testing.assert_allclose(det, original, rtol=1e-12)


@pytest.mark.parametrize("annotator", sorted(ANNOTATORS))
def test_thumos14_background_clicks_load_inside_their_videos(shared_data, thumos, thumos_val,
                                                             annotator):
    clicks = load_clicks(_click_file(thumos, annotator), thumos_val)
    assert sum(len(c) for c in clicks) == ANNOTATORS[annotator]
    assert sum(len(c) > 0 for c in clicks) == (200 if annotator == "A1" else 199)
    check_clicks(clicks, thumos_val.lengths, labels=thumos_val.y)
    for c in clicks:
        assert np.all(c[:, 1] == -1) and np.all(np.diff(c[:, 0]) >= 0)


def test_thumos14_action_points(shared_data, thumos):
    data = load_dataset(os.path.join(thumos, "gt_val.json"),
                        clicks=os.path.join(thumos, "action_points.csv"))
    assert sum(len(c) for c in data.clicks) == 3003
    assert sum(len(c) > 0 for c in data.clicks) == 200
    check_clicks(data.clicks, data.lengths, labels=data.y)
    # one point per instance: the class counts agree, and almost all fall inside one
    inside = 0
    for seg, pts in zip(data.segments, data.clicks):
        assert np.array_equal(np.sort(seg[:, 2]), np.sort(pts[:, 1]))
        for t, c in pts:
            inside += np.any((seg[:, 0] <= t) & (t <= seg[:, 1]) & (seg[:, 2] == c))
    assert inside >= 0.99 * 3003


def test_several_click_files_merge_and_sort(shared_data, thumos):
    files = [_click_file(thumos, "A1"), os.path.join(thumos, "action_points.csv")]
    data = load_dataset(os.path.join(thumos, "gt_val.json"), clicks=files)
    assert sum(len(c) for c in data.clicks) == 2264 + 3003
    assert all(np.all(np.diff(c[:, 0]) >= 0) for c in data.clicks)


def test_feature_fps_changes_the_time_grid(shared_data, thumos):
    data = load_dataset(os.path.join(thumos, "gt_val.json"), feature_fps=25)
    assert np.allclose(data.seconds_per_step, 0.64)
    first = load_annotations(os.path.join(thumos, "gt_val.json")).segments_seconds[0]
    np.testing.assert_allclose(data.segments[0][:, :2], first[:, :2] * 25 / 16)


def test_activitynet_sample(shared_data):
    path = os.path.join(shared_data, "activitynet12", "gt_train_sample.json")
    with pytest.warns(UserWarning, match=r"video '6KXVjADefBY', annotation 0: segment"):
        data = load_dataset(path, subset="training")
    assert len(data.video_ids) == 300 and len(data.class_names) == 100
    assert data.y.sum(axis=1).min() == 1  # the [0, 0] segment keeps its label
    check_segments(data.segments, 300, n_classes=100, lengths=data.lengths)
    assert np.median([len(s) for s in data.segments]) == 1
    with pytest.raises(ValueError, match=r"no videos .* subset='validation'"):
        load_dataset(path, subset="validation")


def test_synthetic_features_on_real_timelines(shared_data, thumos_val):
    keep = slice(0, 4)
    data = make_temporal_actions(segments=thumos_val.segments[keep],
                                 lengths=thumos_val.lengths[keep], n_classes=20, n_features=8,
                                 random_state=0)
    assert [len(x) for x in data.X] == list(thumos_val.lengths[keep])
    clicks = simulate_clicks(thumos_val.segments[keep], thumos_val.lengths[keep], kind="both",
                             random_state=0)
    check_clicks(clicks, thumos_val.lengths[keep], labels=thumos_val.y[keep])


# ---------------------------------------------------------------- tiny generated layouts
LENGTHS = {"v1": 6, "v2": 9, "v3": 4}


@pytest.fixture
def tiny(tmp_path):
    """Three videos at 32 fps (2 timesteps per second with 16-frame snippets)."""
    database = {
        "v1": {"subset": "validation", "duration": 3.0, "fps": 32,
               "annotations": [{"segment": [0.5, 1.5], "label": "Jump"}]},
        "v2": {"subset": "validation", "duration": 4.5, "fps": 32,
               "annotations": [{"segment": [1.0, 2.0], "label": "Run"},
                               {"segment": [3.0, 4.0], "label": "Jump"}]},
        "v3": {"subset": "test", "duration": 2.0, "fps": 32, "annotations": []},
    }
    gt = tmp_path / "gt.json"
    gt.write_text(json.dumps({"activity_list": ["Jump", "Run"], "database": database}))
    rng = np.random.default_rng(0)
    feats = {vid: rng.standard_normal((t, 5)).astype(np.float32) for vid, t in LENGTHS.items()}
    return tmp_path, gt, feats


def _write_rgb_flow(root, feats):
    for stream, cols in (("rgb", slice(0, 3)), ("flow", slice(3, 5))):
        os.makedirs(root / stream, exist_ok=True)
        for vid, x in feats.items():
            np.save(root / stream / f"{vid}.npy", x[:, cols])


def test_layout_rgb_flow(tiny):
    root, gt, feats = tiny
    _write_rgb_flow(root / "feats", feats)
    data = load_dataset(gt, root / "feats")
    assert data.layout == "rgb_flow" and data.n_rgb_features == 3
    for vid, x in zip(data.video_ids, data.X):
        np.testing.assert_array_equal(x, feats[vid])
    assert data.lengths.tolist() == [6, 9, 4]
    check_videos(data.X)
    assert data.segments[1].tolist() == [[2, 4, 1], [6, 8, 0]]


def test_layout_joint(tiny):
    root, gt, feats = tiny
    os.makedirs(root / "joint")
    for vid, x in feats.items():
        np.save(root / "joint" / f"{vid}.npy", x)
    data = load_dataset(gt, root / "joint", subset="validation")
    assert data.layout == "joint" and data.n_rgb_features is None
    assert data.video_ids == ["v1", "v2"]
    np.testing.assert_array_equal(data.X[1], feats["v2"])


def test_layout_backtal_npz(tiny):
    root, gt, feats = tiny
    os.makedirs(root / "npz")
    for vid, x in feats.items():  # BackTAL stores channels first, resampled, with duration
        np.savez(root / "npz" / f"{vid}.npz", feat_spa=x[:, :3].T, feat_tem=x[:, 3:].T,
                 cls_label=np.zeros(2), vid_name=vid, point_label=np.full(len(x), -1),
                 frame_num=len(x), fps=32.0, duration=2.0 * len(x))
    data = load_dataset(gt, root / "npz")
    assert data.layout == "npz" and data.n_rgb_features == 3
    np.testing.assert_array_equal(data.X[0], feats["v1"])
    np.testing.assert_allclose(data.seconds_per_step, 2.0)  # duration / T from the file
    assert data.segments[0].tolist() == [[0.25, 0.75, 0]]


def test_layout_wtalc_object_array(tiny):
    root, gt, feats = tiny
    folder = root / "Thumos14reduced-Annotations"
    os.makedirs(folder)
    names = np.array([b"v3", b"v1", b"v2"], dtype=object)
    arrays = np.empty(3, dtype=object)
    for i, name in enumerate(names):
        arrays[i] = feats[name.decode()]
    np.save(root / "Thumos14reduced-I3D-JOINTFeatures.npy", arrays, allow_pickle=True)
    np.save(folder / "videoname.npy", names)
    segments = np.empty(3, dtype=object)
    labels = np.empty(3, dtype=object)
    segments[:] = [[], [[0.5, 1.5]], [[1.0, 2.0], [3.0, 4.0]]]
    labels[:] = [[], ["Jump"], ["Run", "Jump"]]
    np.save(folder / "segments.npy", segments, allow_pickle=True)
    np.save(folder / "labels.npy", labels, allow_pickle=True)
    np.save(folder / "duration.npy", np.array([2.0, 3.0, 4.5]))
    np.save(folder / "subset.npy", np.array([b"test", b"validation", b"validation"]))
    np.save(folder / "classlist.npy", np.array([b"Jump", b"Run"]))
    np.save(folder / "extracted_fps.npy", np.array([32.0, 32.0, 32.0]))
    features = root / "Thumos14reduced-I3D-JOINTFeatures.npy"

    data = load_dataset(root, features, subset="validation")  # W-TALC annotations too
    assert data.layout == "object_array" and data.video_ids == ["v1", "v2"]
    assert data.class_names == ["Jump", "Run"] and data.n_rgb_features == 2
    np.testing.assert_array_equal(data.X[1], feats["v2"])
    assert data.segments[1].tolist() == [[2, 4, 1], [6, 8, 0]]
    same = load_dataset(gt, features, subset="validation")  # JSON annotations
    np.testing.assert_array_equal(same.X[0], data.X[0])
    assert load_features(features, ["v3"]).X[0].shape == (4, 5)


def test_snippet_frames_none_spreads_rows_over_the_video(tiny):
    root, gt, feats = tiny
    _write_rgb_flow(root / "feats", feats)
    data = load_dataset(gt, root / "feats", snippet_frames=None)
    np.testing.assert_allclose(data.seconds_per_step, [3.0 / 6, 4.5 / 9, 2.0 / 4])
    with pytest.raises(ValueError, match="snippet_frames=None .* needs features"):
        load_dataset(gt, snippet_frames=None)


# ---------------------------------------------------------------- errors
def test_missing_files_are_named(tiny):
    root, gt, feats = tiny
    with pytest.raises(FileNotFoundError, match=r"annotations: no such file: .*nope.json"):
        load_dataset(root / "nope.json")
    _write_rgb_flow(root / "feats", feats)
    os.remove(root / "feats" / "flow" / "v2.npy")
    with pytest.raises(FileNotFoundError, match=r"no file for video 'v2' \(expected .*flow"):
        load_dataset(gt, root / "feats")
    with pytest.raises(FileNotFoundError, match=r"clicks: no such file: .*none.csv"):
        load_dataset(gt, clicks=root / "none.csv")


def test_bad_feature_arrays_are_named(tiny):
    root, gt, feats = tiny
    feats["v2"][3, 1] = np.nan
    _write_rgb_flow(root / "feats", feats)
    with pytest.raises(ValueError, match=r"video 'v2' .* contains NaN or infinite values"):
        load_dataset(gt, root / "feats")
    np.save(root / "feats" / "rgb" / "v2.npy", np.zeros((9, 3)))
    np.save(root / "feats" / "flow" / "v2.npy", np.zeros((8, 2)))
    with pytest.raises(ValueError, match=r"video 'v2' has 9 RGB snippets but 8 flow"):
        load_dataset(gt, root / "feats")
    np.save(root / "feats" / "flow" / "v2.npy", np.zeros((9, 4)))
    with pytest.raises(ValueError, match=r"video 'v2' has 7 features but video 'v1' has 5"):
        load_dataset(gt, root / "feats")


def test_click_file_errors_name_file_and_line(tiny):
    root, gt, _ = tiny
    bad = root / "clicks.csv"
    bad.write_text("video,time_sec,class\nv1,0.5,background\nv9,1.0,background\n")
    with pytest.raises(ValueError, match=r"clicks.csv, line 3: unknown video id 'v9'"):
        load_dataset(gt, clicks=bad)
    bad.write_text("v1,0.5,background\nv2,4.6,background\n")
    with pytest.raises(ValueError, match=r"clicks.csv, line 2: click at 4.6 s \(timestep 9.200\) "
                                         r"is outside video 'v2' \(9 timesteps"):
        load_dataset(gt, clicks=bad)
    clipped = load_dataset(gt, clicks=bad, clip_clicks=True)
    assert clipped.clicks[1].tolist() == [[8.0, -1.0]]
    bad.write_text("v1,0.5,Swim\n")
    with pytest.raises(ValueError, match=r"clicks.csv, line 1: unknown class 'Swim'"):
        load_dataset(gt, clicks=bad)
    bad.write_text("v1,0.5,Run\n")
    with pytest.raises(ValueError, match=r"line 1: action click of class 'Run' in video 'v1', "
                                         r"which has no instance of that class"):
        load_dataset(gt, clicks=bad)


def test_click_formats_and_subset_filtering(tiny):
    root, gt, _ = tiny
    backtal = root / "bg.txt"
    backtal.write_text("\ufeffURLID,URL,TagID,Tag,Start,End,Time,State\n"
                       "v2,v2.mp4,20,background_background,0.5,0.5,1,1\n"
                       "v1,v1.mp4,20,background_background,2.0,2.5,1,1\n"
                       "v3,v3.mp4,20,background_background,1.0,1.0,1,1\n")
    points = root / "points.csv"
    points.write_text("class,class_index,start_frame,stop_frame,video_id,point\n"
                      "Run,1,32,64,v2,48\nJump,0,96,128,v2,112\n")
    sfnet = root / "single.txt"
    sfnet.write_text("v1 1.0 Jump\nv2 0.25 0\n")
    data = load_dataset(gt, clicks=[backtal, points, sfnet], subset="validation")
    assert data.clicks[0].tolist() == [[2.0, 0.0], [4.5, -1.0]]  # End/Start mean: 2.25 s
    assert data.clicks[1].tolist() == [[0.5, 0.0], [1.0, -1.0], [3.0, 1.0], [7.0, 0.0]]
    test = load_dataset(gt, clicks=backtal, subset="test", click_format="backtal")
    assert test.video_ids == ["v3"] and test.clicks[0].tolist() == [[2.0, -1.0]]
    with pytest.raises(ValueError, match=r"bg.txt, line 2: unknown video id 'v2'"):
        load_clicks(backtal, test)  # not told to ignore the other subset
    assert load_clicks(backtal, test, ignore_videos=["v1", "v2"])[0].tolist() == [[2.0, -1.0]]


# ---------------------------------------------------------------- broken files (#15.8)
@pytest.mark.parametrize("damage", ["empty", "truncated", "garbage"])
def test_broken_npy_files_are_named(tiny, damage):
    root, gt, feats = tiny
    _write_rgb_flow(root / "feats", feats)
    path = root / "feats" / "flow" / "v2.npy"
    raw = path.read_bytes()
    path.write_bytes({"empty": b"", "truncated": raw[:len(raw) // 2],
                      "garbage": b"this is not numpy" * 10}[damage])
    with pytest.raises(ValueError, match=rf"features: video 'v2': .*flow.v2\.npy "
                                         rf"(is empty|is not a readable NumPy file)"):
        load_dataset(gt, root / "feats")


@pytest.mark.parametrize("damage", ["empty", "truncated", "garbage"])
def test_broken_npz_files_are_named(tiny, damage):
    root, gt, feats = tiny
    os.makedirs(root / "npz")
    for vid, x in feats.items():
        np.savez(root / "npz" / f"{vid}.npz", feat_spa=x[:, :3].T, feat_tem=x[:, 3:].T)
    path = root / "npz" / "v1.npz"
    raw = path.read_bytes()
    path.write_bytes({"empty": b"", "truncated": raw[:len(raw) - 200],
                      "garbage": b"PK\x03\x04 not a zip" * 10}[damage])
    with pytest.raises(ValueError, match=r"features: video 'v1': .*v1\.npz (is empty|is not "
                                         r"a readable NumPy file)"):
        load_dataset(gt, root / "npz")


def test_write_results_json_refuses_non_finite_numbers(tmp_path):
    good = np.array([[1.0, 2.0, 0, 0.5]])
    for col, value, field in ((3, np.nan, "score"), (3, np.inf, "score"), (1, np.nan, "end")):
        bad = np.array([[1.0, 2.0, 0, 0.9], [1.0, 2.0, 0, 0.5]])
        bad[1, col] = value
        with pytest.raises(ValueError, match=rf"detections\[1\] \(video 'v2'\) row 1: "
                                             rf"{field} is"):
            write_results_json(tmp_path / "r.json", [good, bad], ["v1", "v2"], ["Jump"], 1.0)
    assert not (tmp_path / "r.json").exists()
    write_results_json(tmp_path / "r.json", [good, good], ["v1", "v2"], ["Jump"], 1.0)
    assert json.loads((tmp_path / "r.json").read_text())["results"]["v2"][0]["score"] == 0.5


# ---------------------------------------------------------------- time grid (#15.3)
def test_time_grid_disagreement_warns_and_names_the_implied_fps(tiny):
    root, gt, feats = tiny
    # four times as many rows as 32 fps and 16-frame snippets give: 128 fps
    _write_rgb_flow(root / "feats", {vid: np.vstack([x] * 4) for vid, x in feats.items()})
    with pytest.warns(UserWarning, match=r"3 of 3 videos .* more than 2 snippets \(e.g. video "
                      r"'v1': T=24, expected 6\.0 from 3 s at 32 fps and snippet_frames=16\); "
                      r"the features imply 128 fps: pass feature_fps=128"):
        load_dataset(gt, root / "feats")
    # within 2 snippets: silent
    _write_rgb_flow(root / "feats2", {vid: np.vstack([x, x[:2]]) for vid, x in feats.items()})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = load_dataset(gt, root / "feats2")
    assert data.lengths.tolist() == [8, 11, 6]
    _write_rgb_flow(root / "feats3", {"v1": np.zeros((9, 5)), "v2": np.zeros((14, 5)),
                                      "v3": np.zeros((6, 5))})
    # v1: 9 * 16 / 3 s = 48 fps, v2: 14 * 16 / 4.5 s = 49.78 fps, v3 within 2 snippets;
    # the median of the two videos off the grid: 48.89
    with pytest.warns(UserWarning, match=r"2 of 3 videos .* the features imply 48\.89 fps"):
        load_dataset(gt, root / "feats3")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_dataset(gt, root / "feats3", feature_fps=48)


def test_ground_truth_past_the_end_of_the_features_warns(tiny):
    root, gt, feats = tiny
    database = json.loads(gt.read_text())
    database["database"]["v2"]["annotations"].append({"segment": [3.0, 6.0], "label": "Run"})
    gt.write_text(json.dumps(database))  # v2 lasts 4.5 s = 9 snippets; a segment ends at 12
    _write_rgb_flow(root / "feats", feats)
    with pytest.warns(UserWarning, match=r"ground truth of 1 of 3 videos extends past the end "
                      r"of their features \(e.g. video 'v2': a segment ends at snippet 12\.0, "
                      r"the features have T=9\)"):
        load_dataset(gt, root / "feats")
