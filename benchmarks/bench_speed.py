"""Training and prediction speed of every method, post-processing and evaluation.

For each estimator (BaSNet, TEN, BackTAL, FSPTAL, each with the clicks it learns
from) at a given size — by default the papers' THUMOS14 configuration: D = 2048
features, T = 750 snippets, hidden width 2048, batch 16, 200 videos, 20 classes —
it measures

* seconds per training epoch (after a warm-up epoch, which also counts the FLOPs),
  and training videos per second;
* prediction videos per second: the network alone (``predict_proba``) and with
  post-processing (``predict``);
* peak memory: host RSS high-water mark per phase (Linux ``/proc/self/clear_refs``
  resets it; elsewhere ``resource.getrusage`` ``ru_maxrss``, cumulative over the
  process), and on CUDA ``torch.cuda.max_memory_allocated``;
* the dense-arithmetic lower bound: the matmul/convolution FLOPs of one epoch
  (``torch.utils.flop_counter.FlopCounterMode`` on the warm-up epoch, i.e. from the
  layer shapes, forward and backward) divided by the rate of a large
  ``torch.matmul`` on the same device, and how many times slower each method is;

then the throughput of :func:`sktal.postprocessing.cas_to_detections` and of
:func:`sktal.metrics.detection_map` on synthetic CAS of the same size.

Features are random (speed does not depend on their values); every video has exactly
T snippets (no resampling work beyond the identity interpolation); timelines and
clicks come from :func:`sktal.datasets.make_temporal_actions` and
:func:`~sktal.datasets.simulate_clicks`.

Usage (from the repository root)::

    python benchmarks/bench_speed.py                     # paper size, CUDA if present
    python benchmarks/bench_speed.py --size small        # D=256, T=128, 40 videos: CPU
    python benchmarks/bench_speed.py --quick             # smoke test
    python benchmarks/bench_speed.py --device cpu --batches 1   # paper size, CPU
    python benchmarks/bench_speed.py --size small --compile      # torch.compile'd

On CPU at paper size an epoch takes many minutes: unless ``--batches`` (alias
``--timed-batches``) says otherwise only 2 batches are timed there and the epoch
time is extrapolated (the warm-up epoch is always one batch). The ``outside``
column is the share of the timed epoch outside the module's forward, the
criterion, backward and the optimizer step (:class:`CoreTimer`). Prediction at
THUMOS14 test size (``--thumos-predict``) is on by default only on CUDA at paper
size; on CPU ``bench_localization.py --predict METHOD`` times it for one method.
"""
import argparse
import gc
import json
import math
import os
import platform
import resource
import sys
import time

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import torch  # noqa: E402
from skorch.callbacks import Callback  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

import sktal  # noqa: E402
from sktal._registry import LOCALIZERS, click_kind, get_localizer  # noqa: E402
from sktal.datasets import make_temporal_actions, simulate_clicks  # noqa: E402
from sktal.postprocessing import cas_to_detections  # noqa: E402
from sktal.metrics import detection_map  # noqa: E402

SIZES = {
    "paper": dict(n_features=2048, n_segments=750, hidden_size=2048, batch_size=16,
                  n_videos=200),
    "small": dict(n_features=256, n_segments=128, hidden_size=256, batch_size=16,
                  n_videos=40),
    "quick": dict(n_features=32, n_segments=32, hidden_size=16, batch_size=4,
                  n_videos=8),
}
#: method -> the clicks it learns from
METHODS = {name: click_kind(get_localizer(name)) for name in LOCALIZERS}
AMP_PARAMETERS = ("amp", "mixed_precision", "precision")
MIB = 2.0 ** 20


