"""Shared fixtures and the slow/gpu markers."""
import os

import numpy as np
import pytest
import torch

SHARED_DATA = os.path.abspath(
    os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "shared", "data")
)

# Tiny models: one thread is fastest. With two, a fit that takes 3.5 s took 90 s
# here whenever another process held one of the two cores (OpenMP spin-waiting).
torch.set_num_threads(1)


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", help="run tests marked slow")


def pytest_collection_modifyitems(config, items):
    run_slow = config.getoption("--run-slow")
    has_cuda = torch.cuda.is_available()
    for item in items:
        if "slow" in item.keywords and not run_slow:
            item.add_marker(pytest.mark.skip(reason="slow: pass --run-slow"))
        if "gpu" in item.keywords and not has_cuda:
            item.add_marker(pytest.mark.skip(reason="no CUDA device"))


@pytest.fixture
def shared_data():
    """Path to ``../shared/data``; skips when the reference data is absent."""
    if not os.path.isdir(SHARED_DATA):
        pytest.skip("../shared/data not found beside the checkout")
    return SHARED_DATA


@pytest.fixture
def rng():
    return np.random.default_rng(0)
