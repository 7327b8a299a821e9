"""Ragged videos as a torch Dataset, and the collate that pads them into a batch.

``fit`` itself uses :mod:`sktal._data` (positions per video, rows gathered for the
whole batch in torch); these stay for users who want a plain per-video dataset.
"""
import numpy as np
import torch

from .._constants import IGNORE_INDEX
from .._data import PositionDataset, map_clicks, pad_clicks
from .._resampling import interpolate_rows


class VideoDataset(PositionDataset):
    """Videos, their labels and clicks, resampled on access.

    Item ``i`` is a dict with ``x`` (n, D) features read at the positions given by
    ``positions_fn``, ``labels`` (C,), ``click_labels`` (n,) and ``index``. The positions
    are drawn anew at every access in training (random perturbation, label extension).

    Parameters
    ----------
    videos : list of ndarray (T_i, D), float32
    labels : ndarray (n_videos, C), float32
    clicks : list of ndarray (k_i, 2)
    positions_fn : callable ``(index, length, clicks, rng) -> positions``
    n_classes : int
    rng : numpy.random.Generator
    """

    def __init__(self, videos, labels, clicks, positions_fn, n_classes, rng):
        super().__init__([len(v) for v in videos], labels, clicks, positions_fn,
                         n_classes, rng)
        self.videos = videos

    def __getitem__(self, index):
        item = super().__getitem__(index)   # positions, labels and raw clicks
        positions = item.pop("positions")
        labels, targets = map_clicks(  # the fit's batch mapping on a batch of one
            torch.from_numpy(np.asarray(positions, dtype=np.float64))[None],
            torch.ones((1, len(positions)), dtype=torch.bool),
            *pad_clicks([item.pop("clicks")]), self.n_classes)
        item["click_labels"], item["click_targets"] = labels[0].numpy(), targets[0].numpy()
        item["x"] = interpolate_rows(self.videos[index], positions)
        return item


def collate_videos(items):
    """Stack dataset items, zero-padding videos to the longest one.

    Returns ``(inputs, targets)`` for skorch: ``inputs`` holds ``x`` (B, T, D) and
    ``mask`` (B, T) for the module's ``forward``; ``targets`` holds ``labels``,
    ``click_labels`` (padding = ignore), ``mask`` and ``index`` for the criterion.
    """
    lengths = [len(item["x"]) for item in items]
    longest = max(lengths)
    batch, width = len(items), items[0]["x"].shape[1]
    x = np.zeros((batch, longest, width), dtype=np.float32)
    clicks = np.full((batch, longest), IGNORE_INDEX, dtype=np.int64)
    click_targets = np.zeros(
        (batch, longest, items[0]["click_targets"].shape[1]), dtype=np.float32
    )
    mask = np.zeros((batch, longest), dtype=bool)
    for b, item in enumerate(items):
        n = lengths[b]
        x[b, :n] = item["x"]
        clicks[b, :n] = item["click_labels"]
        click_targets[b, :n] = item["click_targets"]
        mask[b, :n] = True
    mask_t = torch.from_numpy(mask)
    inputs = {"x": torch.from_numpy(x), "mask": mask_t}
    targets = {
        "labels": torch.from_numpy(np.stack([item["labels"] for item in items])),
        "click_labels": torch.from_numpy(clicks),
        "click_targets": torch.from_numpy(click_targets),
        "mask": mask_t,
        "index": torch.tensor([item["index"] for item in items]),
    }
    return inputs, targets
