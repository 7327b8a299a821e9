"""Minor page faults per training batch of the official step and of sktal's ``fit``
at compare_official's small size (issue #14: where the small-size BaS-Net gap is).

Uses an adapter's ``timing_step`` hook (see ``compare_official.py``); alternates
``--rounds`` whole epochs per side and prints CPU ms and minor page faults
(``getrusage``) per batch. Run it once as it is and once with the glibc allocator
kept from returning memory (``MALLOC_MMAP_THRESHOLD_=4294967296
MALLOC_TRIM_THRESHOLD_=4294967296``) to see how much of each side is page faults.

    python benchmarks/page_faults_small.py --basnet /tmp/official/BaSNet-pytorch
"""
import argparse
import importlib
import resource
import time
import warnings

import numpy as np

import compare_official as compare


def main(argv=None):
    import torch
    torch.set_num_threads(1)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--basnet", metavar="PATH", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--n-train", type=int, default=120)
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
    step(X[:2], torch.from_numpy(y[:2]), None)   # warm-up
    est.fit(X[:2], y[:2])
    totals = np.zeros((2, 2))   # (official, sktal) x (CPU s, faults)
    for _ in range(args.rounds):
        f, t = faults(), time.process_time()
        for idx in batches:
            step([X[j] for j in idx], torch.from_numpy(y[idx]), None)
        totals[0] += time.process_time() - t, faults() - f
        f, t = faults(), time.process_time()
        est.fit(X, y)
        totals[1] += time.process_time() - t, faults() - f
    per = totals / (args.rounds * len(batches))
    print(f"BaS-Net small, per batch ({args.rounds} alternating epochs of "
          f"{len(batches)} batches, CPU): official {per[0, 0] * 1e3:.1f} ms, "
          f"{per[0, 1]:.0f} minor page faults | sktal fit {per[1, 0] * 1e3:.1f} ms, "
          f"{per[1, 1]:.0f} minor page faults")


if __name__ == "__main__":
    main()
