"""Minor page faults per training batch of the official step and of sktal's ``fit``
at compare_official's small size (issue #14: where the small-size BaS-Net gap is).

Uses an adapter's ``timing_step`` hook (see ``compare_official.py``); alternates
``--rounds`` whole epochs per side and prints CPU ms and minor page faults
(``getrusage``) per batch. Run it once as it is and once with the glibc allocator
kept from returning memory (``MALLOC_MMAP_THRESHOLD_=4294967296
MALLOC_TRIM_THRESHOLD_=4294967296``) to see how much of each side is page faults.

    python benchmarks/page_faults_small.py --basnet /tmp/official/BaSNet-pytorch

With ``--phases`` it also splits each side's faults by where they happen (the
innermost of: data — the adapter's ``_inputs`` / sktal's collation and
``batch_inputs`` gather —, forward, loss, backward, optimizer step; ``other`` is
the rest of the loop: skorch, the data loader, callbacks).
"""
import argparse
import collections
import contextlib
import functools
import importlib
import resource
import time
import warnings

import numpy as np

import compare_official as compare


class _Phases:
    """Minor page faults per phase, each fault counted in the innermost phase."""

    def __init__(self, faults):
        self.faults = faults
        self.totals = collections.Counter()
        self.stack = []

    @contextlib.contextmanager
    def phase(self, name):
        now = self.faults()
        if self.stack:   # close the enclosing phase's running count
            self.totals[self.stack[-1][0]] += now - self.stack[-1][1]
        self.stack.append([name, now])
        try:
            yield
        finally:
            now = self.faults()
            name, start = self.stack.pop()
            self.totals[name] += now - start
            if self.stack:
                self.stack[-1][1] = now

    def wrap(self, owner, attr, name):
        original = getattr(owner, attr)

        @functools.wraps(original)
        def wrapped(*args, **kwargs):
            with self.phase(name):
                return original(*args, **kwargs)

        setattr(owner, attr, wrapped)


def _instrument(phases, adapter, official, est):
    import torch

    from sktal import base

    phases.wrap(torch.Tensor, "backward", "backward")
    phases.wrap(torch.optim.Adam, "step", "optimizer step")
    phases.wrap(adapter, "_inputs", "data")
    phases.wrap(base, "collate_positions", "data")
    phases.wrap(base._LocalizerNet, "batch_inputs", "data")
    phases.wrap(base._LocalizerNet, "get_loss", "loss")
    phases.wrap(official.model.BaS_Net, "forward", "forward")
    phases.wrap(official.train.BaS_Net_loss, "forward", "loss")
    phases.wrap(type(est._build_module(4, 2)), "forward", "forward")


def main(argv=None):
    import torch
    torch.set_num_threads(1)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--basnet", metavar="PATH", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--n-train", type=int, default=120)
    parser.add_argument("--phases", action="store_true",
                        help="also split the faults of each side by phase")
    args = parser.parse_args(argv)
    adapter = importlib.import_module("_official_basnet")
    official = adapter.load(args.basnet)
    size = dict(n_features=64, n_segments=128, hidden_size=64, batch_size=16,
                n_classes=5, lr=1e-4)
    step, est, _ = adapter.timing_step(official, dict(size))
    X, y, _ = compare.timing_data(size, args.n_train)
    est.set_params(max_epochs=1, warm_start=True, progress=None, random_state=0)
    batches = [np.arange(b, min(b + 16, len(X))) for b in range(0, len(X), 16)]
    faults = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_minflt  # noqa: E731
    warnings.simplefilter("ignore", UserWarning)
    phases = _Phases(faults)
    if args.phases:   # before the warm-up fit builds the net's data loader
        _instrument(phases, adapter, official, est)
    by_phase = [collections.Counter(), collections.Counter()]
    step(X[:2], torch.from_numpy(y[:2]), None)   # warm-up
    est.fit(X[:2], y[:2])
    totals = np.zeros((2, 2))   # (official, sktal) x (CPU s, faults)
    for _ in range(args.rounds):
        before, f, t = phases.totals.copy(), faults(), time.process_time()
        for idx in batches:
            step([X[j] for j in idx], torch.from_numpy(y[idx]), None)
        totals[0] += time.process_time() - t, faults() - f
        by_phase[0] += phases.totals - before
        by_phase[0]["other"] += (faults() - f) - sum((phases.totals - before).values())
        before, f, t = phases.totals.copy(), faults(), time.process_time()
        est.fit(X, y)
        totals[1] += time.process_time() - t, faults() - f
        by_phase[1] += phases.totals - before
        by_phase[1]["other"] += (faults() - f) - sum((phases.totals - before).values())
    per = totals / (args.rounds * len(batches))
    print(f"BaS-Net small, per batch ({args.rounds} alternating epochs of "
          f"{len(batches)} batches, CPU): official {per[0, 0] * 1e3:.1f} ms, "
          f"{per[0, 1]:.0f} minor page faults | sktal fit {per[1, 0] * 1e3:.1f} ms, "
          f"{per[1, 1]:.0f} minor page faults")
    if args.phases:
        n = args.rounds * len(batches)
        names = ["data", "forward", "loss", "backward", "optimizer step", "other"]
        for label, counts in zip(("official", "sktal fit"), by_phase):
            print(f"  {label:9s} faults per batch by phase: " + ", ".join(
                f"{name} {counts[name] / n:.0f}" for name in names))


if __name__ == "__main__":
    main()