# ------------------------------------------------------------------------ memory
class HostMemory:
    """Peak resident memory of this process between :meth:`reset` and :meth:`peak`."""

    def __init__(self):
        self.resettable = self._try_reset()

    @staticmethod
    def _try_reset():
        try:
            with open("/proc/self/clear_refs", "w") as fh:
                fh.write("5")  # Linux >= 4.0: reset the high-water mark to current RSS
            return True
        except OSError:
            return False

    @staticmethod
    def _status(field):
        try:
            with open("/proc/self/status") as fh:
                for line in fh:
                    if line.startswith(field + ":"):
                        return int(line.split()[1]) * 1024.0
        except OSError:
            pass
        return None

    def current(self):
        rss = self._status("VmRSS")
        return rss if rss is not None else self.peak()

    def reset(self):
        if self.resettable:
            self._try_reset()

    def peak(self):
        if self.resettable:
            hwm = self._status("VmHWM")
            if hwm is not None:
                return hwm
        scale = 1.0 if sys.platform == "darwin" else 1024.0  # bytes on macOS, KiB on Linux
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


# ----------------------------------------------------------------------- devices
def resolve_device(name):
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit(f"--device {name}: CUDA is not available in this torch "
                         f"({torch.__version__})")
    return name


def is_cuda(device):
    return str(device).startswith("cuda")


def synchronize(device):
    if is_cuda(device):
        torch.cuda.synchronize(device)


def matmul_rate(device, n, *, tf32=False, min_seconds=0.5, max_repeats=50):
    """Measured FLOP/s of an (n, n) @ (n, n) float32 matmul on ``device``."""
    previous = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = tf32
    try:
        gen = torch.Generator(device="cpu").manual_seed(0)
        a = torch.randn(n, n, generator=gen).to(device)
        b = torch.randn(n, n, generator=gen).to(device)
        for _ in range(2):
            torch.matmul(a, b)
        synchronize(device)
        repeats, start = 0, time.perf_counter()
        while True:
            torch.matmul(a, b)
            repeats += 1
            if repeats % 5 == 0 or not is_cuda(device):
                synchronize(device)
                if time.perf_counter() - start >= min_seconds or repeats >= max_repeats:
                    break
        synchronize(device)
        seconds = time.perf_counter() - start
    finally:
        torch.backends.cuda.matmul.allow_tf32 = previous
    return 2.0 * n ** 3 * repeats / seconds


# -------------------------------------------------------------------------- data
def make_data(n_videos, n_segments, n_features, n_classes, seed=0,
              action_distribution="gaussian"):
    """Timelines from the generator, random float32 features of the requested size."""
    timelines = make_temporal_actions(n_videos=n_videos, n_classes=n_classes,
                                      n_features=2, lengths=[n_segments] * n_videos,
                                      random_state=seed)
    rng = np.random.default_rng(seed)
    X = [rng.standard_normal((n_segments, n_features), dtype=np.float32)
         for _ in range(n_videos)]
    clicks = {
        None: None,
        "background": simulate_clicks(timelines.segments, timelines.lengths,
                                      kind="background", random_state=seed),
        "action": simulate_clicks(timelines.segments, timelines.lengths, kind="action",
                                  action_distribution=action_distribution,
                                  random_state=seed),
    }
    return X, timelines.y, timelines.segments, clicks


# ---------------------------------------------------------------------- training
class EpochTimer(Callback):
    """Records the wall time of every epoch, synchronising CUDA at both ends.

    ``record`` is a plain function (copied by reference when the estimator deep-copies
    its callbacks), so the times reach the caller.
    """

    def __init__(self, record, device):
        self.record = record
        self.device = device

    def on_epoch_begin(self, net, **kwargs):
        synchronize(self.device)
        self.start_ = time.perf_counter()

    def on_epoch_end(self, net, **kwargs):
        synchronize(self.device)
        self.record(time.perf_counter() - self.start_)


def amp_support(cls):
    """The mixed-precision parameter of an estimator, or None."""
    known = cls().get_params()
    return next((p for p in AMP_PARAMETERS if p in known), None)


