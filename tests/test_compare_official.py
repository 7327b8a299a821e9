"""compare_official.py --quick against a tiny fake checkout written by the test."""
import math
import os
import sys
import textwrap
import types

import numpy as np

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


FAKE_LACP_MODEL = '''
import torch
from torch import nn


class Cls_Module(nn.Module):
    def __init__(self, len_feature, num_classes):
        super().__init__()
        self.conv_1 = nn.Sequential(nn.Conv1d(len_feature, 2048, 3, padding=1), nn.ReLU())
        self.classifier = nn.Sequential(nn.Conv1d(2048, num_classes + 1, 1, bias=False))

    def forward(self, x):
        out = self.conv_1(x.permute(0, 2, 1))
        return out.permute(0, 2, 1), self.classifier(out).permute(0, 2, 1)


class Model(nn.Module):
    def __init__(self, len_feature, num_classes, r_act):
        super().__init__()
        self.cls_module = Cls_Module(len_feature, num_classes)

    def forward(self, x, vid_labels=None):
        features, cas = self.cls_module(x)
        s = cas.sigmoid()
        fused = torch.cat([s[:, :, :-1] * (1 - s[:, :, -1:]), s[:, :, -1:]], 2)
        return s[:, :, :-1].mean(1), fused, features
'''
FAKE_LACP_TRAIN = '''
import torch
from torch import nn

SEEN = {"searched": 0}


class Total_loss(nn.Module):
    def __init__(self, lambdas):
        super().__init__()
        self.lambdas = lambdas

    def forward(self, vid_score, fused, features, stored_info, label, point_anno, step):
        if len(stored_info["new_dense_anno"].shape) > 1:
            SEEN["searched"] += 1
        point_anno = torch.cat([point_anno, torch.zeros_like(point_anno[:, :, :1]).cuda()], 2)
        loss = nn.functional.binary_cross_entropy(vid_score, label)
        loss = loss + ((fused - point_anno) ** 2 * point_anno.max(2, keepdim=True)[0]).mean()
        return loss, {"loss_total": loss}


def train(net, config, loader_iter, optimizer, criterion, logger, step):
    net.train()
    optimizer.zero_grad()
    total = []
    for _ in range(config.batch_size):
        _, x, label, point_anno, stored_info, _, _ = next(loader_iter)
        vid_score, fused, features = net(x, label)
        total.append(criterion(vid_score, fused, features, stored_info, label,
                               point_anno, step)[0])
    (sum(total) / config.batch_size).backward()
    optimizer.step()
'''
FAKE_LACP_SEARCH = '''
import torch
from joblib import Parallel, delayed
import torch.utils.data as data


def _labels(fused):
    return (fused[:, :-1] > 0.5).float(), 0.0


def optimal_sequence_search(net, config, logger, train_loader):
    with torch.no_grad():
        net.eval()
        fused = [None] * len(train_loader.dataset)
        for index, x, label, _, _, _, _ in data.DataLoader(train_loader.dataset,
                                                            batch_size=1):
            fused[index[0]] = net(x, label)[1][0]
        res = Parallel(n_jobs=16)(delayed(_labels)(f) for f in fused)
        labels, scores = zip(*res)
        train_loader.dataset.stored_info_all["new_dense_anno"] = list(labels)
        train_loader.dataset.stored_info_all["sequence_score"] = list(scores)
'''
FAKE_LACP_UTILS = '''
import numpy as np


def upgrade_resolution(arr, scale):
    return np.repeat(arr, scale, axis=0)


def get_proposal_oic(tList, wtcam, final_score, c_pred, scale, v_len, sampling_frames,
                     num_segments, _lambda=0.25, gamma=0.2):
    factor = (16 * v_len) / (scale * num_segments * sampling_frames)
    out = []
    for i, pos in enumerate(tList):
        pos = np.asarray(pos)[0]
        if pos.size:
            out.append([[c_pred[i], 1.0, pos[0] * factor, (pos[-1] + 1) * factor]])
    return out


def nms(proposals, thresh):
    return proposals[:1]
'''


@pytest.fixture
def fake_lacp(tmp_path):
    for name, text in (("model.py", FAKE_LACP_MODEL), ("train.py", FAKE_LACP_TRAIN),
                       ("search.py", FAKE_LACP_SEARCH), ("utils.py", FAKE_LACP_UTILS)):
        (tmp_path / name).write_text(textwrap.dedent(text))
    return str(tmp_path)


def test_quick_lacp_run_against_a_fake_checkout(fake_lacp, compare, capsys):
    compare.main(["--quick", "--lacp", fake_lacp, "--suites", "synthetic"])
    out = capsys.readouterr().out
    assert "[skip] BaS-Net: no --basnet PATH given" in out
    line = next(ln for ln in out.splitlines() if ln.startswith("LACP     synthetic"))
    assert "official" in line and "sktal" in line and "ratio" in line
    for label in ("sktal FSPTAL LACP configuration (additions off + LACP pieces)",
                  "sktal FSPTAL LACP configuration, n_segments=16",
                  "sktal FSPTAL LACP configuration + LACP video loss, action weight 0.5",
                  "sktal FSPTAL whole, n_segments=16",
                  "official post-processing, sktal CAS (LACP configuration)",
                  "official post-processing, sktal CAS (whole)",
                  "sktal post-processing, official CAS"):
        assert f"cross: {label}" in out
    assert "[LACP synthetic seed 0] official" in out  # the per-seed line


