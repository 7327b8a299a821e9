"""compare_official.py --quick against a tiny fake checkout written by the test."""
import math
import os
import textwrap

import pytest

torch = pytest.importorskip("torch")

BENCH = os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks")

FAKE_MODEL = '''
import torch
from torch import nn


class BaS_Net(nn.Module):
    """Same attribute names as the official module; a trivial computation."""

    def __init__(self, len_feature, num_classes, num_segments):
        super().__init__()
        self.filter_module = nn.Sequential(nn.Conv1d(len_feature, 1, 1), nn.Sigmoid())
        self.cas_module = nn.Module()
        self.cas_module.conv_1 = nn.Sequential(nn.Conv1d(len_feature, 4, 3, padding=1))
        self.cas_module.conv_2 = nn.Sequential(nn.Conv1d(4, 4, 3, padding=1))
        self.cas_module.conv_3 = nn.Sequential(nn.Conv1d(4, num_classes + 1, 1, bias=False))

    def _cas(self, x):
        h = x.permute(0, 2, 1)
        for layer in (self.cas_module.conv_1, self.cas_module.conv_2, self.cas_module.conv_3):
            h = layer(h)
        return h.permute(0, 2, 1)

    def forward(self, x):
        w = self.filter_module(x.permute(0, 2, 1)).permute(0, 2, 1)
        cas_base, cas_supp = self._cas(x), self._cas(x * w)
        return (cas_base.mean(1).softmax(-1), cas_base, cas_supp.mean(1).softmax(-1),
                cas_supp, w)
'''
FAKE_TRAIN = '''
import torch
from torch import nn


class BaS_Net_loss(nn.Module):
    def __init__(self, alpha):
        super().__init__()
        self.alpha = alpha

    def forward(self, score_base, score_supp, fore_weights, label):
        ones = torch.ones((label.shape[0], 1)).cuda()   # patched to a no-op on CPU
        target = torch.cat([label, ones], 1)
        loss = -(target * score_base.clamp(min=1e-6).log()).sum(1).mean()
        loss = loss + self.alpha * fore_weights.abs().sum(1).mean()
        return loss, {"loss_total": loss}
'''
FAKE_UTILS = '''
import numpy as np
import torch


def minmax_norm(act_map):
    return act_map


def upgrade_resolution(arr, scale):
    return np.repeat(arr, scale, axis=0)


def get_proposal_oic(tList, wtcam, final_score, c_pred, scale, v_len, sampling_frames,
                     num_segments, lambda_=0.25, gamma=0.2):
    factor = (16 * v_len) / (scale * num_segments * sampling_frames)
    out = []
    for i, pos in enumerate(tList):
        pos = np.asarray(pos)[0]
        out.append([[c_pred[i], 1.0, pos[0] * factor, (pos[-1] + 1) * factor]]
                   if pos.size else [])
    return out


def nms(proposals, thresh):
    return proposals[:1]
'''


@pytest.fixture
def fake_basnet(tmp_path):
    for name, text in (("model.py", FAKE_MODEL), ("train.py", FAKE_TRAIN),
                       ("utils.py", FAKE_UTILS)):
        (tmp_path / name).write_text(textwrap.dedent(text))
    return str(tmp_path)


@pytest.fixture
def compare(monkeypatch):
    monkeypatch.syspath_prepend(os.path.abspath(BENCH))
    import compare_official
    return compare_official


def test_quick_run_against_a_fake_checkout(fake_basnet, compare, capsys):
    compare.main(["--quick", "--basnet", fake_basnet, "--suites", "synthetic"])
    out = capsys.readouterr().out
    assert "[skip] BackTAL: no --backtal PATH given" in out
    assert "[skip] adapter _official_lacp not present" in out or "LACP" in out
    line = next(ln for ln in out.splitlines() if ln.startswith("BaS-Net  synthetic"))
    assert "official" in line and "sktal" in line and "ratio" in line
    assert "cross: official post-processing, sktal CAS" in out
    assert "cross: sktal post-processing, official CAS" in out


