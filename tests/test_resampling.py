"""Resampling of videos to a fixed length, and the maps for clicks and outputs."""
import numpy as np
import pytest

from sktal._resampling import (
    IGNORE_INDEX,
    interpolate_rows,
    map_click_labels,
    restore_length,
    source_positions,
)


@pytest.mark.parametrize("length,n", [(10, 4), (3, 8), (750, 750), (1, 5), (1000, 7)])
def test_interpolate_positions_are_inside_the_video_and_increasing(length, n):
    pos = source_positions(length, n, "interpolate")
    assert pos.shape == (n,)
    assert pos.min() >= 0 and pos.max() <= length - 1
    assert np.all(np.diff(pos) >= 0)


def test_interpolate_with_equal_length_is_the_identity():
    assert np.array_equal(source_positions(6, 6, "interpolate"), np.arange(6))


@pytest.mark.parametrize("length,n", [(10, 4), (3, 8), (100, 100), (1, 4)])
def test_perturb_draws_one_whole_index_per_stratum(length, n):
    rng = np.random.default_rng(0)
    for _ in range(20):
        pos = source_positions(length, n, "perturb", training=True, rng=rng)
        j = np.arange(n)
        lower = np.floor(j * length / n)
        assert np.all(pos == np.floor(pos))
        assert np.all(pos >= lower) and np.all(pos < np.maximum(np.floor((j + 1) * length / n), lower + 1))
        assert pos.max() <= length - 1
    # prediction: the first index of each stratum
    assert np.array_equal(source_positions(10, 4, "perturb"), [0, 2, 5, 7])


def test_no_resampling_keeps_the_video():
    assert np.array_equal(source_positions(5, 100, None), np.arange(5))


def test_unknown_resampling_is_rejected():
    with pytest.raises(ValueError, match="unknown resampling"):
        source_positions(5, 3, "nearest")


def test_interpolate_rows_is_linear_between_snippets():
    values = np.array([[0.0], [10.0], [20.0]], dtype=np.float32)
    out = interpolate_rows(values, np.array([0.0, 0.5, 1.25, 2.0]))
    assert np.allclose(out.ravel(), [0.0, 5.0, 12.5, 20.0])
    assert out.dtype == np.float32


def test_clicks_follow_the_features_when_stretching():
    pos = source_positions(3, 9, "perturb")  # each snippet read three times
    labels = map_click_labels(np.array([[1.0, -1.0]]), pos, n_classes=4)
    assert np.array_equal(np.flatnonzero(labels == 4), [3, 4, 5])
    assert np.all(labels[[0, 1, 2, 6, 7, 8]] == IGNORE_INDEX)


def test_no_click_is_lost_when_shrinking():
    length, n = 100, 10
    pos = source_positions(length, n, "interpolate")
    clicks = np.array([[t, t % 3] for t in (1.0, 37.0, 99.0)])
    labels = map_click_labels(clicks, pos, n_classes=3)
    for t, c in clicks:
        j = int(np.argmin(np.abs(pos - t)))
        assert labels[j] == c
    assert (labels != IGNORE_INDEX).sum() == 3


def test_background_click_becomes_index_n_classes():
    labels = map_click_labels(np.array([[2.0, -1.0], [0.0, 1.0]]), np.arange(4.0), 5)
    assert list(labels) == [1, IGNORE_INDEX, 5, IGNORE_INDEX]


def test_restore_length_inverts_interpolation_of_a_linear_signal():
    length, n = 40, 10
    pos = source_positions(length, n, "interpolate")
    values = pos[:, None] * 2.0  # a signal linear in source time
    back = restore_length(values, pos, length)
    inside = (np.arange(length) >= pos[0]) & (np.arange(length) <= pos[-1])
    assert back.shape == (length, 1)
    assert np.allclose(back[inside, 0], 2.0 * np.arange(length)[inside])


def test_restore_length_handles_repeated_positions():
    pos = source_positions(2, 6, "perturb")  # [0, 0, 0, 1, 1, 1]
    values = np.arange(6.0)[:, None]
    back = restore_length(values, pos, 2)
    assert np.allclose(back.ravel(), [0.0, 3.0])


def test_fractional_click_marks_the_snippet_it_falls_in():
    # snippet i covers [i, i + 1): a click at 2.7 is in snippet 2, not 3
    labels = map_click_labels(np.array([[2.7, -1.0]]), np.arange(5.0), 3)
    assert list(np.flatnonzero(labels == 3)) == [2]


# ------------------------------------------------------------ click targets, batch gather
def test_map_click_targets_multi_hot_by_hand():
    from sktal._resampling import map_click_targets

    positions = np.array([0.0, 1.0, 2.0, 3.0])
    # class 0 and background on snippet 1, class 2 on snippet 3.7 -> step 3
    clicks = np.array([[1.2, 0], [1.9, -1], [3.7, 2]])
    out = map_click_targets(clicks, positions, 3)
    expected = np.zeros((4, 4), dtype=np.float32)
    expected[1, 0] = expected[1, 3] = expected[3, 2] = 1.0
    np.testing.assert_array_equal(out, expected)
    # a shortened video: no step reads snippet 5, the nearest step (2) gets it
    short = map_click_targets(np.array([[5.5, 1]]), np.array([0.0, 3.0, 6.0]), 2)
    np.testing.assert_array_equal(short, [[0, 0, 0], [0, 0, 0], [0, 1, 0]])
    # its rows agree with map_click_labels wherever a single click lands
    labels = map_click_labels(clicks, positions, 3)
    assert labels[3] == 2 and labels[0] == IGNORE_INDEX


