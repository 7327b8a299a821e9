"""GridSearchCV over a dask.distributed cluster through joblib's dask backend.

One local cluster (two single-threaded worker processes on the loopback interface,
no dashboard) serves every test of the module; it is shut down at the end and the
worker processes must be gone.
"""
import os

import numpy as np
import pytest

pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

import joblib  # noqa: E402
import sklearn  # noqa: E402
from sklearn.model_selection import GridSearchCV, KFold  # noqa: E402

from sktal import BaSNet  # noqa: E402
from sktal.datasets import make_temporal_actions  # noqa: E402
from sktal.metrics import TemporalMAPScorer  # noqa: E402

GRID = {"alpha_norm": [1e-4, 1e-3]}


def _estimator():
    return BaSNet(hidden_size=8, n_segments=16, max_epochs=1, batch_size=4,
                  device="cpu", random_state=0)


def _search(estimator, scoring, n_jobs):
    return GridSearchCV(estimator, GRID, scoring=scoring, n_jobs=n_jobs, refit=False,
                        cv=KFold(2, shuffle=True, random_state=0), error_score="raise")


@pytest.fixture(scope="module")
def data():
    return make_temporal_actions(n_videos=6, n_classes=2, n_features=16, random_state=0)


def _close_workers(cluster, timeout=60):
    """Close every nanny with a generous timeout.

    Interpreter exit of a process that ran torch can take seconds on a busy
    machine; the default (5 s) then logs "still alive ... killing" and kills it.
    """
    for nanny in list(cluster.workers.values()):
        cluster.sync(nanny.close, timeout=timeout)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,  # no dashboard ...
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},  # ... nor a fixed port
        silence_logs=40,
    )
    client = distributed.Client(cluster)
    pids = list(client.run(os.getpid).values())
    try:
        yield client
    finally:
        client.close()
        _close_workers(cluster)
        cluster.close()
    for pid in pids:  # the workers were joined: nothing is left running
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_cluster_listens_on_loopback_only(client):
    info = client.scheduler_info()
    addresses = [client.scheduler.address, *info["workers"]]
    assert len(info["workers"]) == 2
    assert all(a.startswith("tcp://127.0.0.1:") for a in addresses)


def test_grid_search_on_dask_matches_sequential_search(client, data):
    with distributed.get_task_stream(client) as tasks, joblib.parallel_config(backend="dask"):
        search = _search(_estimator(), TemporalMAPScorer(), n_jobs=-1)
        search.fit(data.X, data.segments)
    # the fits ran as dask tasks (joblib may batch several fits into one task)
    assert tasks.data
    workers = {task["worker"] for task in tasks.data}
    assert workers <= set(client.scheduler_info()["workers"])

    sequential = _search(_estimator(), TemporalMAPScorer(), n_jobs=1)
    sequential.fit(data.X, data.segments)
    np.testing.assert_allclose(search.cv_results_["mean_test_score"],
                               sequential.cv_results_["mean_test_score"])
    assert np.all(search.cv_results_["mean_test_score"] >= 0)


def test_metadata_routing_path_runs_on_dask(client, data):
    with sklearn.config_context(enable_metadata_routing=True):
        estimator = _estimator().set_fit_request(clicks=True)
        scorer = TemporalMAPScorer().set_score_request(segments=True)
        clicks = [np.zeros((0, 2)) for _ in data.X]
        with joblib.parallel_config(backend="dask"):
            search = _search(estimator, scorer, n_jobs=-1)
            search.fit(data.X, data.y, clicks=clicks, segments=data.segments)
    scores = search.cv_results_["mean_test_score"]
    assert scores.shape == (2,) and np.all(np.isfinite(scores))