class CoreTimer:
    """Splits training time into the core (module forward, criterion, backward,
    optimizer step) and the rest (resampling/gather, collation, transfer, loss
    bookkeeping), by timing the net's steps on the instance (CUDA synchronised).

    ``rest = epoch time - core``, with ``core = optimizer-step call (which runs the
    forward/backward closure) - (infer - module forward) - (get_loss - criterion)``.
    """

    def __init__(self, net, device):
        self.device = device
        self.totals = dict(step=0.0, infer=0.0, module=0.0, get_loss=0.0, criterion=0.0)
        self._wrap(net, "_step_optimizer", "step")
        self._wrap(net, "infer", "infer")
        self._wrap(net, "get_loss", "get_loss")
        self._wrap(net.module_, "forward", "module")
        self._wrap(net.criterion_, "forward", "criterion")

    def _wrap(self, obj, attr, key):
        inner = getattr(obj, attr)
        totals, device = self.totals, self.device

        def timed(*a, **k):
            synchronize(device)
            start = time.perf_counter()
            try:
                return inner(*a, **k)
            finally:
                synchronize(device)
                totals[key] += time.perf_counter() - start

        # an instance attribute (torch.compile's forward) is restored, not dropped
        had = attr in obj.__dict__
        self._undo = getattr(self, "_undo", []) + [(obj, attr, had, obj.__dict__.get(attr))]
        setattr(obj, attr, timed)

    def reset(self):
        for key in self.totals:
            self.totals[key] = 0.0

    def core(self):
        t = self.totals
        return t["step"] - (t["infer"] - t["module"]) - (t["get_loss"] - t["criterion"])

    def remove(self):
        for obj, attr, had, previous in reversed(self._undo):
            if had:
                obj.__dict__[attr] = previous
            else:
                obj.__dict__.pop(attr, None)


