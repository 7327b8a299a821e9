"""``sktal train``: fit a localizer on features + annotations (+ clicks) and save it."""
import argparse
import ast
import contextlib
import difflib
import json
import os
import signal
import sys
import warnings

from skorch.callbacks import Callback

from .._version import __version__
from ._common import (
    DEFAULT_METHOD,
    CLIError,
    add_common_options,
    add_data_options,
    add_method_option,
    add_output_options,
    estimator_class,
    fit_estimator,
    load_data,
    make_estimator,
    model_info_path,
    require_path,
    say,
    writable_path,
)

#: the ``format`` field of the JSON written beside a model
MODEL_INFO_FORMAT = "sktal-cli-model-info-1"


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
    try:   # the values too, before any feature file is read
        estimator_class(**params)._validate_params()
    except (TypeError, ValueError) as exc:
        raise CLIError(f"--param: {exc}") from None
    return params


def run(args):
    """Run ``sktal train``; return the exit status."""
    method = args.method or DEFAULT_METHOD
    cls = estimator_class(method)
    params = parse_params(args.param, cls)
    out = writable_path(args.out, "--out")
    clicks = [require_path(path, "--clicks") for path in args.clicks or ()]
    if clicks and args.simulate_clicks:
        raise CLIError("--clicks and --simulate-clicks exclude each other")
    data = load_data(args, clicks=clicks or None, snippet_frames=args.snippet_frames,
                     fps=args.fps, layout=args.layout)
    click_arrays = data.clicks
    if args.simulate_clicks:
        from ..datasets import simulate_clicks

        click_arrays = simulate_clicks(data.segments, data.lengths, kind=args.simulate_clicks,
                                       action_distribution="gaussian", random_state=args.seed)
    say(args, f"{len(data.X)} videos, {data.X[0].shape[1]} features ({data.layout} layout), "
              f"{len(data.class_names)} classes")
    estimator = make_estimator(cls, args, params, defaults=dict(
        n_classes=len(data.class_names), random_state=args.seed, device=args.device,
        n_rgb_features=data.n_rgb_features,
    ))
    # Ctrl-C: keep the model, reported below
    with warnings.catch_warnings(), _deferred_sigint() as stop:
        warnings.filterwarnings("ignore", message=r".*fit was interrupted \(Keyboard")
        fit_estimator(estimator, data.X, data.y, click_arrays, args, on_interrupt="warn",
                      callbacks=[*(estimator.callbacks or []), ("cli_sigint", stop)])
    interrupted = bool(getattr(estimator, "interrupted_", False))
    epochs = getattr(estimator, "n_epochs_completed_", None)
    epochs = len(estimator.history_) if epochs is None else int(epochs)
    if interrupted and epochs == 0:
        print(f"sktal: interrupted before the first epoch completed; no model saved "
              f"(nothing at {out} was written)", file=sys.stderr)
        return 130

    from ..persistence import save

    save(estimator, out)
    info = {
        "format": MODEL_INFO_FORMAT,
        "sktal_version": __version__,
        "method": type(estimator).__name__,
        "class_names": list(data.class_names),
        "n_features": int(data.X[0].shape[1]),
        "layout": data.layout,
        "snippet_frames": args.snippet_frames,
        "fps": args.fps,
        "annotations": os.path.abspath(args.annotations),
        "subset": args.subset,
    }
    with open(model_info_path(out), "w", encoding="utf-8") as fh:
        json.dump(info, fh, indent=1)
    say(args, f"model saved to {out} (class names and time grid in {model_info_path(out)})")
    if interrupted:
        print(f"sktal: interrupted after {epochs} of {estimator.max_epochs} epochs; the "
              f"partial model is saved to {out} (resume it in Python with warm_start=True)",
              file=sys.stderr)
        return 130
    return 0


def add_parser(commands):
    """Add the ``train`` command to the subparsers ``commands``."""
    train = commands.add_parser(
        "train", help="train a localizer on features + ActivityNet-style annotations",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train a localizer on snippet features and ActivityNet-style "
                    "annotations\n(+ clicks) and save it with sktal.save (parameters "
                    "and weights, not code).\nClass names and the time grid are saved "
                    "beside it in MODEL.json for 'sktal predict'.",
        epilog="example:\n  sktal train --method backtal --features features/val "
               "--annotations gt.json \\\n      --subset val --fps 25 --clicks "
               "background_clicks.csv \\\n      --param hidden_size=2048 --param "
               "max_epochs=40 --out backtal.pt")
    add_method_option(train)
    train.add_argument("--features", required=True, metavar="PATH",
                       help="feature folder (or W-TALC .npy file)")
    train.add_argument("--annotations", required=True, metavar="GT",
                       help="ActivityNet-style ground truth JSON (THUMOS14 gt.json, "
                            "ActivityNet) or a W-TALC annotation folder")
    train.add_argument("--clicks", action="append", metavar="FILE",
                       help="click file: background-click CSV (BackTAL), action-point CSV "
                            "(LACP) or SF-Net rows; repeat to merge several files")
    train.add_argument("--simulate-clicks", choices=("background", "action", "both"),
                       default=None,
                       help="simulate clicks from the annotated segments instead")
    train.add_argument("--clip-clicks", action="store_true",
                       help="move clicks that fall outside their video's features to its "
                            "first/last snippet instead of failing")
    add_data_options(train)
    train.add_argument("--param", action="append", metavar="KEY=VALUE",
                       help="estimator parameter, repeatable: ints, floats, true/false, "
                            "none, lists ([0.3,0.5]) or strings, e.g. --param hidden_size=512")
    train.add_argument("--seed", type=int, default=0,
                       help="random_state of the estimator (default: 0)")
    train.add_argument("--out", required=True, metavar="MODEL",
                       help="where to save the model (e.g. model.pt)")
    add_output_options(train)
    add_common_options(train, device=True)
    train.set_defaults(func=run)


#: set by the SIGINT handler of _deferred_sigint (module state: skorch may copy the
#: callback, so the request cannot live on the instance)
_SIGINT_REQUESTED = [False]


class _StopOnSignal(Callback):
    """Raise ``KeyboardInterrupt`` after the batch in which Ctrl-C was pressed (see
    :func:`_deferred_sigint`)."""

    def on_batch_end(self, net, **kwargs):
        if _SIGINT_REQUESTED[0]:
            raise KeyboardInterrupt


@contextlib.contextmanager
def _deferred_sigint():
    """Turn the first Ctrl-C of a training into a stop at the end of the current batch.

    CPython raises ``KeyboardInterrupt`` wherever the main thread is when the signal
    is handled; inside a finalizer (a data loader's or tensor's ``__del__``) it is
    printed as "Exception ignored" and lost, and a ``max_epochs=1000000`` fit then
    never stops. The handler only records the request; the callback raises it from
    the training loop, where skorch stops cleanly. A second Ctrl-C interrupts at
    once. Outside the main thread (no signal handlers there) nothing changes.
    """
    _SIGINT_REQUESTED[0] = False

    def handler(signum, frame):
        if _SIGINT_REQUESTED[0]:
            raise KeyboardInterrupt
        _SIGINT_REQUESTED[0] = True

    try:
        previous, installed = signal.signal(signal.SIGINT, handler), True
    except ValueError:  # not the main thread
        installed = False
    try:
        yield _StopOnSignal()
    finally:
        if installed:
            signal.signal(signal.SIGINT, previous)
        _SIGINT_REQUESTED[0] = False
