"""Saving a fitted localizer as weights and parameters, not code.

``pickle``/``joblib`` work too, but they store references to the code that made the
object and execute it on load. :func:`save` writes only data — the estimator's class
name, its parameters, the fitted attributes and the network's and optimizer's tensors —
and :func:`load` reads it back with ``torch.load(weights_only=True)``, rebuilding the
network from the installed sktal. Only the registered localizers can be saved and loaded
(:func:`sktal.utils.discovery.localizer_names`).
"""
import json
import numbers
import warnings

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from ._registry import get_localizer, localizer_names
from ._version import __version__

_FORMAT = "sktal-localizer-1"


def _json_safe(value):
    """``json.dumps`` fallback for the numpy/torch scalars skorch puts in a History."""
    if isinstance(value, (np.generic, torch.Tensor)) and np.ndim(value) == 0:
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return repr(value)  # anything else a callback recorded: kept readable, not as code


def _history_json(history):
    """skorch's History (a list of per-epoch dicts) as a JSON string."""
    return json.dumps(list(history), default=_json_safe, allow_nan=True)


def _plain(name, value):
    """A parameter as plain data, or ``None`` (with a warning) when it is code."""
    if value is None or isinstance(value, (bool, str, numbers.Number)):
        return value.item() if isinstance(value, np.generic) else value
    if isinstance(value, (np.ndarray, list, tuple)) and np.asarray(value).dtype.kind in "biuf":
        return np.asarray(value).tolist()
    warnings.warn(
        f"save: parameter {name}={value!r} is not plain data and is stored as None",
        UserWarning,
        stacklevel=3,
    )
    return None


def save(estimator, path):
    """Write a fitted sktal localizer to ``path``.

    Parameters
    ----------
    estimator : BaseLocalizer
        A fitted localizer of the registry.
    path : str or path-like
        Destination file (conventionally ``*.pt``).

    Notes
    -----
    Stored: the class name, ``get_params()`` (callbacks and ``RandomState`` objects,
    which are code or state, become ``None`` with a warning), ``classes_``,
    ``n_features_in_``, the module's and the optimizer's state dicts, the training
    history (``history_``, as JSON: numbers, strings and lists; anything else a
    callback recorded becomes its ``repr``), ``n_epochs_completed_``,
    ``interrupted_`` and the sktal version.

    Resuming: ``est = sktal.load(path); est.set_params(warm_start=True,
    max_epochs=n); est.fit(X, y, ...)`` trains ``n`` *more* epochs from the saved
    weights and optimizer state (Adam's moments included); ``history_`` continues
    (epoch numbers go on from the saved ones) and ``n_epochs_completed_`` counts
    all epochs, saved and new.  Parameters that shape the network, optimizer or
    loss must be unchanged (a :class:`ValueError` says which changed).  The
    random state is not restored: the shuffling of the resumed epochs differs
    from an uninterrupted run's, so a resumed fit is a continuation, not a
    bit-for-bit replay.

    Examples
    --------
    >>> import os, tempfile
    >>> import sktal
    >>> from sktal.datasets import make_temporal_actions
    >>> data = make_temporal_actions(n_videos=6, random_state=0)
    >>> est = sktal.BaSNet(n_segments=32, hidden_size=8, max_epochs=1, random_state=0)
    >>> est = est.fit(data.X, data.y)
    >>> path = os.path.join(tempfile.mkdtemp(), "basnet.pt")
    >>> sktal.save(est, path)
    >>> sktal.load(path).predict_proba(data.X[:1]).shape
    (1, 5)
    """
    check_is_fitted(estimator, "net_")
    name = type(estimator).__name__
    if name not in localizer_names() or get_localizer(name) is not type(estimator):
        raise TypeError(f"save: {name} is not a registered sktal localizer "
                        "(see sktal.utils.discovery.register_localizer)")
    params = {k: _plain(k, v) for k, v in estimator.get_params(deep=False).items()}
    net = estimator.net_
    payload = {
        "format": _FORMAT,
        "sktal_version": __version__,
        "class": name,
        "params": params,
        "n_classes": int(len(estimator.classes_)),
        "n_features_in": int(estimator.n_features_in_),
        "module_state": {k: v.detach().cpu() for k, v in net.module_.state_dict().items()},
        "optimizer_state": net.optimizer_.state_dict(),
        "history": _history_json(net.history),
        "n_epochs_completed": int(getattr(estimator, "n_epochs_completed_", len(net.history))),
        "interrupted": bool(getattr(estimator, "interrupted_", False)),
    }
    torch.save(payload, path)


def load(path, *, device="auto"):
    """Read a localizer written by :func:`save`.

    Parameters
    ----------
    path : str or path-like
    device : str, default='auto'
        Where to put the network; ``'auto'`` is CUDA when available. It replaces the
        saved ``device`` parameter.

    Returns
    -------
    estimator : BaseLocalizer
        Fitted, ready to ``predict``; ``warm_start=True`` continues training from the
        saved optimizer state.

    Examples
    --------
    See :func:`save`.
    """
    payload = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
        raise ValueError(f"{path}: not a file written by sktal.save")
    name = payload["class"]
    if name not in localizer_names():
        raise ValueError(f"{path}: unknown estimator class {name!r}")
    cls = get_localizer(name)
    params = dict(payload["params"])
    params["device"] = device
    estimator = cls(**params)
    estimator._validate_params()
    n_features, n_classes = payload["n_features_in"], payload["n_classes"]
    net = estimator._initialize(n_features, n_classes, estimator._resolve_device())
    net.module_.load_state_dict(payload["module_state"])
    net.optimizer_.load_state_dict(payload["optimizer_state"])
    if "history" in payload:
        from skorch.history import History

        net.history_ = History(json.loads(payload["history"]))
        estimator.n_epochs_completed_ = int(payload["n_epochs_completed"])
        estimator.interrupted_ = bool(payload["interrupted"])
    else:  # an older file: epochs before saving are unknown: None, not 0 ("untrained")
        estimator.n_epochs_completed_ = None
    return estimator