def bench_method(name, args, device, data, memory, precision="32"):
    """Time training and prediction of one method; returns a result dict."""
    cls = getattr(sktal, name)
    X, y, segments, clicks = data
    supervision = METHODS[name]
    n_classes = y.shape[1]
    if cls.supervision == "segments":   # a fully supervised detector learns the segments
        y = segments
    n_fit = len(X)
    epoch_times = []
    known = cls().get_params()
    params = dict(n_segments=args.n_segments, hidden_size=args.hidden_size,
                  batch_size=args.batch_size, max_epochs=1, device=device,
                  random_state=0, warm_start=True, n_classes=n_classes,
                  callbacks=[("speed_epoch_timer", EpochTimer(epoch_times.append, device))])
    if "embedding_hidden_size" in known:
        params["embedding_hidden_size"] = min(512, args.hidden_size)
    if "n_rgb_features" in known:
        params["n_rgb_features"] = args.n_features // 2
    amp = None
    if precision != "32":
        amp = amp_support(cls)
        if amp is None:
            raise AttributeError(f"{name} has no precision parameter")
        params[amp] = precision if amp == "precision" else True
    params["progress"] = None
    est = cls(**{k: v for k, v in params.items() if k in known})
    fit_clicks = clicks[supervision]
    compile_seconds = None

    rss_start = memory.current()
    # warm-up epoch of one batch (CUDA context, kernels, optimizer state), counting
    # FLOPs: every video has T snippets, so the FLOPs of an epoch are those of one
    # video times the number of videos
    n_warm = min(n_fit, args.batch_size)
    with FlopCounterMode(display=False) as counter:
        est.fit(X[:n_warm], y[:n_warm],
                clicks=None if fit_clicks is None else fit_clicks[:n_warm])
    flops_video = float(counter.get_total_flops()) / n_warm
    if args.compile:
        # a whole epoch, so that every batch shape (a smaller last batch) is compiled
        # before the timed epoch
        est.net_.module_ = torch.compile(est.net_.module_)
        start = time.perf_counter()
        est.fit(X, y, clicks=fit_clicks)
        compile_seconds = time.perf_counter() - start
        epoch_times.clear()
    memory.reset()
    if is_cuda(device):
        torch.cuda.reset_peak_memory_stats(device)
    est.set_params(max_epochs=args.epochs)
    core = CoreTimer(est.net_, device)
    est.fit(X, y, clicks=fit_clicks)
    core.remove()
    core_seconds = core.core() / args.epochs
    train_peak = memory.peak()
    gpu_train = torch.cuda.max_memory_allocated(device) if is_cuda(device) else None
    timed = epoch_times[-args.epochs:]

    # prediction: warm-up on one batch (counting FLOPs), then timed
    batch = X[: args.batch_size]
    with FlopCounterMode(display=False) as counter:
        est.predict_proba(batch)
    flops_predict_video = float(counter.get_total_flops()) / len(batch)
    memory.reset()
    if is_cuda(device):
        torch.cuda.reset_peak_memory_stats(device)
    synchronize(device)
    start = time.perf_counter()
    est.predict_proba(X)
    seconds_net = time.perf_counter() - start
    start = time.perf_counter()
    detections = est.predict(X)
    seconds_full = time.perf_counter() - start
    predict_peak = memory.peak()
    thumos = None
    if args.thumos_predict:
        # THUMOS14 test size: 213 videos (the generated ones reused cyclically)
        videos = [X[i % len(X)] for i in range(213)]
        synchronize(device)
        start = time.perf_counter()
        est.predict(videos)
        thumos = time.perf_counter() - start
    gpu_predict = torch.cuda.max_memory_allocated(device) if is_cuda(device) else None

    batches_timed = math.ceil(n_fit / args.batch_size)
    batches_epoch = math.ceil(args.n_videos / args.batch_size)
    scale = batches_epoch / batches_timed
    result = dict(
        method=name, supervision=supervision or "video labels",
        precision=precision,
        epoch_seconds=float(np.mean(timed)) * scale, epochs_timed=len(timed),
        outside_core_share=1.0 - core_seconds / float(np.mean(timed)),
        thumos_test_predict_seconds=thumos,
        batches_timed=batches_timed, batches_epoch=batches_epoch,
        train_videos_per_second=n_fit / float(np.mean(timed)),
        flops_epoch=flops_video * args.n_videos,
        compiled=bool(args.compile), compile_seconds=compile_seconds,
        predict_videos_per_second=len(X) / seconds_net,
        predict_full_videos_per_second=len(X) / seconds_full,
        flops_predict_video=flops_predict_video,
        detections_per_video=float(np.mean([len(d) for d in detections])),
        rss_start_mib=rss_start / MIB, rss_train_peak_mib=train_peak / MIB,
        rss_predict_peak_mib=predict_peak / MIB,
        gpu_train_peak_mib=None if gpu_train is None else gpu_train / MIB,
        gpu_predict_peak_mib=None if gpu_predict is None else gpu_predict / MIB,
        amp=amp,
    )
    del est
    gc.collect()
    if is_cuda(device):
        torch.cuda.empty_cache()
    return result


# --------------------------------------------------------------- post-processing
def synthetic_cas(segments, n_segments, n_classes, rng):
    """CAS with bumps on the instances, smooth noise elsewhere; video scores."""
    kernel = np.exp(-0.5 * (np.arange(-6, 7) / 2.0) ** 2)
    kernel /= kernel.sum()
    cas_list, scores, agnostic = [], [], []
    for seg in segments:
        cas = 0.3 * rng.random((n_segments, n_classes))
        for start, end, c in seg:
            cas[int(start): max(int(start) + 1, int(math.ceil(end))), int(c)] += 0.7
        cas = np.apply_along_axis(lambda col: np.convolve(col, kernel, "same"), 0, cas)
        cas_list.append(np.clip(cas, 0, 1))
        present = np.zeros(n_classes)
        present[seg[:, 2].astype(int)] = 1
        scores.append(np.clip(0.7 * present + 0.3 * rng.random(n_classes), 0, 1))
        agnostic.append(cas.max(axis=1))
    return cas_list, scores, agnostic


