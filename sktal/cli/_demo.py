"""``sktal demo``: train and evaluate on synthetic data, save a plot."""
import numpy as np

from .._registry import click_kind
from ._common import (
    DEFAULT_METHOD,
    CLIError,
    add_common_options,
    add_method_option,
    add_output_options,
    estimator_class,
    fit_estimator,
    make_estimator,
    positive_int,
    say,
    writable_path,
)


def _plot_demo(path, cas, segments, detections, class_names, title):
    """Save CAS + ground truth + detections of one video; False without matplotlib."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return False
    from ..plotting import plot_cas

    figure = Figure(figsize=(9, 3.5), layout="constrained")
    ax = figure.add_subplot()
    plot_cas(cas, segments, detections=detections, class_names=class_names, ax=ax,
             max_detections=10)
    ax.set_title(title)
    figure.savefig(path, dpi=110)
    return True


def run(args):
    """Run ``sktal demo``; return the exit status."""
    method = args.method or DEFAULT_METHOD
    plot = None if args.no_plot else args.plot
    if plot is not None:
        writable_path(plot, "--plot")
    if args.quick:
        n_videos, n_segments, hidden, epochs = args.videos or 12, 32, 8, args.epochs or 2
    else:
        n_videos, n_segments, hidden, epochs = args.videos or 60, 128, 64, args.epochs or 20
    if n_videos < 3:
        raise CLIError("--videos: needs at least 3 videos (training and test)")
    cls = estimator_class(method)  # fail early on a missing method

    from ..datasets import make_temporal_actions, simulate_clicks
    from ..metrics import detection_map, format_map_table

    data = make_temporal_actions(n_videos=n_videos, random_state=args.seed)
    order = np.random.default_rng(args.seed).permutation(n_videos)
    n_test = max(1, n_videos // 3)
    test, train = np.sort(order[:n_test]), np.sort(order[n_test:])
    clicks = None
    kind = click_kind(cls)
    if kind is not None:
        clicks = simulate_clicks(data.segments, data.lengths, kind=kind,
                                 action_distribution="gaussian", random_state=args.seed)
        clicks = [clicks[i] for i in train]
    n_classes = data.y.shape[1]
    say(args, f"synthetic THUMOS-like data: {n_videos} videos of {data.X[0].shape[1]} "
              f"features, {n_classes} classes; {len(train)} for training, {len(test)} "
              "for test" + (f"; simulated {kind} clicks" if kind else ""))
    estimator = make_estimator(cls, args, {}, defaults=dict(
        n_segments=n_segments, hidden_size=hidden, embedding_hidden_size=hidden, lr=1e-3,
        batch_size=8, max_epochs=epochs, n_classes=n_classes, random_state=args.seed,
        n_rgb_features=data.n_rgb_features, device=args.device,
    ))
    fit_estimator(estimator, [data.X[i] for i in train], data.y[train], clicks, args)

    X_test = [data.X[i] for i in test]
    segments_test = [data.segments[i] for i in test]
    if args.quiet:
        estimator.set_params(progress=None)
    detections = estimator.predict(X_test)
    result = detection_map(segments_test, detections, n_classes=n_classes)
    say(args, "")
    print(f"{cls.__name__}: detection mAP of the {len(test)} test videos")
    print(format_map_table(result))

    if plot is not None:
        best = int(np.argmax([len(s) for s in segments_test]))
        cas = estimator.predict_cas([X_test[best]])[0]
        title = (f"{cls.__name__} on synthetic test video {test[best]}: class scores, "
                 "ground truth, detections")
        if _plot_demo(plot, cas, segments_test[best], detections[best], data.class_names,
                      title):
            say(args, f"plot saved to {plot}")
        else:
            say(args, "matplotlib is not installed: no plot (pip install sktal[plot])")
    return 0


def add_parser(commands):
    """Add the ``demo`` command to the subparsers ``commands``."""
    demo = commands.add_parser(
        "demo", help="train and evaluate on synthetic data (no downloads)",
        description="Make a synthetic THUMOS-like data set (no downloads), split it into "
                    "training and test videos, train a localizer (BackTAL with simulated "
                    "background clicks by default), print the detection mAP of the test "
                    "videos at tIoU 0.1 ... 0.7 with the 0.1:0.5, 0.3:0.7 and 0.1:0.7 "
                    "averages, and save a plot of one test video (class scores, ground "
                    "truth, detections) when matplotlib is installed. About a minute on "
                    "one CPU core.")
    add_method_option(demo)
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    demo.add_argument("--videos", type=positive_int, default=None,
                      help="number of synthetic videos (default: 60; 12 with --quick)")
    demo.add_argument("--epochs", type=positive_int, default=None,
                      help="training epochs (default: 20; 2 with --quick)")
    demo.add_argument("--plot", default="sktal_demo.png", metavar="PATH",
                      help="where to save the plot (default: sktal_demo.png)")
    demo.add_argument("--no-plot", action="store_true", help="do not save a plot")
    demo.add_argument("--quick", action="store_true",
                      help="a tiny run in a few seconds (for tests; the mAP is meaningless)")
    add_output_options(demo)
    add_common_options(demo, device=True, threads=1)
    demo.set_defaults(func=run)