def test_adapter_run_returns_the_documented_keys(fake_basnet, compare):
    import _official_basnet as adapter

    official = adapter.load(fake_basnet)
    suite = compare.synthetic_suite(0, n_train=6, n_test=3, n_features=8)
    budget = dict(hidden_size=6, max_epochs=1, lr=1e-3, batch_size=3, n_segments=16,
                  quick=True)
    result = adapter.run(official, suite, 0, budget)
    assert set(result) == {"official_map", "sktal_map", "official_s_per_epoch",
                           "sktal_s_per_epoch", "cross"}
    values = [result["official_map"], result["sktal_map"], *result["cross"].values()]
    assert all(0.0 <= v <= 1.0 for v in values)
    assert all(result[k] > 0 and math.isfinite(result[k])
               for k in ("official_s_per_epoch", "sktal_s_per_epoch"))
    # the width patch replaced the head's channels by the budget's hidden size
    net = official.model.BaS_Net(8, 5, 16)
    adapter._set_width(net, 6)
    assert net.cas_module.conv_2[0].out_channels == 6
    # the CUDA patch is in force only inside the context
    original = torch.Tensor.cuda
    with adapter.cpu_cuda():
        t = torch.zeros(1)
        assert t.cuda() is t
    assert torch.Tensor.cuda is original


def test_timing_hook_times_both_sides_at_both_sizes(fake_basnet, compare, capsys,
                                                    monkeypatch):
    import _official_basnet as adapter

    official = adapter.load(fake_basnet)
    size = dict(n_features=8, n_segments=12, hidden_size=6, batch_size=3, n_classes=4,
                lr=1e-3)
    step, estimator, kind = adapter.timing_step(official, dict(size))
    assert kind is None and estimator.get_params()["hidden_size"] == 6
    X, y, clicks = compare.timing_data(size, 3)
    step([X[0], X[1]], torch.from_numpy(y[:2]), None)   # runs on a batch of the data
    made, hook = [], adapter.timing_step
    monkeypatch.setattr(adapter, "timing_step",
                        lambda *a: made.append(hook(*a)) or made[-1])
    official_s, sktal_s = compare.time_per_epoch(adapter, official, size, n_batches=2,
                                                 rounds=2, n_videos=7)
    assert official_s > 0 and sktal_s > 0
    assert math.isfinite(official_s) and math.isfinite(sktal_s)
    fitted = made[0][1]   # warm-up + 2 rounds, one epoch each, on 2 x 3 videos
    assert fitted.n_epochs_completed_ == 3 and len(fitted.history_) == 3
    assert fitted.history_[-1, "batches"][0]["train_batch_size"] == 3
    monkeypatch.setattr(adapter, "timing_step", hook)
    compare.main(["--quick", "--basnet", fake_basnet, "--no-accuracy", "--paper"])
    out = capsys.readouterr().out
    lines = [ln for ln in out.splitlines() if ln.startswith("BaS-Net  speed")]
    assert len(lines) == 2 and "small" in lines[0] and "paper" in lines[1]
    assert all("s/epoch official" in ln and "ratio" in ln for ln in lines)
    assert "BaS-Net  synthetic" not in out   # --no-accuracy skips the training for mAP


def test_an_adapter_without_the_hook_is_not_timed(fake_basnet, compare, capsys,
                                                  monkeypatch):
    import _official_basnet as adapter

    monkeypatch.delattr(adapter, "timing_step")
    compare.main(["--quick", "--basnet", fake_basnet, "--suites", "synthetic"])
    out = capsys.readouterr().out
    assert "speed" not in out and "BaS-Net  synthetic" in out


def test_bench_localization_times_the_official_loops_on_the_same_cas(fake_basnet,
                                                                      compare, capsys):
    import bench_localization

    bench_localization.against_the_official_loops(fake_basnet, n_videos=4, n_steps=16)
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("BaS-Net post-processing, 4 videos x T=16")
    assert "official test.py loops" in line and "speed-up x" in line