def test_device_videos_rows_equal_interpolate_rows_exactly():
    import torch

    import sktal._data
    from sktal._data import DeviceVideos, PositionDataset, collate_positions

    rng = np.random.default_rng(0)
    videos = [rng.normal(size=(n, 5)).astype(np.float32) for n in (7, 1, 30, 12)]
    clicks = [np.array([[1.5, 0]]), np.empty((0, 2)), np.array([[3.0, -1], [3.2, 1]]),
              np.array([[11.9, 1]])]
    labels = np.eye(2, dtype=np.float32)[[0, 1, 1, 0]]
    for method in ("interpolate", "perturb", None):
        def positions_fn(i, length, c, r, method=method):
            return source_positions(length, 10, method, training=True, rng=r)

        ds = PositionDataset([len(v) for v in videos], labels, clicks, positions_fn, 2,
                             np.random.default_rng(1))
        items = [ds[i] for i in range(len(videos))]
        inputs, targets = collate_positions(items)
        source = DeviceVideos(videos, "cpu")
        x = source.rows(inputs["index"], inputs["positions"], inputs["mask"]).numpy()
        # channels first (in pieces of one or more videos): the same values, bitwise
        for piece in (None, 1, 5 * 10 * 4 * 3):
            with pytest.MonkeyPatch.context() as patch:
                if piece is not None:
                    patch.setattr(sktal._data, "GATHER_PIECE_BYTES", piece)
                first = source.rows(inputs["index"], inputs["positions"], inputs["mask"],
                                    channels_first=True)
            assert first.transpose(1, 2).is_contiguous()
            np.testing.assert_array_equal(first.numpy(), x)
        for b, item in enumerate(items):
            n = len(item["positions"])
            np.testing.assert_array_equal(x[b, :n], interpolate_rows(videos[b], item["positions"]))
            assert not x[b, n:].any()
            assert not targets["click_targets"][b, n:].any()
            assert torch.all(targets["click_labels"][b, n:] == IGNORE_INDEX)
        assert targets["click_targets"].shape[-1] == 3


def test_batch_click_mapping_equals_the_numpy_mapping_on_random_ragged_batches():
    import torch

    from sktal._data import PositionDataset, collate_positions, map_clicks, pad_clicks
    from sktal._resampling import map_click_targets

    rng = np.random.default_rng(0)
    n_classes, seen_multi, seen_lost, seen_half = 3, 0, 0, 0
    for trial in range(40):
        batch = int(rng.integers(1, 6))
        lengths = rng.integers(1, 40, size=batch)
        n_steps = [int(rng.integers(1, 30)) for _ in range(batch)]
        methods = [rng.choice(["interpolate", "perturb", "none"]) for _ in range(batch)]
        clicks = []
        for length in lengths:
            k = int(rng.integers(0, 8))
            t = rng.uniform(0, length, size=k)
            t[: k // 2] = np.floor(t[: k // 2])      # some on whole steps, some fractional
            if k >= 2 and rng.random() < 0.5:
                t[1] = np.floor(t[0]) + 0.5           # two clicks in one snippet
            clicks.append(np.stack([t, rng.integers(-1, n_classes, size=k)], axis=1))
        positions = [
            source_positions(int(L), n, None if m == "none" else m, training=True, rng=rng)
            for L, n, m in zip(lengths, n_steps, methods)
        ]
        longest = max(len(p) for p in positions)
        pos = torch.zeros((batch, longest), dtype=torch.float64)
        mask = torch.zeros((batch, longest), dtype=torch.bool)
        for b, p in enumerate(positions):
            pos[b, : len(p)], mask[b, : len(p)] = torch.from_numpy(p), True
        labels, targets = map_clicks(pos, mask, *pad_clicks(clicks), n_classes)
        for b, p in enumerate(positions):
            n = len(p)
            want_labels = map_click_labels(clicks[b], p, n_classes)
            want_targets = map_click_targets(clicks[b], p, n_classes)
            np.testing.assert_array_equal(labels[b, :n].numpy(), want_labels)
            np.testing.assert_array_equal(targets[b, :n].numpy(), want_targets)
            assert torch.all(labels[b, n:] == IGNORE_INDEX) and not targets[b, n:].any()
            seen_multi += int((want_targets.sum(axis=1) > 1).any())
            seen_lost += int(any(not np.any(np.rint(p) == np.floor(t)) for t, _ in clicks[b]))
            seen_half += int(np.any(np.abs(p % 1 - 0.5) < 1e-12))
    # the random batches exercised every branch of the rule
    assert seen_multi and seen_lost and seen_half
    # and the fit's collate gives the same on a dataset's items
    items_clicks = [np.array([[3.0, -1], [3.2, 1]]), np.empty((0, 2)), np.array([[0.9, 0]])]
    ds = PositionDataset([9, 4, 2], np.eye(3, dtype=np.float32), items_clicks,
                         lambda i, L, c, r: source_positions(L, 5, "interpolate"), 3, rng)
    items = [ds[i] for i in range(3)]
    _, got = collate_positions(items)
    for b, item in enumerate(items):
        np.testing.assert_array_equal(got["click_targets"][b].numpy(),
                                      map_click_targets(item["clicks"], item["positions"], 3))
    assert got["click_targets"][0].sum(-1).max() == 2   # the two clicks share a step
