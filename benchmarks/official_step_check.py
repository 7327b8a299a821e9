"""BackTAL step by step against the official code (issue #16: where a gap comes from).

Two checks, both with the official network, loss and post-processing imported from a
local checkout (nothing copied; the same adapter as ``compare_official.py``):

1. **One step**: the official weights copied into sktal's module, one batch of the
   synthetic suite, dropout off: largest difference of the base and suppression CAS,
   every loss term, and the relative difference of each layer's gradient, for both
   ``similarity_layout`` values (``'taps'`` against the official code with its
   similarity tiling made per tap at run time, to show that this is the only
   difference of the paper layout).
2. **Same start, same batches**: per seed, the official net and sktal's module start
   from the same weights and are trained in one loop on the same batches (only
   dropout draws differ); both are scored with the official post-processing, then
   sktal's own ``fit`` (its own initial weights) is scored too. Equal scores in a
   row mean the training is the same and the seed spread is initialisation.

Usage::

    python benchmarks/official_step_check.py --backtal /tmp/official/BackTAL --seeds 3
"""
import argparse
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [p for p in (os.path.dirname(HERE), HERE) if p not in sys.path]

import _official_backtal as ob  # noqa: E402
from _official_basnet import _map, cpu_cuda  # noqa: E402
from compare_official import synthetic_suite  # noqa: E402
from sktal import BackTAL  # noqa: E402
from sktal._resampling import map_click_targets, source_positions  # noqa: E402


def _per_tap(official):
    """Run-time patch: the official similarity tile made per tap (row c*K+o -> s_o)."""
    attention = official.network.AttentionConv1d
    original = attention.cal_local_attenttion

    def per_tap(self, embedding, feature, kernel_size):
        tile = original(self, embedding, feature, kernel_size)
        c = feature.shape[1]
        sims = torch.stack([tile[:, i * c] for i in range(kernel_size)], 1)
        return sims.repeat(1, c, 1)

    attention.cal_local_attenttion = per_tap
    return lambda: setattr(attention, "cal_local_attenttion", original)


def _pair(official, cfg, n_features, n_classes, hidden, n, layout, dropout, seed):
    torch.manual_seed(seed)
    net = official.network.Network(cfg)
    ob._set_width(net, hidden)
    net.base_module.drop_out.p = dropout
    est = BackTAL(n_segments=n, hidden_size=hidden, dropout=dropout,
                  similarity_layout=layout, random_state=seed, progress=None)
    module = est._build_module(n_features, n_classes)
    pairs = [
        (module.filter.conv1, net.filter_module.conv_1[0]),
        (module.filter.conv2, net.filter_module.conv_2[0]),
        (module.cas_module.conv1, net.base_module.conv_1),
        (module.cas_module.conv2, net.base_module.conv_2),
        (module.cas_module.classifier, net.classifier_module.conv),
        (module.embedding.conv1, net.embedding_module.conv_1),
        (module.embedding.conv2, net.embedding_module.conv_2),
    ]
    with torch.no_grad():
        for mine, theirs in pairs:
            mine.weight.copy_(theirs.weight)
            if getattr(theirs, "bias", None) is not None:
                mine.bias.copy_(theirs.bias)
    return net, est, module, pairs


def _targets(suite, idx, n, c):
    clicks = suite.background_clicks_train
    return torch.from_numpy(np.stack([
        map_click_targets(clicks[i], source_positions(len(suite.X_train[i]), n,
                                                       "interpolate", training=True), c)
        for i in idx]))


def one_step(official, suite, hidden, n, dtype=torch.float32):
    c, d = suite.n_classes, suite.X_train[0].shape[1]
    cfg = ob._cfg(d, c, n)
    idx = np.arange(min(16, len(suite.X_train)))
    labels = torch.from_numpy(np.asarray(suite.y_train, dtype=np.float32))[idx]
    x, cl = ob._batch([suite.X_train[i] for i in idx],
                      [suite.background_clicks_train[i] for i in idx], n, c, True, None)
    x, labels = x.to(dtype), labels.to(dtype)
    default_dtype = torch.get_default_dtype()
    for layout in ("channel_blocks", "taps"):
        restore = _per_tap(official) if layout == "taps" else (lambda: None)
        try:
            net, est, module, pairs = _pair(official, cfg, d, c, hidden, n, layout, 0.0, 0)
            net.to(dtype)
            module.to(dtype)
            torch.set_default_dtype(dtype)   # the official code's fresh tensors
            crit = est._build_criterion(c)
            with cpu_cuda():
                outs = net(x.transpose(1, 2), is_train=True)
                cost, _ = official.loss.BackTALLoss(cfg)(cfg, *outs, labels, cl, None)
            mine = module(x)
            terms = crit(mine, {"labels": labels,
                                "click_targets": _targets(suite, idx, n, c).to(dtype)})
            cost.backward()
            terms["loss"].backward()
        finally:
            restore()
            torch.set_default_dtype(default_dtype)
        cas = max(float((outs[1].transpose(1, 2) - mine["cas_base"]).abs().max().detach()),
                  float((outs[3].transpose(1, 2) - mine["cas_supp"]).abs().max().detach()))
        grads = max(float((a.weight.grad - b.weight.grad).norm() / b.weight.grad.norm())
                    for a, b in pairs)
        print(f"one step, similarity_layout={layout!r}: max |CAS diff| {cas:.1e}, "
              f"loss official {cost.item():.5f} sktal {terms['loss'].item():.5f}, "
              f"largest relative gradient difference {grads:.1e}")


