"""Readers for the snippet-feature layouts in circulation."""
import glob
import os

import numpy as np
from sklearn.utils import Bunch

from ._annotations import _as_str, _find_wtalc_annotation_dir, read_numpy_file

__all__ = ["load_features"]

LAYOUTS = ("auto", "rgb_flow", "joint", "npz", "object_array")


def _detect_layout(features):
    if os.path.isfile(features):
        if features.endswith(".npy"):
            return "object_array"
        raise ValueError(f"features: cannot tell the layout of file {features}; a single "
                         "file must be a W-TALC object-array .npy")
    if not os.path.isdir(features):
        raise FileNotFoundError(f"features: no such file or folder: {features}")
    if os.path.isdir(os.path.join(features, "rgb")):
        return "rgb_flow"
    if glob.glob(os.path.join(features, "*.npz")):
        return "npz"
    if glob.glob(os.path.join(features, "*.npy")):
        return "joint"
    raise ValueError(f"features: {features} holds no rgb/ folder, .npz or .npy files")


def _checked(arr, vid, path, transpose=False):
    arr = np.asarray(arr)
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"features: video '{vid}' ({path}) is not numeric (dtype {arr.dtype})")
    if arr.ndim != 2:
        raise ValueError(f"features: video '{vid}' ({path}) has shape {arr.shape}, expected "
                         "a 2-D array")
    if transpose:
        arr = arr.T
    if arr.shape[0] == 0:
        raise ValueError(f"features: video '{vid}' ({path}) has 0 snippets")
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    if not np.isfinite(arr).all():
        raise ValueError(f"features: video '{vid}' ({path}) contains NaN or infinite values")
    return arr


def _load(path, vid):
    if not os.path.isfile(path):
        raise FileNotFoundError(f"features: no file for video '{vid}' (expected {path})")
    return read_numpy_file(path, f"features: video '{vid}'")


def _find_video_names(features, search):
    stem = os.path.basename(features).split("-I3D-")[0]
    folders = [os.path.dirname(features) or "."] + [s for s in search if s]
    for folder in folders:
        for candidate in (folder, os.path.join(folder, f"{stem}-Annotations")):
            if os.path.isdir(candidate):
                found = _find_wtalc_annotation_dir(candidate)
                if found:
                    return [_as_str(v) for v in read_numpy_file(
                        os.path.join(found, "videoname.npy"), "features", allow_pickle=True)]
    raise FileNotFoundError(f"features: {features} is an object array without video names; "
                            f"no videoname.npy found in {folders} or their *-Annotations "
                            "folders")


