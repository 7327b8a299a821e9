"""The API promises every localizer keeps: scikit-learn's data-free checks and
sktal's ragged-input checks (sktal.utils.estimator_checks).

The localizers come from the registry, so a new one (or one registered by a test or a
plug-in before collection) cannot escape these checks.
"""
import pytest
from sklearn.utils import estimator_checks as sk_checks

from sktal.utils.discovery import all_localizers
from sktal.utils.estimator_checks import localizer_checks

FAST = dict(n_segments=16, hidden_size=8, max_epochs=1, batch_size=4)

LOCALIZERS = dict(all_localizers())
ESTIMATOR_NAMES = list(LOCALIZERS)


def _fast(name):
    return LOCALIZERS[name](**FAST)


SKLEARN_CHECKS = [
    "check_estimator_cloneable",
    "check_estimator_repr",
    "check_no_attributes_set_in_init",
    "check_parameters_default_constructible",
    "check_get_params_invariance",
    "check_set_params",
    "check_estimators_overwrite_params",
]


def _sklearn_check(name):
    check = getattr(sk_checks, name, None)
    if check is None:
        pytest.skip(f"scikit-learn has no {name}")
    return check


@pytest.mark.parametrize("check_name", SKLEARN_CHECKS)
@pytest.mark.parametrize("estimator_name", ESTIMATOR_NAMES)
def test_sklearn_api_checks(estimator_name, check_name):
    if check_name == "check_estimators_overwrite_params":
        pytest.skip("data-driven: feeds a 2-D array (covered by the ragged checks)")
    _sklearn_check(check_name)(estimator_name, _fast(estimator_name))


@pytest.mark.parametrize("check", localizer_checks(), ids=lambda c: c.__name__)
@pytest.mark.parametrize("estimator_name", ESTIMATOR_NAMES)
def test_localizer_checks(estimator_name, check):
    check(_fast(estimator_name))


@pytest.mark.parametrize("estimator_name", ESTIMATOR_NAMES)
def test_repr_shows_only_changed_parameters(estimator_name):
    text = repr(LOCALIZERS[estimator_name](max_epochs=3))
    assert text == f"{estimator_name}(max_epochs=3)"


def test_importing_sktal_and_its_metrics_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, sktal, sktal.metrics, sktal.postprocessing, sktal.datasets, sktal.utils.discovery; sktal.utils.discovery.localizer_names(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
