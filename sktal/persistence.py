"""Saving a fitted localizer as weights and parameters, not code.

``pickle``/``joblib`` work too, but they store references to the code that made the
object and execute it on load. :func:`save` writes only data — the estimator's class
name, its parameters, the fitted attributes and the network's and optimizer's tensors —
and :func:`load` reads it back with ``torch.load(weights_only=True)``, rebuilding the
network from the installed sktal. Only sktal's own estimators can be loaded.
"""
import importlib
import numbers
import warnings

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from ._version import __version__

_FORMAT = "sktal-localizer-1"
_KNOWN_CLASSES = {
    "BaSNet": "sktal.localizers",
    "BackTAL": "sktal.localizers",
    "TEN": "sktal.localizers",
    "FSPTAL": "sktal.localizers",
    "SegmentDetector": "sktal.localizers",
}


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
    estimator : BaSNet, BackTAL, TEN or FSPTAL
        A fitted localizer.
    path : str or path-like
        Destination file (conventionally ``*.pt``).

    Notes
    -----
    Stored: the class name, ``get_params()`` (callbacks and ``RandomState`` objects,
    which are code or state, become ``None`` with a warning), ``classes_``,
    ``n_features_in_``, the module's and the optimizer's state dicts, and the sktal
    version. Not stored: the training history.

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
    if _KNOWN_CLASSES.get(name) is None:
        raise TypeError(f"save: {name} is not an sktal localizer")
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
    estimator : BaSNet, BackTAL, TEN or FSPTAL
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
    if name not in _KNOWN_CLASSES:
        raise ValueError(f"{path}: unknown estimator class {name!r}")
    cls = getattr(importlib.import_module(_KNOWN_CLASSES[name]), name)
    params = dict(payload["params"])
    params["device"] = device
    estimator = cls(**params)
    estimator._validate_params()
    n_features, n_classes = payload["n_features_in"], payload["n_classes"]
    net = estimator._make_net(n_features, n_classes, estimator._resolve_device(), 0)
    net.initialize()
    net.module_.load_state_dict(payload["module_state"])
    net.optimizer_.load_state_dict(payload["optimizer_state"])
    estimator.net_ = net
    estimator.classes_ = np.arange(n_classes)
    estimator.n_features_in_ = n_features
    return estimator