def same_start(official, suite, seed, hidden, n, epochs, lr):
    c, d = suite.n_classes, suite.X_train[0].shape[1]
    cfg = ob._cfg(d, c, n)
    net, est, module, _ = _pair(official, cfg, d, c, hidden, n, "channel_blocks", 0.7, seed)
    crit, crit_o = est._build_criterion(c), official.loss.BackTALLoss(cfg)
    opt_o = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=5e-4)
    opt_s = torch.optim.Adam(module.parameters(), lr=lr, weight_decay=5e-4)
    clicks = suite.background_clicks_train
    labels = torch.from_numpy(np.asarray(suite.y_train, dtype=np.float32))
    rng = np.random.default_rng(seed)
    with cpu_cuda():
        for _ in range(epochs):
            net.train()
            module.train()
            order = rng.permutation(len(suite.X_train))
            for b in range(0, len(order), 16):
                idx = order[b:b + 16]
                x, cl = ob._batch([suite.X_train[i] for i in idx], [clicks[i] for i in idx],
                                  n, c, True, rng)
                if not bool((cl == c).any()):
                    continue  # the official score-separation loss needs a click
                cost, _ = crit_o(cfg, *net(x.transpose(1, 2), is_train=True), labels[idx],
                                 cl, None)
                opt_o.zero_grad()
                cost.backward()
                opt_o.step()
                loss = crit(module(x), {"labels": labels[idx],
                                        "click_targets": _targets(suite, idx, n, c)})["loss"]
                opt_s.zero_grad()
                loss.backward()
                opt_s.step()
    net.eval()
    module.eval()
    lengths = [len(v) for v in suite.X_test]
    x, _ = ob._batch(suite.X_test, None, n, c, False, None)
    with torch.no_grad():
        o_score, o_cas, o_feat = (t.numpy() for t in net(x.transpose(1, 2), is_train=False))
        out = module(x)
    s_score, s_cas = out["score_supp"].numpy(), out["cas_supp"].transpose(1, 2).numpy()
    s_mag = out["magnitude"].numpy()
    official_map = _map(suite, [ob._official_pp(official, cfg, o_score[i], o_cas[i],
                                                o_feat[i], L) for i, L in enumerate(lengths)])
    sktal_map = _map(suite, [ob._official_pp(official, cfg, s_score[i], s_cas[i],
                                             s_mag[i][None], L) for i, L in enumerate(lengths)])
    est.set_params(max_epochs=epochs, lr=lr, dropout=0.7)
    est.fit(suite.X_train, suite.y_train, clicks=clicks)
    fit_map = _map(suite, est.predict(suite.X_test))
    print(f"seed {seed}: same start and batches: official {100 * official_map:5.1f} | "
          f"sktal module {100 * sktal_map:5.1f} | sktal fit (own start) {100 * fit_map:5.1f}",
          flush=True)
    return official_map, sktal_map, fit_map


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backtal", metavar="PATH", required=True)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--hidden-size", type=int, default=64)
    parser.add_argument("--n-segments", type=int, default=128)
    parser.add_argument("--max-epochs", type=int, default=40)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one seed")
    parser.add_argument("--float64", action="store_true",
                        help="the one-step check in float64 (rules out float32 rounding "
                             "flipping a top-k or hard-mining selection)")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.hidden_size, args.n_segments, args.max_epochs = 1, 8, 16, 1
    torch.set_num_threads(1)
    official = ob.load(args.backtal)
    n_train, n_test = (8, 4) if args.quick else (120, 80)
    one_step(official, synthetic_suite(0, n_train, n_test), args.hidden_size,
             args.n_segments, torch.float64 if args.float64 else torch.float32)
    print(f"same start: hidden {args.hidden_size}, {args.n_segments} steps, "
          f"{args.max_epochs} epochs, lr {args.lr}; avg mAP@0.1:0.7 x100, official "
          f"post-processing for both nets")
    rows = [same_start(official, synthetic_suite(seed, n_train, n_test), seed,
                       args.hidden_size, args.n_segments, args.max_epochs, args.lr)
            for seed in range(args.seeds)]
    rows = 100 * np.asarray(rows)
    mean, std = rows.mean(axis=0), rows.std(axis=0)
    print(f"mean ± std: official {mean[0]:.1f} ± {std[0]:.1f} | sktal module "
          f"{mean[1]:.1f} ± {std[1]:.1f} | sktal fit {mean[2]:.1f} ± {std[2]:.1f}")


if __name__ == "__main__":
    main()
