"""Shared pieces of the commands: errors, files, options, training, prediction and
the mAP table."""
import argparse
import ast
import difflib
import importlib
import json
import os
import sys
import time

import numpy as np

#: command-line name -> estimator class name in :mod:`sktal.localizers`
METHODS = {"backtal": "BackTAL", "basnet": "BaSNet", "ten": "TEN", "fsptal": "FSPTAL"}
#: clicks each method learns from, when they are simulated from the ground truth
CLICK_KIND = {"backtal": "background", "fsptal": "action"}
LAYOUTS = ("auto", "rgb_flow", "joint", "npz", "object_array")
CLICK_FORMATS = ("auto", "backtal", "lacp", "sfnet")
#: averages reported when the thresholds include their ends (THUMOS14 papers' columns)
NAMED_RANGES = ((0.1, 0.5), (0.3, 0.7), (0.1, 0.7), (0.5, 0.95))
MODEL_INFO_FORMAT = "sktal-cli-model-info-1"


class _FromModel:
    """Default of ``predict --snippet-frames``: the value the model was trained with."""

    def __repr__(self):
        return "the model's"


FROM_MODEL = _FromModel()


class CLIError(Exception):
    """Bad input or usage: reported as ``sktal: error: <message>``, exit status 2."""


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors become :class:`CLIError`."""

    def error(self, message):
        raise CLIError(f"{message} (see '{self.prog} --help')")


# ----------------------------------------------------------- files and values
def say(args, message):
    """Print a progress message unless ``--quiet``."""
    if not getattr(args, "quiet", False):
        print(message, flush=True)


def require_path(path, option, *, kind="file"):
    """``path`` as a string; a :class:`CLIError` naming ``option`` if it is missing."""
    path = os.fspath(path)
    ok = {"file": os.path.isfile, "any": os.path.exists}[kind](path)
    if not ok:
        what = "no such file" if kind == "file" else "no such file or folder"
        if kind == "file" and os.path.isdir(path):
            what = "is a folder, not a file"
        raise CLIError(f"{option}: {what}: {path}")
    return path


def writable_path(path, option):
    """Check before long work that ``path`` can be written (its folder exists)."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise CLIError(f"{option}: {path} is a folder; give a file name")
    if not os.path.isdir(folder):
        raise CLIError(f"{option}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise CLIError(f"{option}: cannot write to folder {folder}")
    return path


def read_json(path, option):
    """The parsed JSON file ``path``; a :class:`CLIError` naming ``option`` if it is not."""
    path = require_path(path, option)
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except json.JSONDecodeError as exc:
        raise CLIError(f"{option}: {path} is not valid JSON ({exc.msg} at line {exc.lineno}, "
                       f"column {exc.colno})") from None
    except UnicodeDecodeError:
        raise CLIError(f"{option}: {path} is not a text (UTF-8) JSON file") from None


def parse_value(text):
    """An estimator parameter from text: int, float, bool, None, list, else the string."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    try:
        return ast.literal_eval(text)   # lists and tuples, e.g. tiou_thresholds=[0.3,0.5]
    except (ValueError, SyntaxError):
        return text


def parse_params(pairs, estimator_class):
    """``["key=value", ...]`` -> dict, checked against the estimator's parameters."""
    valid = sorted(estimator_class().get_params(deep=False))
    params = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise CLIError(f"--param: expected key=value, got {pair!r}")
        if key not in valid:
            close = difflib.get_close_matches(key, valid, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise CLIError(f"--param: {estimator_class.__name__} has no parameter "
                           f"{key!r}{hint}; its parameters: {', '.join(valid)}")
        params[key] = parse_value(value)
    return params


def snippet_frames_type(text):
    """``--snippet-frames``: a positive integer, or ``none`` (rows spread over the video)."""
    if text.strip().lower() == "none":
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer or 'none', got {text!r}")
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer or 'none', got {text!r}")
    return value


def positive_float(text):
    """An ``argparse`` type: a number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def positive_int(text):
    """An ``argparse`` type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


# ------------------------------------------------------------------ options
def add_common_options(parser, *, device=False, threads=None):
    """``--debug`` on every command; ``--device`` and ``--threads`` on those using torch."""
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the full traceback on errors")
    if device:
        parser.add_argument("--device", default="auto",
                            help="torch device: auto (CUDA when available), cpu, cuda, "
                                 "cuda:1 ... (default: auto)")
        parser.add_argument("--threads", type=positive_int, default=threads, metavar="N",
                            help="CPU threads of torch (default: "
                                 + (f"{threads})" if threads else "torch's default)"))


def add_method_option(parser, default_text):
    """``--method``: one of :data:`METHODS`."""
    parser.add_argument("--method", type=str.lower, choices=list(METHODS), default=None,
                        help=f"localizer to train (default: {default_text})")


def add_output_options(parser):
    """``--verbose`` and ``--quiet`` of the commands that train."""
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print the losses of every epoch (instead of a progress bar)")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="print only the results and errors")


def add_data_options(parser, *, for_predict=False):
    """How features and annotations are read (``train`` and ``predict``)."""
    parser.add_argument("--layout", choices=LAYOUTS, default=None if for_predict else "auto",
                        help="feature layout: rgb_flow (features/{rgb,flow}/<video>.npy), "
                             "joint (<video>.npy), npz (BackTAL <video>.npz), object_array "
                             "(W-TALC *-I3D-JOINTFeatures.npy); default: "
                             + ("the model's, else auto" if for_predict else "auto (detected)"))
    parser.add_argument("--subset", default=None,
                        help="keep only the annotated videos of this subset (e.g. validation, "
                             "test)")
    parser.add_argument("--snippet-frames", type=snippet_frames_type,
                        default=FROM_MODEL if for_predict else 16, metavar="N|none",
                        help="frames per feature row (16 for I3D snippets); 'none' when "
                             "every video was resampled to a fixed number of rows spread "
                             "over its duration (default: "
                             + ("the model's, else 16)" if for_predict else "16)"))
    parser.add_argument("--fps", "--feature-fps", dest="fps", type=positive_float,
                        default=None,
                        help="frame rate the features were extracted at (25 for BaS-Net's "
                             "THUMOS14 features); default: each video's 'fps' in the "
                             "annotations" + (", else the model's" if for_predict else ""))
    parser.add_argument("--click-format", choices=CLICK_FORMATS, default="auto",
                        help=argparse.SUPPRESS if for_predict else
                        "click file format: backtal (background-click CSV), lacp "
                        "(action-point CSV), sfnet (video,time_sec,class rows); default: "
                        "auto (from the header)")


def model_info_path(model_path):
    """The JSON beside a model: class names and time grid for ``predict``."""
    return os.fspath(model_path) + ".json"


def load_data(args, *, clicks=None, class_names=None, snippet_frames=16, fps=None,
              layout="auto"):
    """``load_dataset`` on the command's --annotations, --features and --subset."""
    from ..datasets import load_dataset

    annotations = require_path(args.annotations, "--annotations", kind="any")
    features = require_path(args.features, "--features", kind="any")
    if annotations.endswith(".json"):
        read_json(annotations, "--annotations")  # a clear message for malformed JSON
    say(args, f"loading {features} ...")
    return load_dataset(annotations, features, clicks=clicks, click_format=args.click_format,
                        layout=layout, subset=args.subset, snippet_frames=snippet_frames,
                        feature_fps=fps, class_names=class_names,
                        clip_clicks=getattr(args, "clip_clicks", False))


# ---------------------------------------------------------- train and predict
def estimator_class(method):
    """The localizer class of ``method`` (a CLI name or a class name), or a clear error."""
    key = method.lower()
    if key not in METHODS:
        raise CLIError(f"--method: unknown method {method!r}; choose from "
                       f"{', '.join(METHODS)}")
    name = METHODS[key]
    try:
        return getattr(importlib.import_module("sktal.localizers"), name)
    except (ImportError, AttributeError):
        pass
    try:  # the package may fail to import while one method is being written
        return getattr(importlib.import_module(f"sktal.localizers._{key}"), name)
    except (ImportError, AttributeError) as exc:
        raise CLIError(f"--method {key}: {name} is not available in this installation "
                       f"of sktal ({exc})") from None


def default_method():
    """BackTAL, or BaS-Net where BackTAL is not installed."""
    try:
        estimator_class("backtal")
    except CLIError:
        try:
            estimator_class("basnet")
            return "basnet"
        except CLIError:
            pass  # neither: the error will name BackTAL
    return "backtal"


def make_estimator(method, args, params, *, defaults=()):
    """The estimator of ``method``: CLI defaults, then ``--param`` values on top."""
    cls = estimator_class(method)
    valid = cls().get_params(deep=False)
    settings = {k: v for k, v in dict(defaults).items() if k in valid}
    settings.update(params)
    if "callbacks" not in params and not args.verbose and not getattr(args, "quiet", False):
        callback = epoch_progress_bar()
        if callback is not None:
            settings["callbacks"] = [("cli_progress", callback)]
    if "verbose" not in params:
        settings["verbose"] = 1 if args.verbose else 0
    return cls(**settings)


def epoch_progress_bar():
    """A skorch callback drawing one tqdm bar over the epochs (None without tqdm).

    tqdm hides the bar when stderr is not a terminal (``disable=None``).
    """
    try:
        from skorch.callbacks import Callback
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm comes with skorch
        return None

    class EpochProgressBar(Callback):
        def on_train_begin(self, net, **kwargs):
            self.bar_ = tqdm(total=net.max_epochs, unit="epoch", desc="training",
                             disable=None, leave=False, file=sys.stderr)

        def on_epoch_end(self, net, **kwargs):
            self.bar_.update(1)
            self.bar_.set_postfix(loss=f"{net.history[-1, 'train_loss']:.4f}")

        def on_train_end(self, net, **kwargs):
            self.bar_.close()

    return EpochProgressBar()


def fit_estimator(estimator, X, y, clicks, args):
    """``estimator.fit`` with a summary line; errors about the inputs become CLIError."""
    name = type(estimator).__name__
    n_clicks = 0 if clicks is None else sum(len(c) for c in clicks)
    say(args, f"training {name} on {len(X)} videos ({y.shape[1]} classes"
              + (f", {n_clicks} clicks)" if clicks is not None else ")") + " ...")
    start = time.perf_counter()
    try:
        estimator.fit(X, y, clicks)
    except (ValueError, TypeError) as exc:  # parameter or input validation
        if args.debug:
            raise
        message = f"{name}: {exc}"
        if clicks is None and "click" in str(exc):
            message += (" On the command line: --clicks FILE, or --simulate-clicks "
                        f"{CLICK_KIND.get(name.lower(), 'background')} from the annotations.")
        raise CLIError(message) from None
    elapsed = time.perf_counter() - start
    epochs = len(estimator.history_)
    wanted = estimator.get_params()["max_epochs"]
    if any(isinstance(c, tuple) and c[0] == "cli_progress" for c in estimator.callbacks or ()):
        estimator.set_params(callbacks=None)  # a display helper, not part of the model
    loss = estimator.history_[-1, "train_loss"] if epochs else float("nan")
    say(args, f"trained {name}: {epochs} epoch{'s' * (epochs != 1)} in {elapsed:.1f} s, "
              f"final loss {loss:.4f}")
    if epochs < wanted:
        print(f"sktal: warning: training stopped after {epochs} of {wanted} epochs "
              "(interrupted)", file=sys.stderr)
    return estimator


def predict_videos(estimator, X, *, chunk=64):
    """Detections of every video, with a progress bar over chunks of videos."""
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover
        tqdm = None
    starts = range(0, len(X), chunk)
    if tqdm is not None and len(X) > chunk:
        starts = tqdm(starts, unit="chunk", desc=f"predicting {len(X)} videos",
                      disable=None, leave=False, file=sys.stderr)
    detections = []
    for start in starts:  # a video's detections do not depend on its batch
        detections.extend(estimator.predict(X[start:start + chunk]))
    return detections


# ------------------------------------------------------------------- mAP table
def range_averages(thresholds, mAP):
    """``[(label, value)]``: the usual ranges found in ``thresholds``, then all of them."""
    out, seen = [], set()
    for low, high in NAMED_RANGES:
        inside = (thresholds >= low - 1e-9) & (thresholds <= high + 1e-9)
        if (np.isclose(thresholds, low).any() and np.isclose(thresholds, high).any()
                and inside.sum() > 1):
            out.append((f"{low:g}:{high:g}", float(mAP[inside].mean())))
            seen.add(tuple(np.flatnonzero(inside)))
    if len(thresholds) > 1 and tuple(range(len(thresholds))) not in seen:
        out.append((f"{thresholds.min():g}:{thresholds.max():g}", float(mAP.mean())))
    return out


def map_table(thresholds, mAP, *, ap=None, class_names=None):
    """The mAP per threshold and its averages, in percent with two decimals."""
    lines = [f"{'tIoU':<10}{'mAP (%)':>9}"]
    for t, m in zip(thresholds, mAP):
        lines.append(f"{t:<10g}{100 * m:>9.2f}")
    averages = range_averages(np.asarray(thresholds), np.asarray(mAP))
    if averages:
        lines.append("average")
        lines.extend(f"  {label:<8}{100 * value:>9.2f}" for label, value in averages)
    if ap is not None:
        width = max([5] + [len(str(c)) for c in class_names]) + 2
        lines.append("")
        lines.append(f"{'AP (%)':<{width}}" + "".join(f"{t:>7g}" for t in thresholds))
        for c, name in enumerate(class_names):
            lines.append(f"{str(name):<{width}}" + "".join(f"{100 * v:>7.2f}" for v in ap[:, c]))
    return "\n".join(lines)


def map_json(thresholds, mAP, *, ap=None, class_names=None):
    """The same numbers as raw fractions, for ``--json``."""
    out = {
        "tiou_thresholds": [float(t) for t in thresholds],
        "mAP": [float(m) for m in mAP],
        "average_mAP": float(np.mean(mAP)),
        "averages": dict(range_averages(np.asarray(thresholds), np.asarray(mAP))),
    }
    if ap is not None:
        out["ap"] = {str(name): [float(v) for v in ap[:, c]]
                     for c, name in enumerate(class_names)}
    return out
