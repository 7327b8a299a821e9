"""What the commands share: errors, path checks, options and training.

The methods come from the registry (:mod:`sktal._registry`), the layouts and click
formats from :mod:`sktal.datasets`, the progress display from the estimators'
``progress`` parameter.
"""
import argparse
import os
import time

from .._registry import click_kind, get_localizer, localizer_names
from ..datasets._annotations import CLICK_FORMATS
from ..datasets._features import LAYOUTS

#: the method trained when ``--method`` is not given
DEFAULT_METHOD = "backtal"

#: default of ``predict --snippet-frames``: the value the model was trained with
FROM_MODEL = object()


class CLIError(Exception):
    """Bad input or usage: reported as ``sktal: error: <message>``, exit status 2."""


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors become :class:`CLIError`."""

    def error(self, message):
        raise CLIError(f"{message} (see '{self.prog} --help')")


def say(args, message):
    """Print a progress message unless ``--quiet``."""
    if not getattr(args, "quiet", False):
        print(message, flush=True)


def require_path(path, option, *, kind="file"):
    """``path`` as a string; a :class:`CLIError` naming ``option`` if it is missing."""
    path = os.fspath(path)
    if not {"file": os.path.isfile, "any": os.path.exists}[kind](path):
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


def _positive(convert, what):
    """An ``argparse`` type: ``convert(text)`` when it is > 0."""
    def parse(text):
        try:
            if convert(text) > 0:
                return convert(text)
        except ValueError:
            pass
        raise argparse.ArgumentTypeError(f"expected a positive {what}, got {text!r}")
    return parse


positive_int = _positive(int, "integer")


def snippet_frames_type(text):
    """``--snippet-frames``: a positive integer, or ``none`` (rows spread over the video)."""
    if text.strip().lower() == "none":
        return None
    return _positive(int, "integer or 'none'")(text)


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


def add_method_option(parser):
    """``--method``: one of :func:`method_names`."""
    parser.add_argument("--method", type=str.lower, choices=method_names(), default=None,
                        help=f"localizer to train (default: {DEFAULT_METHOD})")


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
    parser.add_argument("--fps", "--feature-fps", dest="fps", type=_positive(float, "number"),
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
    """``load_dataset`` on the command's --annotations, --features and --subset (its
    errors name the file and field)."""
    from ..datasets import load_dataset

    annotations = require_path(args.annotations, "--annotations", kind="any")
    features = require_path(args.features, "--features", kind="any")
    say(args, f"loading {features} ...")
    return load_dataset(annotations, features, clicks=clicks, click_format=args.click_format,
                        layout=layout, subset=args.subset, snippet_frames=snippet_frames,
                        feature_fps=fps, class_names=class_names,
                        clip_clicks=getattr(args, "clip_clicks", False))


def method_names():
    """The ``--method`` names: the registry's class names in lower case."""
    return [name.lower() for name in localizer_names()]


def estimator_class(method):
    """The localizer class of ``method`` (a CLI name or a class name), or a clear error."""
    names = dict(zip(method_names(), localizer_names()))
    if method.lower() not in names:
        raise CLIError(f"--method: unknown method {method!r}; choose from "
                       f"{', '.join(names)}")
    return get_localizer(names[method.lower()])


def make_estimator(cls, args, params, *, defaults=()):
    """An estimator of ``cls``: CLI defaults, then ``--param`` values on top."""
    valid = cls().get_params(deep=False)
    settings = {k: v for k, v in dict(defaults).items() if k in valid}
    settings.update(params)
    settings.setdefault("verbose", 1 if args.verbose else 0)
    return cls(**settings)


def fit_estimator(estimator, X, y, clicks, args, **for_this_fit):
    """``estimator.fit`` between summary lines, with the parameters ``for_this_fit``
    (and ``progress=None`` with ``--quiet``) for this fit only, so they are not saved
    with the model; errors about the inputs become :class:`CLIError`."""
    name = type(estimator).__name__
    n_clicks = 0 if clicks is None else sum(len(c) for c in clicks)
    say(args, f"training {name} on {len(X)} videos ({y.shape[1]} classes"
              + (f", {n_clicks} clicks)" if clicks is not None else ")") + " ...")
    if args.quiet:
        for_this_fit["progress"] = None
    saved = {key: getattr(estimator, key) for key in for_this_fit}
    start = time.perf_counter()
    try:
        estimator.set_params(**for_this_fit).fit(X, y, clicks)
    except (ValueError, TypeError) as exc:  # parameter or input validation
        if args.debug:
            raise
        message = f"{name}: {exc}"
        if clicks is None and "click" in str(exc):
            message += (" On the command line: --clicks FILE, or --simulate-clicks "
                        f"{click_kind(estimator) or 'background'} from the annotations.")
        raise CLIError(message) from None
    finally:
        estimator.set_params(**saved)
    epochs, wanted = len(estimator.history_), estimator.max_epochs
    loss = estimator.history_[-1, "train_loss"] if epochs else float("nan")
    say(args, f"trained {name}: {epochs} epoch{'s' * (epochs != 1)} in "
              f"{time.perf_counter() - start:.1f} s, final loss {loss:.4f}")
    if epochs < wanted and not getattr(estimator, "interrupted_", False):
        # an interrupt is reported once, by the library's warning or the caller
        say(args, f"stopped early after {epochs} of {wanted} epochs (a callback ended "
                  "training, e.g. EarlyStopping)")
    return estimator

