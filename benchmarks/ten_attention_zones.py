"""TEN's BGES rows with the attention split by zone (issue #16.3: why BGES does not help).

The data and budget of the former ``bench_ten.py`` (commit ``dfa29af``):
``make_temporal_actions`` with strong action-context confusion, 80 training / 40 test
videos, video labels only, 96 snippets, width 96, dropout 0.5, 30 epochs, lr 1e-3.
For each row it logs, after every epoch, the mean attention of the training videos
*inside* the ground truth, in the *near* background (outside, at most 8 snippets
from an instance: where the generator puts the class context strongest and the
run-ups) and in the *far* background. BGES is meant to hold the near background
down against the foreground loss; the log shows whether it does.

Usage::

    python benchmarks/ten_attention_zones.py                      # BL, BL+BGES, TEN, TEN+BGES
    python benchmarks/ten_attention_zones.py --extra "alpha_bg=0.3" --rows BL,BL+BGES
    python benchmarks/ten_attention_zones.py --rows BL+BGES,TEN+BGES \
        --extra "background_strategy='bges_exact';foreground_normalizer='attention'"

``--extra`` holds ``name=python-literal`` pairs separated by ``;``, passed to every row.
"""
import argparse
import ast
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import numpy as np
import torch
from skorch.callbacks import Callback
torch.set_num_threads(1)
from sktal.datasets import make_temporal_actions
from sktal.localizers import TEN
from sktal.metrics import detection_map
DATA = dict(n_classes=5, n_features=64, context_scale=(6.0, 2.0), context_floor=0.3,
            context_width=8.0, runup_prob=0.5)
p = argparse.ArgumentParser()
p.add_argument("--seeds", default="0,1,2"); p.add_argument("--epochs", type=int, default=30)
p.add_argument("--rows", default="BL,BL+BGES,TEN,TEN+BGES"); p.add_argument("--extra", default="")
p.add_argument("--quick", action="store_true")
p.add_argument("--hidden", type=int, default=96); p.add_argument("--dropout", type=float, default=0.5)
a = p.parse_args()

class Zones(Callback):
    def __init__(self, X, segs): self.X, self.segs = X, segs
    def on_epoch_end(self, net, **kw):
        m = net.module_; m.eval(); z = {"in": [], "near": [], "far": []}
        with torch.no_grad():
            for x, segs in zip(self.X, self.segs):
                att = m(torch.as_tensor(x, dtype=torch.float32)[None])["attention"][0].numpy()
                t = np.arange(len(x)) + 0.5; gt = np.zeros(len(x), bool); dist = np.full(len(x), np.inf)
                for s, e, _ in np.asarray(segs).reshape(-1, 3):
                    gt |= (t >= s) & (t <= e)
                    dist = np.minimum(dist, np.maximum(s - t, t - e))
                z["in"].append(att[gt]); z["near"].append(att[~gt & (dist <= 8)]); z["far"].append(att[~gt & (dist > 8)])
        m.train()
        for k, v in z.items(): net.history.record(f"att_{k}", float(np.concatenate(v).mean()))

ROWS = {"BL": dict(tcb=False, background_strategy="none"), "BL+BGES": dict(tcb=False),
        "TEN": dict(background_strategy="none"), "TEN+BGES": {}}
extra = {k: ast.literal_eval(v) for k, v in (kv.split("=", 1) for kv in a.extra.split(";") if kv)}
if a.quick:
    a.seeds, a.epochs, a.hidden = "0", 2, 8
budget = dict(n_segments=96, hidden_size=a.hidden, dropout=a.dropout, max_epochs=a.epochs, lr=1e-3, batch_size=16, progress=None)
res = {}
for seed in map(int, a.seeds.split(",")):
    data = make_temporal_actions(n_videos=120, random_state=seed, **DATA)
    Xtr, Xte, truth = data.X[:80], data.X[80:], data.segments[80:]
    for name in a.rows.split(","):
        est = TEN(**ROWS[name], **extra, **budget, random_state=seed, callbacks=[("z", Zones(Xtr, data.segments[:80]))])
        t0 = time.time(); est.fit(Xtr, data.y[:80])
        m = detection_map(truth, est.predict(Xte), n_classes=5).mAP.mean()
        h = est.history_
        tr = " ".join(f"e{e+1}:{h[e]['att_in']:.2f}/{h[e]['att_near']:.2f}/{h[e]['att_far']:.2f}" for e in sorted({0, a.epochs//3, 2*a.epochs//3, a.epochs-1}))
        print(f"seed {seed} {name:9s} {extra} mAP {100*m:.1f} att in/near/far {tr} fg {h[-1]['loss_fg']:.3f} bg {h[-1]['loss_bg']:.3f} ({time.time()-t0:.0f}s)", flush=True)
        res.setdefault(name, []).append((m, h[-1]['att_in'], h[-1]['att_near'], h[-1]['att_far']))
for name, v in res.items():
    v = np.array(v)
    print(f"{name:9s} {extra} avg mAP {100*v[:,0].mean():.1f} ± {100*v[:,0].std():.1f}  att in/near/far {v[:,1].mean():.2f}/{v[:,2].mean():.2f}/{v[:,3].mean():.2f}")