def bench_postprocessing(segments, n_segments, n_classes):
    rng = np.random.default_rng(0)
    cas, scores, agnostic = synthetic_cas(segments, n_segments, n_classes, rng)
    rows = []
    variants = [
        ("cas_to_detections (BaS-Net/BackTAL: 10 thresholds, OIC, NMS)", {}, False),
        ("cas_to_detections + class-agnostic proposals (LACP/FS-PTAL)",
         dict(normalize=False), True),
    ]
    detections = None
    for label, options, use_agnostic in variants:
        start = time.perf_counter()
        dets = [cas_to_detections(c, s, agnostic_scores=a if use_agnostic else None,
                                  **options)
                for c, s, a in zip(cas, scores, agnostic)]
        seconds = time.perf_counter() - start
        detections = detections or dets
        n_det = sum(len(d) for d in dets)
        rows.append(dict(step=label, seconds=seconds,
                         videos_per_second=len(cas) / seconds,
                         detections=n_det))
    start = time.perf_counter()
    result = detection_map(segments, detections, n_classes=n_classes)
    seconds = time.perf_counter() - start
    n_det = sum(len(d) for d in detections)
    n_true = sum(len(s) for s in segments)
    rows.append(dict(step=f"detection_map (7 tIoU thresholds, {n_true} ground-truth "
                          f"instances)",
                     seconds=seconds, videos_per_second=len(detections) / seconds,
                     detections=n_det, detections_per_second=n_det / seconds,
                     average_mAP=float(np.mean(result.mAP))))
    return rows


# ------------------------------------------------------------------------ report
def _fmt(value, spec, missing="-"):
    return missing if value is None else format(value, spec)


def machine_description(device):
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    text = (f"CPU {model}, {os.cpu_count()} logical cores, torch {torch.__version__} "
            f"({torch.get_num_threads()} thread(s)), numpy {np.__version__}")
    if is_cuda(device):
        props = torch.cuda.get_device_properties(device)
        text += (f"; GPU {props.name}, {props.total_memory / 2 ** 30:.0f} GiB, "
                 f"CUDA {torch.version.cuda}, cudnn.allow_tf32="
                 f"{torch.backends.cudnn.allow_tf32}, matmul.allow_tf32="
                 f"{torch.backends.cuda.matmul.allow_tf32}")
    return text


