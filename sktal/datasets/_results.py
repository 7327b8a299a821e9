"""Detections (timesteps) <-> ActivityNet result JSON (seconds)."""
import json
import os

import numpy as np

__all__ = ["detections_to_results", "write_results_json", "load_results_json"]


def _per_video_factor(seconds_per_step, n):
    sps = np.asarray(seconds_per_step, dtype=np.float64)
    if sps.ndim == 0:
        sps = np.full(n, float(sps))
    if sps.shape != (n,):
        raise ValueError(f"length mismatch: seconds_per_step has {sps.size} values but there "
                         f"are {n} videos")
    if not (np.isfinite(sps) & (sps > 0)).all():
        raise ValueError("seconds_per_step must be positive and finite")
    return sps


def detections_to_results(detections, video_ids, class_names, seconds_per_step, *,
                          version="VERSION 1.3"):
    """ActivityNet result dictionary, in seconds, from detections in timesteps.

    Parameters
    ----------
    detections : sequence of array-like of shape (k_i, 4)
        ``[start, end, class, score]`` per video in timesteps, as returned by
        ``predict``.
    video_ids : sequence of str
        Video ids, in the order of ``detections``.
    class_names : sequence of str
        Class names, indexed by the class column.
    seconds_per_step : float or array-like of shape (n_videos,)
        Seconds per timestep of each video (``load_dataset(...).seconds_per_step``).
    version : str, default="VERSION 1.3"
        Value of the ``"version"`` field.

    Returns
    -------
    results : dict
        ``{"version": ..., "results": {video_id: [{"label", "score", "segment":
        [start_s, end_s]}, ...]}, "external_data": {}}``, ready for ``json.dump``.  Every
        video appears, possibly with an empty list.

    Examples
    --------
    >>> import numpy as np
    >>> from sktal.datasets import detections_to_results
    >>> det = [np.array([[2.0, 5.0, 1, 0.9]])]
    >>> detections_to_results(det, ["v1"], ["Jump", "Run"], 0.5)["results"]
    {'v1': [{'label': 'Run', 'score': 0.9, 'segment': [1.0, 2.5]}]}
    """
    video_ids = [str(v) for v in video_ids]
    detections = list(detections)
    if len(detections) != len(video_ids):
        raise ValueError(f"length mismatch: detections has {len(detections)} videos but "
                         f"video_ids has {len(video_ids)}")
    sps = _per_video_factor(seconds_per_step, len(video_ids))
    results = {}
    for i, (vid, det) in enumerate(zip(video_ids, detections)):
        det = np.asarray(det, dtype=np.float64)
        if det.size == 0:
            results[vid] = []
            continue
        if det.ndim != 2 or det.shape[1] != 4:
            raise ValueError(f"detections[{i}]: expected shape (k, 4) [start, end, class, "
                             f"score], got {det.shape}")
        finite = np.isfinite(det)
        if not finite.all():
            row, col = np.argwhere(~finite)[0]
            field = ("start", "end", "class", "score")[col]
            raise ValueError(f"detections[{i}] (video {vid!r}) row {row}: {field} is "
                             f"{float(det[row, col])!r}; ActivityNet results must be finite "
                             "numbers (NaN would be written as invalid JSON)")
        cls = det[:, 2]
        bad = np.flatnonzero((cls != np.round(cls)) | (cls < 0) | (cls >= len(class_names)))
        if bad.size:
            raise ValueError(f"detections[{i}]: class {cls[bad[0]]:g} is not an index into "
                             f"{len(class_names)} class_names")
        results[vid] = [
            {"label": str(class_names[int(c)]), "score": float(score),
             "segment": [float(start * sps[i]), float(end * sps[i])]}
            for start, end, c, score in det
        ]
    return {"version": version, "results": results, "external_data": {}}


def write_results_json(path, detections, video_ids, class_names, seconds_per_step, *,
                       version="VERSION 1.3"):
    """Write detections as an ActivityNet result JSON file, in seconds.

    Parameters
    ----------
    path : str or path-like
        Output file (overwritten).
    detections : sequence of array-like of shape (k_i, 4)
        ``[start, end, class, score]`` per video, in timesteps.
    video_ids : sequence of str
        Video ids, in the order of ``detections``.
    class_names : sequence of str
        Class names, indexed by the class column.
    seconds_per_step : float or array-like of shape (n_videos,)
        Seconds per timestep of each video.
    version : str, default="VERSION 1.3"
        Value of the ``"version"`` field.

    Returns
    -------
    results : dict
        What was written.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sktal.datasets import write_results_json
    >>> path = os.path.join(tempfile.mkdtemp(), "results.json")
    >>> out = write_results_json(path, [np.array([[2.0, 5.0, 0, 0.9]])], ["v1"], ["Jump"], 0.5)
    >>> out["results"]["v1"][0]["segment"]
    [1.0, 2.5]
    """
    results = detections_to_results(detections, video_ids, class_names, seconds_per_step,
                                    version=version)
    with open(os.fspath(path), "w", encoding="utf-8") as fh:
        json.dump(results, fh, allow_nan=False)
    return results


def load_results_json(path, video_ids, class_names, seconds_per_step):
    """Read an ActivityNet result JSON back into detections in timesteps.

    Parameters
    ----------
    path : str or path-like or dict
        Result file, or the dictionary of :func:`detections_to_results`.
    video_ids : sequence of str
        Videos to return, in this order (videos missing from the file get no detections).
    class_names : sequence of str
        Class order for the class column.
    seconds_per_step : float or array-like of shape (n_videos,)
        Seconds per timestep of each video.

    Returns
    -------
    detections : list of ndarray of shape (k_i, 4)
        ``[start, end, class, score]`` in timesteps, by descending score (stable).

    Examples
    --------
    >>> import numpy as np
    >>> from sktal.datasets import detections_to_results, load_results_json
    >>> res = detections_to_results([np.array([[2.0, 5.0, 0, 0.9]])], ["v1"], ["Jump"], 0.5)
    >>> load_results_json(res, ["v1"], ["Jump"], 0.5)[0]
    array([[2. , 5. , 0. , 0.9]])
    """
    if isinstance(path, dict):
        data = path
    else:
        with open(os.fspath(path), encoding="utf-8") as fh:
            data = json.load(fh)
    if not isinstance(data, dict) or "results" not in data:
        raise ValueError(f"{path}: not an ActivityNet result file (no 'results')")
    index = {name: c for c, name in enumerate(class_names)}
    sps = _per_video_factor(seconds_per_step, len(video_ids))
    out = []
    for i, vid in enumerate(video_ids):
        rows = []
        for j, det in enumerate(data["results"].get(vid, [])):
            if det["label"] not in index:
                raise ValueError(f"results['{vid}'][{j}]: unknown label {det['label']!r}")
            start, end = det["segment"]
            rows.append((start / sps[i], end / sps[i], index[det["label"]], det["score"]))
        arr = np.array(rows, dtype=np.float64).reshape(-1, 4)
        out.append(arr[np.argsort(-arr[:, 3], kind="stable")])
    return out