def test_lacp_adapter_trains_with_the_official_search(fake_lacp, compare):
    import _official_lacp as adapter

    official = adapter.load(fake_lacp)
    # the official module names are not left behind for the other adapters
    assert "model" not in sys.modules or sys.modules["model"] is not official.model
    suite = compare.synthetic_suite(0, n_train=4, n_test=3, n_features=8)
    budget = dict(hidden_size=6, max_epochs=2, lr=1e-3, batch_size=2, n_segments=16,
                  quick=True)
    net, seconds = adapter.train_official(official, suite, 0, budget)
    assert seconds > 0
    # the width patch, and the search ran (quick: every step) and fed the loss
    assert net.cls_module.conv_1[0].out_channels == 6
    assert official.train.SEEN["searched"] > 0
    assert official.search.Parallel is adapter._OneJob
    outputs = adapter.official_outputs(net, suite.X_test)
    for (fused, score), video in zip(outputs, suite.X_test):
        assert fused.shape == (len(video), suite.n_classes + 1)
        assert score.shape == (suite.n_classes,)
    # test.py's class rule: nothing reaches 0.5 -> the arg-max class only
    fused = np.zeros((10, 3))
    fused[2:5, 1] = 0.9
    fused[:, -1] = 0.95
    fused[2:5, -1] = 0.05
    rows = adapter.official_postprocess(official.utils, fused, np.array([0.1, 0.3]), 10)
    assert set(rows[:, 2]) == {1}
    # the fake utils: first proposal at 1/24-snippet resolution, in seconds -> snippets
    assert rows[0, 0] == pytest.approx(2.0) and rows[0, 1] == pytest.approx(5.0)
    with pytest.raises(ValueError, match="action clicks"):
        adapter.train_official(official, types.SimpleNamespace(
            name="x", action_clicks_train=None), 0, budget)


def test_lacp_timing_hook_times_the_official_step_against_fsptal(fake_lacp, compare,
                                                                  capsys):
    import _official_lacp as adapter

    official = adapter.load(fake_lacp)
    size = dict(n_features=8, n_segments=12, hidden_size=6, batch_size=3, n_classes=4,
                lr=1e-3)
    step, estimator, kind = adapter.timing_step(official, dict(size))
    assert kind == "action"
    params = estimator.get_params()
    assert params["hidden_size"] == 6 and params["n_segments"] == 12
    assert all(params[k] == v for k, v in adapter.ADDITIONS_OFF.items())
    X, y, clicks = compare.timing_data(size, 3)
    before = [p.detach().clone() for p in _official_net_params(step)]
    step(X[:2], torch.from_numpy(y[:2]), clicks[kind][:2])   # one Adam step on a batch
    after = _official_net_params(step)
    assert any(not torch.equal(b, a) for b, a in zip(before, after))
    compare.main(["--quick", "--lacp", fake_lacp, "--no-accuracy", "--paper"])
    out = capsys.readouterr().out
    lines = [ln for ln in out.splitlines() if ln.startswith("LACP     speed")]
    assert "small" in lines[0] and "paper" in lines[1]
    # and at native length on the suites' ragged timelines (thumos: when its data is
    # beside the checkout)
    native = [ln.split(" (")[0] for ln in lines[2:]]
    assert native[0] == "LACP     speed native synthetic"
    assert "LACP     speed native paper synthetic" in native
    assert all(ln.startswith("LACP     speed native") for ln in native)
    assert len(native) in (2, 4)
    assert all("s/epoch official" in ln and "ratio" in ln for ln in lines)
    assert "LACP     synthetic" not in out


def _official_net_params(step):
    """The parameters of the official network a timing step trains (its closure)."""
    cells = dict(zip(step.__code__.co_freevars, step.__closure__))
    return list(cells["net"].cell_contents.parameters())


def test_page_fault_count_runs_both_sides(fake_basnet, compare, capsys):
    import page_faults_small

    page_faults_small.main(["--basnet", fake_basnet, "--rounds", "1", "--n-train", "20"])
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("BaS-Net small, per batch (1 alternating epochs of 2 batches")
    assert line.count("minor page faults") == 2


def test_sktal_only_skips_the_official_training(fake_lacp, compare, capsys):
    # BaS-Net is skipped before its checkout is read, so any path will do
    compare.main(["--quick", "--lacp", fake_lacp, "--basnet", fake_lacp,
                  "--suites", "synthetic", "--sktal-only", "--speed-rounds", "0"])
    out = capsys.readouterr().out
    assert "[skip] BaS-Net: its adapter cannot run --sktal-only" in out
    line = next(ln for ln in out.splitlines() if ln.startswith("LACP     synthetic"))
    assert "official   nan" in line
    assert "cross: sktal post-processing, official CAS" in out
    rows = [ln for ln in out.splitlines() if "cross: sktal FSPTAL" in ln]
    assert rows and not any("nan" in ln for ln in rows)  # sktal's rows still train
