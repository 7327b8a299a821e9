"""The training data path: positions per video in numpy, everything else per batch in torch.

:class:`PositionDataset` draws each training video's source positions (the method's
``_training_positions`` hook: random perturbation, label extension), a small
per-video array; :func:`training_loader` forms the batches (of videos of similar
length when their numbers of steps differ: :class:`LengthBucketSampler`);
:func:`collate_positions` pads them with the raw clicks and maps
the clicks of the whole batch in torch (:func:`map_clicks`, vectorised over videos
and clicks); and :class:`DeviceVideos`, which holds every training video as one
flat tensor, gathers and linearly interpolates the ``(B, n, D)`` feature rows of a
whole batch in torch, on the estimator's device when the videos fit there.
"""
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from ._constants import IGNORE_INDEX

#: share of the free CUDA memory the training videos may take to live on the GPU
#: for the whole fit; above it they stay in pinned host memory and each batch is
#: gathered there and transferred
DEVICE_MEMORY_SHARE = 0.25


class PositionDataset(Dataset):
    """Item ``i``: the source positions of video ``i``'s training snippets, its
    ``labels``, its raw ``clicks`` (``(k, 2)`` ``[t, label]``) and ``index``; no
    features (:class:`DeviceVideos` reads them per batch) and no per-video click
    mapping (:func:`collate_positions` maps the clicks of a batch at once).

    ``steps``: each video's number of training steps (``len`` of its positions,
    :func:`sktal._resampling.n_steps`), which :func:`training_loader` batches by;
    ``None``: all equal."""

    def __init__(self, lengths, labels, clicks, positions_fn, n_classes, rng, steps=None):
        self.lengths = lengths
        self.steps = steps
        self.labels = labels
        self.clicks = clicks
        self.positions_fn = positions_fn
        self.n_classes = n_classes
        self.rng = rng

    def __len__(self):
        return len(self.lengths)

    def __getitem__(self, index):
        clicks = self.clicks[index]
        return {
            "positions": self.positions_fn(index, self.lengths[index], clicks, self.rng),
            "labels": self.labels[index],
            "clicks": clicks,
            "index": index,
        }


