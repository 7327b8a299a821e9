"""``sktal predict``: detections of a saved model as ActivityNet result JSON."""
import json
import os
import sys
import zipfile

import numpy as np

from ._common import (
    FROM_MODEL,
    CLIError,
    add_common_options,
    add_data_options,
    load_data,
    model_info_path,
    positive_int,
    require_path,
    say,
    writable_path,
)


def _list_video_ids(features, layout):
    """Video ids of a feature folder, for ``predict`` without annotations."""
    if os.path.isfile(features):
        raise CLIError(f"--features: {features} is a single file (W-TALC object array); "
                       "give --annotations to name its videos")
    if layout in ("auto", "rgb_flow") and os.path.isdir(os.path.join(features, "rgb")):
        folder, ext = os.path.join(features, "rgb"), ".npy"
    elif layout in ("auto", "npz") and any(f.endswith(".npz") for f in os.listdir(features)):
        folder, ext = features, ".npz"
    else:
        folder, ext = features, ".npy"
    ids = sorted(f[: -len(ext)] for f in os.listdir(folder) if f.endswith(ext))
    if not ids:
        raise CLIError(f"--features: no {ext} files in {folder}")
    return ids


def run(args):
    """Run ``sktal predict``; return the exit status."""
    from ..persistence import load

    model = require_path(args.model, "--model")
    out = writable_path(args.out, "--out")
    if not zipfile.is_zipfile(model):  # torch.save writes a zip archive
        raise CLIError(f"--model: {model} is not a model file written by 'sktal train' or "
                       "sktal.save")
    try:
        estimator = load(model, device=args.device)
    except Exception as exc:  # a file torch cannot read is bad input, whatever torch raises
        if args.debug:
            raise
        first_line = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise CLIError(f"--model: cannot read {model}: {first_line[:200]}") from None
    info = {}
    if os.path.isfile(model_info_path(model)):
        try:
            with open(model_info_path(model), encoding="utf-8") as fh:
                info = json.load(fh)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CLIError(f"--model information file {model_info_path(model)} is not "
                           f"valid JSON ({exc})") from None
    class_names = info.get("class_names")
    snippet_frames = (info.get("snippet_frames", 16) if args.snippet_frames is FROM_MODEL
                      else args.snippet_frames)
    fps = args.fps if args.fps is not None else info.get("fps")
    layout = args.layout or info.get("layout") or "auto"
    n_classes = len(estimator.classes_)

    if args.annotations is not None:
        data = load_data(args, class_names=class_names, snippet_frames=snippet_frames,
                         fps=fps, layout=layout)
        X, video_ids, class_names = data.X, data.video_ids, data.class_names
        seconds_per_step = data.seconds_per_step
    else:
        from ..datasets import load_features

        features = require_path(args.features, "--features", kind="any")
        video_ids = _list_video_ids(features, layout)
        say(args, f"loading {features} ...")
        feats = load_features(features, video_ids, layout=layout)
        X = feats.X
        lengths = np.array([len(x) for x in X], dtype=np.float64)
        if feats.durations is not None and not np.isnan(feats.durations).any():
            seconds_per_step = feats.durations / lengths
        elif fps is None or snippet_frames is None:
            raise CLIError("without --annotations, give --fps (the frame rate the features "
                           "were extracted at) and --snippet-frames to convert snippets to "
                           "seconds")
        else:
            seconds_per_step = np.full(len(X), snippet_frames / fps)
    if class_names is None:
        class_names = [f"class_{c}" for c in range(n_classes)]
        print(f"sktal: warning: no class names (no {model_info_path(model)}, no "
              "--annotations): labels are written as class_0, class_1, ...", file=sys.stderr)
    if len(class_names) != n_classes:
        raise CLIError(f"--model {model} has {n_classes} classes but the annotations name "
                       f"{len(class_names)}")
    say(args, f"predicting {len(X)} videos with {type(estimator).__name__} ...")
    if args.quiet:
        estimator.set_params(progress=None)
    try:
        detections = estimator.predict(X)
    except ValueError as exc:  # e.g. features of another width than in training
        if args.debug:
            raise
        raise CLIError(f"--features: {exc}") from None
    if args.max_detections is not None:
        detections = [d[: args.max_detections] for d in detections]

    from ..datasets import write_results_json

    write_results_json(out, detections, video_ids, class_names, seconds_per_step)
    say(args, f"{sum(len(d) for d in detections)} detections of {len(X)} videos written to "
              f"{out}")
    return 0


def add_parser(commands):
    """Add the ``predict`` command to the subparsers ``commands``."""
    predict = commands.add_parser(
        "predict", help="write a model's detections as ActivityNet result JSON",
        description="Detect actions with a model saved by 'sktal train' and write them as "
                    "an ActivityNet result JSON, in seconds. Seconds per snippet come from "
                    "the annotations (fps, duration) or from --fps and --snippet-frames.")
    predict.add_argument("--model", required=True, metavar="MODEL",
                         help="model file written by 'sktal train' or sktal.save")
    predict.add_argument("--features", required=True, metavar="PATH",
                         help="feature folder (or W-TALC .npy file, with --annotations)")
    predict.add_argument("--annotations", default=None, metavar="GT",
                         help="annotations giving the videos, their fps and durations and "
                              "the class names (optional)")
    add_data_options(predict, for_predict=True)
    predict.add_argument("--max-detections", type=positive_int, default=None, metavar="K",
                         help="keep the K best detections per video (default: all)")
    predict.add_argument("--out", required=True, metavar="RESULTS",
                         help="result JSON to write (e.g. results.json)")
    predict.add_argument("-q", "--quiet", action="store_true",
                         help="print only errors")
    add_common_options(predict, device=True)
    predict.set_defaults(func=run)