def load_features(features, video_ids, *, layout="auto", search_dirs=()):
    """Read snippet features for the given videos from one of four layouts.

    Layouts (``layout="auto"`` tells them apart by what is on disk):

    ``"rgb_flow"``
        BaS-Net / UM / LACP / CoLA: ``<features>/rgb/<video>.npy`` and
        ``<features>/flow/<video>.npy``, each ``(T, 1024)``, concatenated as
        ``[rgb, flow]`` (``flow/`` may be absent: RGB only).
    ``"joint"``
        ActionFormer / OpenTAD: one ``<features>/<video>.npy`` of shape ``(T, D)``.
    ``"npz"``
        BackTAL: one ``<features>/<video>.npz`` with ``feat_spa`` (RGB) and ``feat_tem``
        (flow), each stored channels-first ``(D, T)`` and transposed here; its
        ``duration`` (seconds) is returned, as the features are resampled to a fixed length.
    ``"object_array"``
        W-TALC / CO2-Net / DELU: ``<features>`` is a single ``*-I3D-JOINTFeatures.npy``
        object array with one ``(T, 2048)`` array per video, ordered as ``videoname.npy``
        (found beside it, in ``search_dirs``, or in a ``*-Annotations`` folder there);
        the first half of the columns is taken as RGB.

    Parameters
    ----------
    features : str or path-like
        Folder (or file, for ``"object_array"``).
    video_ids : list of str
        Videos to read, in this order.
    layout : {"auto", "rgb_flow", "joint", "npz", "object_array"}, default="auto"
        Layout of ``features``.
    search_dirs : sequence of str, default=()
        Extra folders where ``videoname.npy`` may be found.

    Returns
    -------
    features : sklearn.utils.Bunch
        ``X`` (list of float32 (T_i, D) arrays), ``n_rgb_features`` (int, or None when the
        layout does not say), ``layout``, ``durations`` (ndarray from the ``.npz`` files,
        else None).

    Raises
    ------
    FileNotFoundError
        A video without features, naming the file expected.
    ValueError
        Arrays that are not 2-D, empty, non-finite, of differing widths, or RGB/flow of
        different lengths.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sktal.datasets import load_features
    >>> root = tempfile.mkdtemp()
    >>> for stream in ("rgb", "flow"):
    ...     os.makedirs(os.path.join(root, stream))
    ...     np.save(os.path.join(root, stream, "v1.npy"), np.ones((7, 3)))
    >>> feats = load_features(root, ["v1"])
    >>> feats.layout, feats.X[0].shape, feats.n_rgb_features
    ('rgb_flow', (7, 6), 3)
    """
    features = os.fspath(features)
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    if layout == "auto":
        layout = _detect_layout(features)
    elif not os.path.exists(features):
        raise FileNotFoundError(f"features: no such file or folder: {features}")
    X, durations, n_rgb = [], None, None
    if layout == "rgb_flow":
        has_flow = os.path.isdir(os.path.join(features, "flow"))
        for vid in video_ids:
            path = os.path.join(features, "rgb", f"{vid}.npy")
            rgb = _checked(_load(path, vid), vid, path)
            if has_flow:
                fpath = os.path.join(features, "flow", f"{vid}.npy")
                flow = _checked(_load(fpath, vid), vid, fpath)
                if len(flow) != len(rgb):
                    raise ValueError(f"features: video '{vid}' has {len(rgb)} RGB snippets "
                                     f"but {len(flow)} flow snippets")
                X.append(np.hstack([rgb, flow]))
            else:
                X.append(rgb)
            n_rgb = rgb.shape[1]
    elif layout == "joint":
        for vid in video_ids:
            path = os.path.join(features, f"{vid}.npy")
            X.append(_checked(_load(path, vid), vid, path))
    elif layout == "npz":
        durations = []
        for vid in video_ids:
            path = os.path.join(features, f"{vid}.npz")
            data = _load(path, vid)
            if not isinstance(data, dict):
                raise ValueError(f"features: {path} is a single .npy array, not an .npz "
                                 "archive with feat_spa/feat_tem")
            missing = [k for k in ("feat_spa", "feat_tem") if k not in data]
            if missing:
                raise ValueError(f"features: {path} has no {missing} (keys: {list(data)})")
            spa = _checked(data["feat_spa"], vid, path, transpose=True)
            tem = _checked(data["feat_tem"], vid, path, transpose=True)
            durations.append(float(np.ravel(data["duration"])[0])
                             if "duration" in data else np.nan)
            if len(spa) != len(tem):
                raise ValueError(f"features: video '{vid}' ({path}) has {len(spa)} feat_spa "
                                 f"snippets but {len(tem)} feat_tem snippets")
            X.append(np.hstack([spa, tem]))
            n_rgb = spa.shape[1]
        durations = np.array(durations, dtype=np.float64)
    else:  # object_array
        if not os.path.isfile(features):
            raise FileNotFoundError(f"features: no such file: {features}")
        arrays = read_numpy_file(features, "features", allow_pickle=True)
        names = _find_video_names(features, search_dirs)
        if len(names) != len(arrays):
            raise ValueError(f"features: {features} holds {len(arrays)} videos but "
                             f"videoname.npy lists {len(names)}")
        where = {name: i for i, name in enumerate(names)}
        for vid in video_ids:
            if vid not in where:
                raise FileNotFoundError(f"features: video '{vid}' is not in {features}")
            X.append(_checked(arrays[where[vid]], vid, f"{features}[{where[vid]}]"))
    widths = {x.shape[1] for x in X}
    if len(widths) > 1:
        first = X[0].shape[1]
        i = next(i for i, x in enumerate(X) if x.shape[1] != first)
        raise ValueError(f"features: video '{video_ids[i]}' has {X[i].shape[1]} features but "
                         f"video '{video_ids[0]}' has {first}")
    if layout == "object_array" and X:
        n_rgb = X[0].shape[1] // 2
    return Bunch(X=X, n_rgb_features=n_rgb, layout=layout, durations=durations)
