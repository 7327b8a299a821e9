"""Hyper-parameter search for a localizer over a dask.distributed cluster.

scikit-learn runs the fits of ``GridSearchCV`` through joblib; joblib's ``"dask"``
backend sends them to the workers of a dask cluster instead of local processes. The
search code does not change: only the ``with`` block around ``fit`` does.

Run it as a script (it starts a local two-worker cluster)::

    python examples/distributed_search.py

or against a running cluster, whose scheduler address you pass::

    python examples/distributed_search.py tcp://scheduler-host:8786

Every worker must be able to import sktal and torch (same environment on every
machine), and sees the training data through the task payloads: for large feature
sets, load the data on the workers or scatter it once instead of shipping it with every
fit. The ``if __name__ == "__main__":`` guard matters: worker processes may import this
module, and must not start a cluster of their own.
"""
import sys

import joblib
import numpy as np
from sklearn.model_selection import GridSearchCV, KFold


def make_search(n_jobs=-1):
    """A small grid over BaS-Net's loss weights, scored by detection mAP."""
    from sktal import BaSNet
    from sktal.metrics import TemporalMAPScorer

    estimator = BaSNet(n_segments=64, hidden_size=32, max_epochs=5, batch_size=4,
                       device="cpu", random_state=0)
    grid = {"alpha_norm": [1e-4, 1e-3], "lambda_base": [0.5, 1.0]}
    return GridSearchCV(
        estimator,
        grid,
        scoring=TemporalMAPScorer(),
        cv=KFold(3, shuffle=True, random_state=0),
        n_jobs=n_jobs,
        error_score="raise",
    )


def run(client):
    """Fit the search on synthetic data with the cluster behind ``client``."""
    from sktal.datasets import make_temporal_actions

    data = make_temporal_actions(n_videos=24, n_classes=3, random_state=0)
    search = make_search()
    # every fit of the grid becomes a dask task; results come back to this process
    with joblib.parallel_config(backend="dask"):
        search.fit(data.X, data.segments)   # annotated y: only video labels train
    print("best parameters:", search.best_params_)
    print("best mean mAP@0.1:0.7: {:.3f}".format(search.best_score_))
    print("workers used:", sorted(client.scheduler_info()["workers"]))
    return search


def main(argv):
    from dask.distributed import Client, LocalCluster

    if len(argv) > 1:
        # an existing cluster, e.g. started with `dask scheduler` / `dask worker`
        with Client(argv[1]) as client:
            return run(client)
    # a local cluster: two single-threaded worker processes on this machine, listening
    # on the loopback interface only, without the dashboard
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
    ) as cluster, Client(cluster) as client:
        return run(client)


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    main(sys.argv)