def print_report(args, device, results, rates, post, memory):
    cuda = is_cuda(device)
    print(f"\nTraining ({args.epochs} timed epoch(s) after a warm-up epoch; "
          f"{'GPU: torch.cuda.max_memory_allocated' if cuda else 'host'} peak memory)")
    bound_cols = "".join(f"{'bound s ' + k:>17}{'x bound':>9}" for k in rates)
    print(f"{'method':<16}{'prec':<6}{'clicks':<14}{'s/epoch':>10}{'videos/s':>10}"
          f"{'timed':>9}{'TFLOP/epoch':>13}{bound_cols}{'peak MiB':>10}{'outside':>9}")
    for r in results:
        if "error" in r:
            print(f"{r['method']:<16}{r['error']}")
            continue
        bounds = ""
        for rate in rates.values():
            bound = r["flops_epoch"] / rate
            bounds += f" {bound:>16.4g} {r['epoch_seconds'] / bound:>8.3g}"
        peak = r["gpu_train_peak_mib"] if cuda else r["rss_train_peak_mib"]
        timed = f"{r['batches_timed']}/{r['batches_epoch']}b"
        print(f"{r['method']:<16}{r['precision']:<6}{r['supervision']:<14}"
              f"{r['epoch_seconds']:10.2f}"
              f"{r['train_videos_per_second']:10.1f}{timed:>9}"
              f" {r['flops_epoch'] / 1e12:>12.4g}{bounds}{peak:10.0f}"
              f"{100 * r['outside_core_share']:8.1f}%")
    print("outside = share of the epoch outside the module's forward, the criterion, "
          "backward and the optimizer step (row gather, collation, transfer, loss "
          "bookkeeping)")
    for r in results:
        if r.get("compiled"):
            print(f"{r['method']} {r['precision']}: module torch.compile'd after the "
                  f"warm-up epoch; the first compiled epoch (compiling every batch shape)"
                  f" took {r['compile_seconds']:.1f} s")

    print("\nPrediction (videos/s; network = predict_proba, full = predict with "
          "post-processing)")
    bound_cols = "".join(f"{'bound v/s ' + k:>18}{'x bound':>9}" for k in rates)
    print(f"{'method':<16}{'prec':<6}{'network':>10}{'full':>10}{'GFLOP/video':>13}"
          f"{bound_cols}{'dets/video':>12}{'peak MiB':>10}{'THUMOS s':>10}")
    for r in results:
        if "error" in r:
            continue
        bounds = ""
        for rate in rates.values():
            bound = rate / max(r["flops_predict_video"], 1.0)
            bounds += f" {bound:>17.4g} {bound / r['predict_videos_per_second']:>8.3g}"
        peak = r["gpu_predict_peak_mib"] if cuda else r["rss_predict_peak_mib"]
        print(f"{r['method']:<16}{r['precision']:<6}{r['predict_videos_per_second']:10.1f}"
              f"{r['predict_full_videos_per_second']:10.1f}"
              f" {r['flops_predict_video'] / 1e9:>12.4g}{bounds}"
              f"{r['detections_per_video']:12.1f}{peak:10.0f}"
              f"{_fmt(r['thumos_test_predict_seconds'], '10.1f', '         -')}")
    print("THUMOS s = seconds of predict on 213 videos (THUMOS14 test size)")
    rate_text = ", ".join(f"{k} {v / 1e12:.3f} TFLOP/s" for k, v in rates.items())
    print(f"\nmatmul rate ({args.matmul_size}x{args.matmul_size} float32 torch.matmul on "
          f"{device}): {rate_text}. Bound = matmul/conv FLOPs (forward + backward, from "
          f"FlopCounterMode) / rate; 'x bound' = measured / bound.")
    if cuda:
        print("cuDNN convolutions use TF32 when torch.backends.cudnn.allow_tf32 is True "
              "(PyTorch's default): the tf32 bound is the tighter one for them.")
    if not memory.resettable:
        print("peak memory: ru_maxrss (cumulative over the process: later rows show at "
              "least the earlier peaks)")
    elif not cuda:
        print("peak memory: host VmHWM during the timed phase (includes the features "
              "and the estimator's float32 copy of them)")

    print("\nPost-processing and evaluation (numpy, one core)")
    print(f"{'step':<72}{'seconds':>9}{'videos/s':>10}{'detections':>12}")
    for row in post:
        print(f"{row['step']:<72}{row['seconds']:9.3f}{row['videos_per_second']:10.1f}"
              f"{row['detections']:12d}")
        if "detections_per_second" in row:
            print(f"{'':<72}{'':>9}{'':>10}{row['detections_per_second']:12.0f} /s")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--size", choices=("paper", "small"), default="paper")
    parser.add_argument("--quick", action="store_true", help="tiny smoke test")
    parser.add_argument("--device", default="auto", help="'auto', 'cpu' or 'cuda[:i]'")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--n-features", type=int, default=None)
    parser.add_argument("--n-segments", type=int, default=None)
    parser.add_argument("--hidden-size", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--n-videos", type=int, default=None)
    parser.add_argument("--n-classes", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=1, help="timed epochs")
    parser.add_argument("--timed-batches", "--batches", type=int, default=None,
                        dest="timed_batches",
                        help="time only this many batches per epoch (training steps "
                             "with their data path and the epoch's bookkeeping) and "
                             "extrapolate (default: all; 2 on CPU at paper size)")
    parser.add_argument("--compile", action="store_true",
                        help="torch.compile each module after the warm-up epoch "
                             "(compiled and timed on one more, whole, warm-up epoch)")
    parser.add_argument("--matmul-size", type=int, default=None,
                        help="n of the (n, n) matmul measuring the rate "
                             "(default 8192 on CUDA, 2048 on CPU)")
    parser.add_argument("--amp", action="store_true",
                        help="also time precision='bf16' (same as --precisions 32,bf16)")
    parser.add_argument("--precisions", default=None,
                        help="comma-separated precision values to time (default: 32,bf16 "
                             "on CUDA, 32 on CPU)")
    parser.add_argument("--thumos-predict", action="store_true", default=None,
                        help="time predict on 213 videos (default: on at paper size on "
                             "CUDA; on CPU bench_localization.py --predict times it for "
                             "one method)")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    parser.add_argument("--out", default=None, help="write the results to this JSON file")
    args = parser.parse_args(argv)
    size = SIZES["quick" if args.quick else args.size]
    for name, value in size.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    if args.thumos_predict is None:
        args.thumos_predict = (args.size == "paper" and not args.quick
                               and is_cuda(resolve_device(args.device)))
    for m in args.methods:
        if m not in METHODS:
            parser.error(f"unknown method {m!r}; choose among {', '.join(METHODS)}")
    return args


def main(argv=None):
    args = parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    if args.timed_batches is None and not is_cuda(device) and args.size == "paper" \
            and not args.quick:
        args.timed_batches = 2
    if args.precisions is None:
        args.precisions = "32,bf16" if (args.amp or is_cuda(device)) else "32"
    args.precisions = [p.strip() for p in args.precisions.split(",") if p.strip()]
    if args.matmul_size is None:
        args.matmul_size = 256 if args.quick else (8192 if is_cuda(device) else 2048)
    n_fit = args.n_videos
    if args.timed_batches:
        n_fit = min(args.n_videos, args.timed_batches * args.batch_size)
    memory = HostMemory()

    print(machine_description(device))
    print(f"size: D={args.n_features}, T={args.n_segments}, hidden {args.hidden_size}, "
          f"batch {args.batch_size}, {args.n_videos} videos per epoch "
          f"({n_fit} generated and timed), {args.n_classes} classes, device {device}")
    if args.amp:
        missing = [m for m in args.methods if amp_support(getattr(sktal, m)) is None]
        if missing:
            print(f"--amp: not supported by {', '.join(missing)} (no "
                  f"{'/'.join(AMP_PARAMETERS)} parameter: sktal.BaseLocalizer trains and "
                  f"predicts in float32); those run in float32")

    start = time.perf_counter()
    data = make_data(n_fit, args.n_segments, args.n_features, args.n_classes)
    print(f"data: {n_fit} x ({args.n_segments}, {args.n_features}) float32 = "
          f"{n_fit * args.n_segments * args.n_features * 4 / MIB:.0f} MiB, made in "
          f"{time.perf_counter() - start:.1f} s", file=sys.stderr)

    rates = {"fp32": matmul_rate(device, args.matmul_size)}
    if is_cuda(device):
        rates["tf32"] = matmul_rate(device, args.matmul_size, tf32=True)

    results = []
    for name, precision in [(m, p) for m in args.methods for p in args.precisions]:
        start = time.perf_counter()
        try:
            result = bench_method(name, args, device, data, memory, precision)
        except (AttributeError, ImportError) as exc:
            result = dict(method=name, error=f"not importable: {exc}")
        except torch.cuda.OutOfMemoryError as exc:
            result = dict(method=name, error=f"CUDA out of memory: {str(exc)[:120]}")
            torch.cuda.empty_cache()
        results.append(result)
        print(f"  {name} {precision}: {time.perf_counter() - start:.1f} s", file=sys.stderr,
              flush=True)
    post = bench_postprocessing(data[2], args.n_segments, args.n_classes)
    print_report(args, device, results, rates, post, memory)
    if args.out:
        with open(args.out, "w") as fh:
            json.dump({"config": vars(args), "device": device,
                       "machine": machine_description(device),
                       "matmul_flops_per_second": rates, "methods": results,
                       "postprocessing": post}, fh, indent=1, default=str)
        print(f"\nresults written to {args.out}")


if __name__ == "__main__":
    main()
