"""The training data path: positions per video in numpy, rows gathered in torch.

:class:`PositionDataset` draws each training video's source positions (the method's
``_training_positions`` hook: random perturbation, label extension) and maps its
clicks, all small per-video arrays; :func:`collate_positions` stacks them; and
:class:`DeviceVideos`, which holds every training video as one flat tensor,
gathers and linearly interpolates the ``(B, n, D)`` feature rows of a whole batch
in torch, on the estimator's device when the videos fit there.
"""
import numpy as np
import torch
from torch.utils.data import Dataset

from ._constants import IGNORE_INDEX
from ._resampling import map_click_labels, map_click_targets

#: share of the free CUDA memory the training videos may take to live on the GPU
#: for the whole fit; above it they stay in pinned host memory and each batch is
#: gathered there and transferred
DEVICE_MEMORY_SHARE = 0.25


class PositionDataset(Dataset):
    """Item ``i``: the source positions of video ``i``'s training snippets and its
    mapped labels (``labels``, ``click_labels``, ``click_targets``), no features."""

    def __init__(self, lengths, labels, clicks, positions_fn, n_classes, rng):
        self.lengths = lengths
        self.labels = labels
        self.clicks = clicks
        self.positions_fn = positions_fn
        self.n_classes = n_classes
        self.rng = rng

    def __len__(self):
        return len(self.lengths)

    def __getitem__(self, index):
        clicks = self.clicks[index]
        positions = self.positions_fn(index, self.lengths[index], clicks, self.rng)
        return {
            "positions": positions,
            "labels": self.labels[index],
            "click_labels": map_click_labels(clicks, positions, self.n_classes),
            "click_targets": map_click_targets(clicks, positions, self.n_classes),
            "index": index,
        }


def collate_positions(items):
    """Stack :class:`PositionDataset` items, padding to the longest.

    Returns ``(inputs, targets)``: ``inputs`` holds ``index`` (B,), ``positions``
    (B, T) float64 and ``mask`` (B, T) — :class:`DeviceVideos` turns them into
    ``x``; ``targets`` holds ``labels``, ``click_labels`` (IGNORE_INDEX on padding),
    ``click_targets`` (B, T, C + 1; zero rows on padding), ``mask`` and ``index``.
    """
    lengths = [len(item["positions"]) for item in items]
    batch, longest = len(items), max(lengths)
    width = items[0]["click_targets"].shape[1]
    positions = np.zeros((batch, longest), dtype=np.float64)
    clicks = np.full((batch, longest), IGNORE_INDEX, dtype=np.int64)
    targets = np.zeros((batch, longest, width), dtype=np.float32)
    mask = np.zeros((batch, longest), dtype=bool)
    for b, item in enumerate(items):
        n = lengths[b]
        positions[b, :n] = item["positions"]
        clicks[b, :n] = item["click_labels"]
        targets[b, :n] = item["click_targets"]
        mask[b, :n] = True
    mask_t = torch.from_numpy(mask)
    index = torch.tensor([item["index"] for item in items])
    inputs = {"index": index, "positions": torch.from_numpy(positions), "mask": mask_t}
    return inputs, {
        "labels": torch.from_numpy(np.stack([item["labels"] for item in items])),
        "click_labels": torch.from_numpy(clicks),
        "click_targets": torch.from_numpy(targets),
        "mask": mask_t,
        "index": index,
    }


class DeviceVideos:
    """The training videos as one flat ``(sum T_i, D)`` tensor, read per batch.

    On CUDA the tensor is moved to the device once when it takes at most
    :data:`DEVICE_MEMORY_SHARE` of the free memory, else it stays in pinned host
    memory and every batch is gathered on the host and copied asynchronously.
    On CPU the videos are simply concatenated.
    """

    def __init__(self, videos, device):
        device = torch.device(device)
        flat = torch.from_numpy(np.concatenate(videos, axis=0))
        self.device = device
        self.on_device = device.type != "cuda"
        if device.type == "cuda":
            free, _ = torch.cuda.mem_get_info(device)
            if flat.numel() * flat.element_size() <= DEVICE_MEMORY_SHARE * free:
                flat, self.on_device = flat.to(device), True
            else:
                flat = flat.pin_memory()
        self.flat = flat
        lengths = torch.tensor([len(v) for v in videos], dtype=torch.int64)
        self.lengths = lengths.to(flat.device)
        self.offsets = (torch.cumsum(lengths, 0) - lengths).to(flat.device)

    def rows(self, index, positions, mask):
        """``(B, T, D)`` rows of videos ``index`` linearly interpolated at
        ``positions`` (exactly :func:`sktal._resampling.interpolate_rows` per
        video), zero where ``mask`` is False."""
        where = self.flat.device
        index, positions, mask = index.to(where), positions.to(where), mask.to(where)
        length = self.lengths[index][:, None]
        lo = torch.minimum(positions.floor().long().clamp(min=0), length - 1)
        hi = torch.minimum(lo + 1, length - 1)
        frac = (positions - lo.double()).float()[..., None]
        base = self.offsets[index][:, None]
        x = self.flat[base + lo] * (1 - frac) + self.flat[base + hi] * frac
        x = torch.where(mask[..., None], x, torch.zeros((), dtype=x.dtype, device=where))
        return x.to(self.device, non_blocking=True)
