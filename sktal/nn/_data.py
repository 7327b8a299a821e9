"""Ragged videos as a torch Dataset, and the collate that pads them into a batch."""
import numpy as np
import torch
from torch.utils.data import Dataset

from .._resampling import interpolate_rows, map_click_labels, map_click_targets


class VideoDataset(Dataset):
    """Videos, their labels and clicks, resampled on access.

    Item ``i`` is a dict with ``x`` (n, D) features read at the positions given by
    ``positions_fn``, ``labels`` (C,), ``click_labels`` (n,), ``click_targets`` (n, C + 1)
    multi-hot and ``index``. The positions
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
        self.videos = videos
        self.labels = labels
        self.clicks = clicks
        self.positions_fn = positions_fn
        self.n_classes = n_classes
        self.rng = rng

    def __len__(self):
        return len(self.videos)

    def __getitem__(self, index):
        video = self.videos[index]
        clicks = self.clicks[index]
        positions = self.positions_fn(index, len(video), clicks, self.rng)
        return {
            "x": interpolate_rows(video, positions),
            "labels": self.labels[index],
            "click_labels": map_click_labels(clicks, positions, self.n_classes),
            "click_targets": map_click_targets(clicks, positions, self.n_classes),
            "index": index,
        }


def collate_videos(items):
    """Stack dataset items, zero-padding videos to the longest one.

    Returns ``(inputs, targets)`` for skorch: ``inputs`` holds ``x`` (B, T, D) and
    ``mask`` (B, T) for the module's ``forward``; ``targets`` holds ``labels``,
    ``click_labels`` (padding = ignore), ``click_targets`` (B, T, C + 1) float
    multi-hot (padding = 0), ``mask`` and ``index`` for the criterion.
    """
    lengths = [len(item["x"]) for item in items]
    longest = max(lengths)
    batch, width = len(items), items[0]["x"].shape[1]
    x = np.zeros((batch, longest, width), dtype=np.float32)
    clicks = np.full((batch, longest), -100, dtype=np.int64)
    n_outputs = items[0]["click_targets"].shape[1]
    click_targets = np.zeros((batch, longest, n_outputs), dtype=np.float32)
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
