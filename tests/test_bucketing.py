"""Native-length batches (``n_segments=None``): videos of similar length together."""
import numpy as np
import pytest
import torch
from skorch.callbacks import Callback
from torch.utils.data import RandomSampler

import sktal._data
from sktal import FSPTAL
from sktal._data import (DeviceVideos, LengthBucketSampler, PositionDataset,
                        chunking_for, collate_positions, length_chunks,
                        training_loader, WIDE_CALL_COST, WIDE_MODULE_PARAMETERS)
from sktal._resampling import n_steps, source_positions
from sktal.utils.discovery import all_localizers


def _heavy_tailed(n, seed=0):
    """Lengths like THUMOS14's timelines: tens to thousands of snippets."""
    return np.random.default_rng(seed).lognormal(5.5, 1.0, size=n).astype(int) + 5


def _epoch(sampler, seed):
    torch.manual_seed(seed)
    return list(sampler)


def _padded(batches, steps):
    return sum(len(b) * steps[b].max() for b in batches)


@pytest.mark.parametrize("n,batch", [(80, 16), (83, 16), (5, 16), (7, 1), (33, 4)])
def test_every_video_once_per_epoch_in_full_batches(n, batch):
    steps = _heavy_tailed(n)
    sampler = LengthBucketSampler(steps, batch)
    batches = _epoch(sampler, 0)
    assert len(batches) == len(sampler) == -(-n // batch)
    assert sorted(i for b in batches for i in b) == list(range(n))
    assert sorted(len(b) for b in batches)[1:] == [batch] * (len(batches) - 1)


def test_a_batch_holds_neighbours_in_length():
    steps = _heavy_tailed(200)
    batch = 16
    rank = np.empty(200, dtype=int)
    rank[np.argsort(steps, kind="stable")] = np.arange(200)
    for seed in range(5):
        for b in _epoch(LengthBucketSampler(steps, batch), seed):
            # a jitter below batch_size moves a video past fewer than that many
            # others, so a batch spans at most three blocks of batch_size ranks (ties
            # broken either way: compare lengths, not ranks, at the edges)
            lo, hi = steps[b].min(), steps[b].max()
            assert np.sum((steps > lo) & (steps < hi)) <= 3 * batch - 3
    # and the padding is a fraction of a random batching's
    torch.manual_seed(0)
    order = torch.randperm(200).numpy()
    shuffled = [order[i:i + batch] for i in range(0, 200, batch)]
    bucketed = [np.asarray(b) for b in _epoch(LengthBucketSampler(steps, batch), 0)]
    assert _padded(bucketed, steps) < 0.5 * _padded(shuffled, steps)
    assert _padded(bucketed, steps) < 1.5 * steps.sum()


def test_seeded_and_still_shuffled():
    steps = _heavy_tailed(64)
    sampler = LengthBucketSampler(steps, 8)
    assert _epoch(sampler, 3) == _epoch(sampler, 3)
    first, second = _epoch(sampler, 3), _epoch(sampler, 4)
    assert first != second
    # not only the order of the batches changes: their members too
    assert {frozenset(b) for b in first} != {frozenset(b) for b in second}
    # equal lengths: any mix (the jitter then shuffles completely)
    assert len({tuple(b) for b in _epoch(LengthBucketSampler([9] * 64, 8), 0)}) == 8


def test_n_steps_is_the_length_of_the_positions():
    for length in (1, 7, 40):
        for n in (None, 5, 40):
            for method in ("interpolate", "perturb", None):
                positions = source_positions(length, n, method, training=True,
                                             rng=np.random.default_rng(0))
                assert n_steps(length, n, method) == len(positions)


def _dataset(steps):
    return PositionDataset(list(steps), np.zeros((len(steps), 2), np.float32),
                           [np.empty((0, 2))] * len(steps), None, 2, None, steps=steps)


def test_the_loader_buckets_only_ragged_training_batches():
    ragged, fixed = _dataset([3, 90, 7]), _dataset([12, 12, 12])
    assert isinstance(training_loader(ragged, batch_size=2, shuffle=True).batch_sampler,
                      LengthBucketSampler)
    # resampled to n_segments: the plain shuffling loader, as before (same batches
    # for the same seed)
    assert isinstance(training_loader(fixed, batch_size=2, shuffle=True).sampler,
                      RandomSampler)
    assert not isinstance(training_loader(ragged, batch_size=2, shuffle=False).batch_sampler,
                          LengthBucketSampler)


class _Batches(Callback):
    """Hands each training batch's video indices to ``record`` (a bound method: the
    estimator deep-copies its callbacks, a method of a builtin list survives that)."""

    def __init__(self, record):
        self.record = record

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training:
            self.record((len(net.history), batch[0]["index"].tolist()))


def _fit_batches(n_segments, seed, lengths):
    rng = np.random.default_rng(0)
    X = [rng.normal(size=(n, 4)).astype(np.float32) for n in lengths]
    y = np.eye(2, dtype=np.float32)[np.arange(len(X)) % 2]
    clicks = [np.array([[n // 2, i % 2]]) for i, n in enumerate(lengths)]
    log = []
    est = FSPTAL(n_segments=n_segments, hidden_size=4, feature_separation=False,
                 label_extension=False, batch_size=4, max_epochs=2, random_state=seed,
                 progress=None, callbacks=[("batches", _Batches(log.append))])
    est.fit(X, y, clicks=clicks)
    return [[b for e, b in log if e == epoch] for epoch in sorted({e for e, _ in log})]


def test_native_length_fit_batches_by_length_reproducibly():
    # twenty short and twenty long videos, all lengths distinct
    lengths = np.random.default_rng(1).permutation(
        np.r_[np.arange(5, 25), np.arange(300, 320)]).tolist()
    log = _fit_batches(None, 0, lengths)
    assert len(log) == 2
    steps = np.asarray(lengths)
    rank = np.argsort(np.argsort(steps))
    for epoch in log:
        assert sorted(i for b in epoch for i in b) == list(range(len(lengths)))
        assert len(epoch) == 10
        assert all(np.ptp(rank[b]) <= 3 * 4 - 3 for b in epoch)
        # only batches at the gap mix short and long videos
        assert sum(steps[b].min() < 30 and steps[b].max() > 200 for b in epoch) <= 3
    assert log == _fit_batches(None, 0, lengths)
    assert log != _fit_batches(None, 1, lengths)
    # resampled: random batches whatever the lengths (the shuffling loader)
    fixed = _fit_batches(16, 0, lengths)
    assert sum(steps[b].min() < 30 and steps[b].max() > 200
               for epoch in fixed for b in epoch) > 2 * 3


# ------------------------------------------------ padding changes nothing of a video
LOCALIZERS = dict(all_localizers())
LENGTHS = (13, 6, 9)


def _padded_batch(n_features, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.zeros(len(LENGTHS), max(LENGTHS), n_features)
    for b, n in enumerate(LENGTHS):
        x[b, :n] = torch.randn(n, n_features, generator=gen)
    mask = torch.arange(max(LENGTHS))[None] < torch.tensor(LENGTHS)[:, None]
    return x, mask


def _module(name, **params):
    est = LOCALIZERS[name](n_segments=None, **params)
    torch.manual_seed(0)
    return est, est._build_module(6, 2).eval()


# BackTAL's affinity in both similarity layouts, FS-PTAL with its feature separation
# (an embedding of two convolutions) and BaS-Net with a temporal filter kernel
VARIANTS = [(name, {}) for name in LOCALIZERS] + [
    ("BackTAL", dict(similarity_layout="taps")), ("BaSNet", dict(filter_kernel_size=3))]


@pytest.mark.parametrize("name,params", VARIANTS, ids=lambda v: str(v))
def test_a_videos_outputs_in_a_padded_batch_equal_its_outputs_alone(name, params):
    # the padding (zeros in, then bias and nonlinearity) must not reach a video's
    # last steps through a second temporal convolution or a neighbour similarity
    if name == "SegmentDetector":
        # its pyramid outputs need a per-level comparison, and its padding does reach
        # its outputs (about 1e-2 on each level, measured while writing this): open
        pytest.skip("SegmentDetector: pyramid levels; padding leaks (not fixed here)")
    _, module = _module(name, **params)
    x, mask = _padded_batch(6)
    with torch.no_grad():
        batch = module(x=x, mask=mask)
        for b, n in enumerate(LENGTHS):
            alone = module(x=x[b:b + 1, :n], mask=mask[b:b + 1, :n])
            for key, value in alone.items():
                if not torch.is_tensor(value):
                    continue
                got = batch[key][b:b + 1]
                if value.dim() >= 2 and value.shape[1] == n and got.shape[1] == max(LENGTHS):
                    got = got[:, :n]   # per step
                assert got.shape == value.shape, key
                torch.testing.assert_close(got, value, rtol=1e-5, atol=1e-6,
                                           msg=f"{name} {key}")


@pytest.mark.parametrize("name", [n for n in LOCALIZERS if n != "SegmentDetector"])
def test_no_loss_reads_the_padding(name):
    # every loss term of a padded batch is the same whatever the padded steps of the
    # outputs hold (DeviceVideos zeroes the inputs there; the outputs are not zero)
    est, module = _module(name)
    x, mask = _padded_batch(6, seed=1)
    clicks = [np.array([[1.0, 0], [n - 2.0, -1], [n // 2 + 0.5, 1]]) for n in LENGTHS]
    labels = np.array([[1, 1], [1, 0], [0, 1]], dtype=np.float32)
    dataset = PositionDataset(list(LENGTHS), labels, clicks,
                              lambda i, n, c, r: np.arange(n, dtype=np.float64), 2, None)
    _, targets = collate_positions([dataset[i] for i in range(len(LENGTHS))])
    criterion = est._build_criterion(2)
    with torch.no_grad():
        outputs = module(x=x, mask=mask)
    reference = criterion(outputs, targets)
    gen = torch.Generator().manual_seed(2)
    junk = {}
    for key, value in outputs.items():
        if torch.is_tensor(value) and value.dim() >= 2 and value.shape[1] == max(LENGTHS):
            value = value.clone()
            noise = torch.rand(value.shape, generator=gen)
            if key == "embedding":
                noise = torch.nn.functional.normalize(noise, dim=-1)
            value[~mask] = noise[~mask].to(value.dtype)
        junk[key] = value
    assert any(not torch.equal(junk[k], outputs[k]) for k in outputs)
    for term, value in criterion(junk, targets).items():
        torch.testing.assert_close(value, reference[term], msg=f"{name} {term}")


# ------------------------------- a padded batch's forward pass, in sub-batches of length
def test_length_chunks_cut_where_the_padding_is():
    assert length_chunks([100, 101, 99]) is None          # nothing worth saving
    assert length_chunks([7, 7, 7]) is None
    chunks = length_chunks([1000, 30, 31, 29, 30, 1000, 32])
    assert [sorted(c.tolist()) for c in chunks] == [[1, 2, 3, 4, 6], [0, 5]]
    lengths = np.array([17, 50, 120, 300, 800, 2203, 60, 90, 55, 1500])
    chunks = length_chunks(lengths)
    assert len(chunks) <= 3 and sorted(np.concatenate(chunks)) == list(range(10))
    cost = sum(len(c) * lengths[c].max() for c in chunks)
    # the least padded steps over every split of the sorted lengths into three runs
    ls = np.sort(lengths)
    best = min(i * ls[i - 1] + (j - i) * ls[j - 1] + (10 - j) * ls[-1]
               for i in range(1, 10) for j in range(i, 11))
    assert best <= cost <= best + 0.05 * 10 * lengths.max()
    assert cost < 0.8 * 10 * lengths.max()


def test_a_wide_module_splits_where_the_saved_steps_pay_for_the_calls():
    import itertools
    lengths = np.array([17, 50, 120, 300, 800, 2203, 60, 90, 55, 1500, 50, 120])
    # calls free: one run per distinct length, no padded step left
    chunks = length_chunks(lengths, max_chunks=None, call_cost=0)
    assert sorted(np.concatenate(chunks)) == list(range(len(lengths)))
    assert all(len(set(lengths[c])) == 1 for c in chunks)
    assert len(chunks) == len(set(lengths))
    # calls dearer than any saving: no split
    assert length_chunks(lengths, max_chunks=None, call_cost=10**9) is None
    # in between: the least padded steps + call_cost per run over every split of the
    # sorted lengths into consecutive runs (brute force)
    ls = np.sort(lengths)
    for call_cost in (64, 128, 512):
        chunks = length_chunks(lengths, max_chunks=None, call_cost=call_cost)
        got = sum(len(c) * lengths[c].max() + call_cost for c in chunks)
        best = min(sum(len(r) * r.max() + call_cost for r in np.split(ls, list(cuts)))
                   for k in range(len(ls)) for cuts in itertools.combinations(
                       range(1, len(ls)), k))
        assert got == best
    # the narrow default keeps to three runs, so it pads
    narrow = length_chunks(lengths)
    assert len(narrow) <= 3
    assert sum(len(c) * lengths[c].max() for c in narrow) > lengths.sum()
    assert length_chunks([40, 40, 40], max_chunks=None, call_cost=0) is None
    assert length_chunks([40], max_chunks=None, call_cost=0) is None


def test_chunking_for_tells_wide_modules_from_narrow_ones():
    narrow = torch.nn.Conv1d(64, 64, 3)
    wide = torch.nn.Conv1d(1024, 1024, 1)          # 2**20 weights and a bias
    assert chunking_for(narrow) == {}
    assert chunking_for(wide) == {"max_chunks": None, "call_cost": WIDE_CALL_COST}
    assert sum(p.numel() for p in wide.parameters()) >= WIDE_MODULE_PARAMETERS


@pytest.mark.parametrize("wide", [False, True], ids=["narrow", "wide"])
@pytest.mark.parametrize("name", [n for n in LOCALIZERS if n != "SegmentDetector"])
def test_a_chunked_forward_pass_gives_the_whole_batchs_loss_and_gradients(
        name, wide, monkeypatch):
    if wide:   # every module counts as wide: one sub-batch per distinct length
        monkeypatch.setattr(sktal._data, "WIDE_MODULE_PARAMETERS", 0)
        monkeypatch.setattr(sktal._data, "WIDE_CALL_COST", 0)
    est = LOCALIZERS[name](n_segments=None, hidden_size=8, dropout=0.0)
    lengths = (40, 6, 9, 38, 5)
    rng = np.random.default_rng(0)
    videos = [rng.normal(size=(n, 6)).astype(np.float32) for n in lengths]
    clicks = [np.array([[1.0, 0], [n - 2.0, -1], [n // 2 + 0.5, 1]]) for n in lengths]
    labels = np.eye(2, dtype=np.float32)[[0, 1, 1, 0, 1]]
    dataset = PositionDataset(list(lengths), labels, clicks,
                              lambda i, n, c, r: np.arange(n, dtype=np.float64), 2, None)
    inputs, targets = collate_positions([dataset[i] for i in range(len(lengths))])
    torch.manual_seed(0)
    net = est._initialize(6, 2, "cpu")
    net.sktal_source_ = DeviceVideos(videos, "cpu")
    assert length_chunks(inputs["mask"].sum(1).tolist()) is not None
    widths = []
    infer_batch = net._infer_batch
    monkeypatch.setattr(net, "_infer_batch", lambda part, **kw: (
        widths.append(part["mask"].shape[1]), infer_batch(part, **kw))[1])
    results = []
    for chunked in (True, False):
        net.sktal_chunked_ = chunked
        net.module_.zero_grad()
        net.module_.eval()   # no dropout (TEN's continuity branch is training only)
        outputs = net.infer(inputs)
        loss = net.criterion_(outputs, targets)["loss"]
        loss.backward()
        grads = [p.grad.clone() for p in net.module_.parameters() if p.grad is not None]
        results.append((outputs, loss.detach(), grads))
    (out_c, loss_c, grad_c), (out_w, loss_w, grad_w) = results
    assert net.sktal_chunked_ is False  # the flag was not changed by a fallback
    # the sub-batches' widths, then the whole batch's
    assert widths[-1] == max(lengths)
    assert sorted(widths[:-1]) == ([5, 6, 9, 38, 40] if wide else [9, 40])
    torch.testing.assert_close(loss_c, loss_w, rtol=1e-5, atol=1e-6)
    assert len(grad_c) == len(grad_w) > 0
    for a, b in zip(grad_c, grad_w):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)
    mask = inputs["mask"]
    for key, value in out_w.items():
        if value.dim() >= 2 and value.shape[1] == mask.shape[1]:
            torch.testing.assert_close(out_c[key][mask], value[mask], rtol=1e-5, atol=1e-6)
        else:
            torch.testing.assert_close(out_c[key], value, rtol=1e-5, atol=1e-6)


def test_a_detector_fit_falls_back_to_whole_batches():
    from sktal import SegmentDetector

    rng = np.random.default_rng(0)
    X = [rng.normal(size=(n, 4)).astype(np.float32) for n in (64, 8, 9, 60)]
    y = [np.array([[2.0, 6.0, 0]]), np.array([[1.0, 4.0, 1]])] * 2
    est = SegmentDetector(hidden_size=8, max_epochs=1, batch_size=4, progress=None,
                          random_state=0).fit(X, y)
    assert est.net_.sktal_chunked_ is False   # pyramid outputs: not per step
    assert np.isfinite(est.history_[-1, "train_loss"])
