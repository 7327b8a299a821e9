"""Helpers shared by the plots: the optional matplotlib import, colours, inputs."""
import numpy as np

from ..utils.validation import check_rows

_INSTALL_HINT = (
    "sktal.plotting needs matplotlib, an optional dependency: pip install sktal[plot]"
)


def import_pyplot():
    """Import ``matplotlib.pyplot``, or raise an ImportError telling how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - exercised by monkeypatching
        raise ImportError(_INSTALL_HINT) from exc
    return plt


def get_axes(ax, figsize):
    """``ax`` itself, or the axes of a new figure with a constrained layout.

    The constrained layout makes room for the labels and for legends placed outside the
    axes, so ``ax.figure.savefig(...)`` saves the whole plot, not a clipped one.
    """
    plt = import_pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def class_color(c):
    """A fixed colour per class index (tab10 for 0–9, tab20's light shades after)."""
    import matplotlib

    c = int(c)
    if c < 10:
        return matplotlib.colormaps["tab10"](c)
    return matplotlib.colormaps["tab20"]((2 * (c - 10) + 1) % 20)


def class_name(c, class_names):
    c = int(c)
    if class_names is not None and 0 <= c < len(class_names):
        return str(class_names[c])
    return f"class {c}"


def rows(value, width, name, *, allow_none=True):
    """A single video's ``(k, width)`` array (empty allowed) or ``None``."""
    if value is None:
        if allow_none:
            return None
        raise ValueError(f"{name} is required")
    return check_rows(value, width, name)


def per_video(value, width, name):
    """A list of ``(k_i, width)`` arrays from one array (one video) or a sequence."""
    if isinstance(value, np.ndarray) and value.dtype != object and value.ndim == 2:
        return [rows(value, width, name)]
    return [rows(v, width, f"{name}[{i}]") for i, v in enumerate(value)]


def time_scale(seconds_per_step):
    """Factor from timesteps to the plotted unit, and the axis label."""
    if seconds_per_step is None:
        return 1.0, "time (snippets)"
    scale = float(seconds_per_step)
    if not scale > 0:
        raise ValueError(f"seconds_per_step must be positive, got {seconds_per_step!r}")
    return scale, "time (s)"