class LengthBucketSampler(Sampler):
    """Batches of videos of similar length, every video once per epoch, in random
    order.

    Each epoch the videos are ranked by ``steps`` (ties in random order), each rank
    is moved by a uniform jitter in ``[0, batch_size)``, the videos are sorted by the
    jittered rank and cut into ``ceil(n / batch_size)`` consecutive batches of
    ``batch_size`` (the last one shorter), and the batches are yielded in random
    order. A batch thus mixes videos from about two neighbouring blocks of
    ``batch_size`` lengths, so its padding to its longest video stays small while its
    members still change from epoch to epoch. The draws come from torch's global
    generator, like a shuffling ``DataLoader``'s, so ``fit``'s seed fixes them.

    Parameters
    ----------
    steps : sequence of int
        Steps per video (the padded length a video needs in a batch).
    batch_size : int
    """

    def __init__(self, steps, batch_size):
        self.steps = np.asarray(steps, dtype=np.int64)
        self.batch_size = batch_size

    def __len__(self):
        return -(-len(self.steps) // self.batch_size)

    def __iter__(self):
        n = len(self.steps)
        ties = torch.randperm(n).numpy()
        ranked = ties[np.argsort(self.steps[ties], kind="stable")]
        rank = np.empty(n)
        rank[ranked] = np.arange(n)
        jitter = torch.rand(n, dtype=torch.float64).numpy() * self.batch_size
        order = np.argsort(rank + jitter, kind="stable")
        batches = [order[i:i + self.batch_size] for i in range(0, n, self.batch_size)]
        for b in torch.randperm(len(batches)).tolist():
            yield batches[b].tolist()


#: most sub-batches a padded training batch's forward pass is split into
#: (:func:`length_chunks`)
MAX_CHUNKS = 3
#: least share of a batch's padded steps a split must save to be made (each
#: sub-batch costs a forward call of its own)
MIN_CHUNK_SAVING = 0.2
#: least share of the padded steps one more sub-batch must save
MIN_RUN_GAIN = 0.05
#: parameters of a module from which a padded step costs more than a forward call's
#: fixed overhead (every parameter is used once per step: at 2**20 parameters a step
#: is about two MFLOP each way; the papers' LACP network has 12.6 M). Such a module's
#: batches are split by the saved steps against :data:`WIDE_CALL_COST`
#: (:func:`chunking_for`)
WIDE_MODULE_PARAMETERS = 2 ** 20
#: padded steps one more sub-batch of a wide module must save: measured at D =
#: hidden = 2048 (one thread), 16 videos of 140-178 steps cost 1.0 ms a step as one
#: batch and 1.8 ms a step one by one, about 130 steps more per extra forward call
WIDE_CALL_COST = 128


def chunking_for(module):
    """:func:`length_chunks`' keyword arguments for ``module``'s padded batches.

    A narrow module (fewer than :data:`WIDE_MODULE_PARAMETERS` parameters) pays a
    forward call's fixed cost (tens of small kernels) for every sub-batch, so its
    batches are split into at most :data:`MAX_CHUNKS` runs and only where that saves
    :data:`MIN_CHUNK_SAVING` of the padded steps. A wide one computes
    ``2 * n_parameters`` FLOP per padded step, so padding costs more, but a smaller
    sub-batch also runs its products less efficiently: its batches are cut where the
    padded steps saved exceed :data:`WIDE_CALL_COST` steps per extra sub-batch.
    """
    n = sum(p.numel() for p in module.parameters())
    if n < WIDE_MODULE_PARAMETERS:
        return {}
    return {"max_chunks": None, "call_cost": WIDE_CALL_COST}


def length_chunks(lengths, max_chunks=MAX_CHUNKS, min_saving=MIN_CHUNK_SAVING,
                  min_run_gain=MIN_RUN_GAIN, call_cost=None):
    """Sub-batches of a padded batch whose forward passes cost least, or ``None``.

    The videos (``lengths``, their valid steps) sorted by length are cut into at most
    ``max_chunks`` runs (``None``: as many as there are distinct lengths) minimising
    the padded steps ``sum n_c * max_c`` (exact, dynamic programming over the cut
    points), in as few runs as come within ``min_run_gain`` of ``n * max(lengths)``
    of that least cost; runs of equal maxima (ties) are merged. Returns a list of
    index arrays (shortest run first), or ``None`` when no split saves
    ``min_saving`` of ``n * max(lengths)`` (with ``min_saving=0``: when no split
    saves a step). With ``call_cost`` (in steps) the number of runs instead
    minimises ``sum n_c * max_c + call_cost * runs`` (``min_saving`` and
    ``min_run_gain`` unused).
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    n = len(lengths)
    order = np.argsort(lengths, kind="stable")
    ls = lengths[order]
    full = n * int(ls[-1]) if n else 0
    if n < 2 or ls[0] == ls[-1]:
        return None
    if max_chunks is None:
        max_chunks = len(np.unique(ls))
    # cost[k][i]: least padded steps of the i shortest videos in k runs
    cost = np.full((max_chunks + 1, n + 1), np.inf)
    cut = np.zeros((max_chunks + 1, n + 1), dtype=np.int64)
    cost[0, 0] = 0.0
    for k in range(1, max_chunks + 1):
        for i in range(1, n + 1):
            j = np.arange(i)
            total = cost[k - 1, j] + (i - j) * ls[i - 1]
            cut[k, i] = int(np.argmin(total))
            cost[k, i] = total[cut[k, i]]
    # the runs: least padded steps + call_cost per run, or the fewest runs within
    # min_run_gain of the least padded steps (a run is a forward call)
    if call_cost is not None:
        k = int(np.argmin(cost[1:, n] + call_cost * np.arange(1, max_chunks + 1))) + 1
        min_saving = 0.0
    else:
        k = int(np.flatnonzero(cost[1:, n] <= cost[1:, n].min() + min_run_gain * full)[0]) + 1
    if cost[k, n] > (1 - min_saving) * full or cost[k, n] == full:
        return None
    chunks, i = [], n
    while k > 0:
        j = cut[k, i]
        if i > j:
            if chunks and lengths[chunks[-1]].max() == ls[i - 1]:   # equal maxima
                chunks[-1] = np.concatenate([order[j:i], chunks[-1]])
            else:
                chunks.append(order[j:i])
        i, k = j, k - 1
    return chunks[::-1] if len(chunks) > 1 else None


def training_loader(dataset, *, batch_size, shuffle, **kwargs):
    """``fit``'s ``iterator_train``: a ``DataLoader`` over ``dataset``.

    When the videos' numbers of training steps differ (``dataset.steps``, native
    length) and ``shuffle`` is on, the batches come from a
    :class:`LengthBucketSampler`, so that a batch is not mostly padding; otherwise
    (every video resampled to ``n_segments``) it is the plain shuffling loader.
    """
    steps = getattr(dataset, "steps", None)
    if shuffle and steps is not None and len(set(steps)) > 1:
        return DataLoader(dataset, batch_sampler=LengthBucketSampler(steps, batch_size),
                          **kwargs)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, **kwargs)


def pad_clicks(clicks, device=None):
    """Ragged ``[t, label]`` click arrays as padded ``times`` (B, K) float64,
    ``labels`` (B, K) int64 and ``valid`` (B, K) bool tensors (K: the most clicks
    of a video, at least 1)."""
    width = max([len(c) for c in clicks] + [1])
    times = np.zeros((len(clicks), width), dtype=np.float64)
    labels = np.zeros((len(clicks), width), dtype=np.int64)
    valid = np.zeros((len(clicks), width), dtype=bool)
    for b, c in enumerate(clicks):
        if len(c) == 0:   # nothing to pad (video labels only)
            continue
        c = np.asarray(c, dtype=np.float64).reshape(-1, 2)
        times[b, :len(c)], labels[b, :len(c)], valid[b, :len(c)] = c[:, 0], c[:, 1], True
    return tuple(torch.from_numpy(a).to(device) for a in (times, labels, valid))


def map_clicks(positions, mask, times, labels, valid, n_classes):
    """Click labels and multi-hot click targets of a batch, in torch on any device.

    The batch form of :func:`sktal._resampling.map_click_labels` and
    :func:`~sktal._resampling.map_click_targets`, with identical results per video:
    a click at ``t`` labels every valid step whose source position rounds (half to
    even, like ``numpy.rint``) to ``floor(t)``, else the valid step whose position is
    nearest (the first on ties); background (``label < 0``) is column ``n_classes``;
    for the labels the later click of a video wins, the targets get a one per click.

    Parameters
    ----------
    positions : Tensor (B, T) float64
    mask : Tensor (B, T) bool
        Valid (non-padding) steps.
    times, labels, valid : Tensor (B, K)
        Padded clicks (see :func:`pad_clicks`).
    n_classes : int

    Returns
    -------
    click_labels : Tensor (B, T) int64
        :data:`~sktal._constants.IGNORE_INDEX` where no click lands (and on padding).
    click_targets : Tensor (B, T, n_classes + 1) float32
    """
    batch, steps = positions.shape
    device = positions.device
    if not bool(valid.any()):   # no clicks in the batch (video labels only)
        return (torch.full((batch, steps), IGNORE_INDEX, dtype=torch.int64, device=device),
                torch.zeros((batch, steps, n_classes + 1), dtype=torch.float32,
                            device=device))
    column = torch.where(labels < 0, torch.full_like(labels, n_classes), labels)
    column = torch.where(valid, column, torch.zeros_like(column))
    snippet = times.floor()
    hits = (positions.round()[:, None, :] == snippet[:, :, None])
    hits &= mask[:, None, :] & valid[:, :, None]                       # (B, K, T)
    lost = valid & ~hits.any(dim=-1)                                    # (B, K)
    if bool(lost.any()):
        b, k = lost.nonzero(as_tuple=True)
        distance = (positions[b] - snippet[b, k][:, None]).abs()
        distance = distance.masked_fill(~mask[b], float("inf"))
        hits[b, k, distance.argmin(dim=-1)] = True
    order = torch.arange(hits.shape[1], device=device)[None, :, None]
    last = torch.where(hits, order, torch.full_like(order, -1)).amax(dim=1)   # (B, T)
    click_labels = torch.where(
        last >= 0, column.gather(1, last.clamp(min=0)),
        torch.full_like(last, IGNORE_INDEX))
    one_hot = torch.nn.functional.one_hot(column, n_classes + 1).to(torch.float32)
    one_hot *= valid[..., None]
    click_targets = (torch.einsum("bkt,bkc->btc", hits.to(torch.float32), one_hot) > 0)
    return click_labels, click_targets.to(torch.float32)


def collate_positions(items, n_classes=None):
    """Stack :class:`PositionDataset` items, padding to the longest, and map their
    clicks (:func:`map_clicks`).

    Returns ``(inputs, targets)``: ``inputs`` holds ``index`` (B,), ``positions``
    (B, T) float64 and ``mask`` (B, T) — :class:`DeviceVideos` turns them into
    ``x``; ``targets`` holds ``labels``, ``click_labels`` (IGNORE_INDEX on padding),
    ``click_targets`` (B, T, C + 1; zero rows on padding), ``mask`` and ``index``.
    ``n_classes`` defaults to the width of the items' labels.
    """
    lengths = [len(item["positions"]) for item in items]
    batch, longest = len(items), max(lengths)
    positions = np.zeros((batch, longest), dtype=np.float64)
    mask = np.zeros((batch, longest), dtype=bool)
    for b, item in enumerate(items):
        positions[b, :lengths[b]] = item["positions"]
        mask[b, :lengths[b]] = True
    labels = torch.from_numpy(np.stack([item["labels"] for item in items]))
    if n_classes is None:
        n_classes = labels.shape[1]
    positions, mask_t = torch.from_numpy(positions), torch.from_numpy(mask)
    click_labels, click_targets = map_clicks(
        positions, mask_t, *pad_clicks([item["clicks"] for item in items]), n_classes)
    index = torch.tensor([item["index"] for item in items])
    inputs = {"index": index, "positions": positions, "mask": mask_t}
    return inputs, {
        "labels": labels,
        "click_labels": click_labels,
        "click_targets": click_targets,
        "mask": mask_t,
        "index": index,
    }


#: bytes of the rows gathered at once when :meth:`DeviceVideos.rows` returns them
#: channels first (small enough for the C library to reuse the temporary's memory
#: from piece to piece and step to step instead of mapping it afresh)
GATHER_PIECE_BYTES = 8 * 2 ** 20


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

    def _gather(self, rows):
        """``flat[rows]`` for a (B, T) index, as a new (B, T, D) tensor."""
        return self.flat.index_select(0, rows.reshape(-1)).view(*rows.shape, -1)

    def rows(self, index, positions, mask, channels_first=False):
        """``(B, T, D)`` rows of videos ``index`` linearly interpolated at
        ``positions`` (exactly :func:`sktal._resampling.interpolate_rows` per
        video), zero where ``mask`` is False.

        One gather when every position is a whole index (``'perturb'``, no
        resampling), else two, combined in place (one output-sized temporary).
        ``channels_first``: the same values, as the transpose of a contiguous
        ``(B, D, T)`` tensor, the layout a convolution reads (so that
        :func:`~sktal.nn._layers._channels_first` copies nothing); the rows are
        gathered in pieces of about :data:`GATHER_PIECE_BYTES` and each piece is
        transposed into place, instead of a batch-sized gather and a batch-sized
        transposed copy (at the papers' size two fresh 98 MB tensors per step).
        """
        where = self.flat.device
        index, positions, mask = index.to(where), positions.to(where), mask.to(where)
        length = self.lengths[index][:, None]
        lo = torch.minimum(positions.floor().long().clamp(min=0), length - 1)
        base = self.offsets[index][:, None]
        frac = (positions - lo.double()).float()
        hi = torch.minimum(lo + 1, length - 1) if bool(frac.any()) else None
        if channels_first:
            n_videos, steps = positions.shape
            width = self.flat.shape[1]
            out = torch.empty(n_videos, width, steps, dtype=self.flat.dtype, device=where)
            piece = max(1, GATHER_PIECE_BYTES // max(1, steps * width
                                                      * self.flat.element_size()))
            for start in range(0, n_videos, piece):
                rows = slice(start, start + piece)
                out[rows].copy_(self._interpolated(
                    base[rows], lo[rows], None if hi is None else hi[rows],
                    frac[rows]).transpose(1, 2))
            x = out.transpose(1, 2)
        else:
            x = self._interpolated(base, lo, hi, frac)
        if not bool(mask.all()):
            x.masked_fill_(~mask[..., None], 0.0)
        return x.to(self.device, non_blocking=True)

    def _interpolated(self, base, lo, hi, frac):
        """``(b, T, D)`` rows ``base + lo`` of the flat tensor, mixed in place with
        rows ``base + hi`` by ``frac`` (``hi`` None: every ``frac`` is 0)."""
        x = self._gather(base + lo)
        if hi is not None:
            frac = frac[..., None]
            x.mul_(1 - frac).add_(self._gather(base + hi).mul_(frac))
        return x
