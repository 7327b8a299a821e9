"""The localizer registry: one table that the package, the CLI, persistence and the
common tests derive from; a localizer registered at run time is picked up by all."""
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import sktal
import sktal.localizers
from sktal import _registry
from sktal._docs import signature_defaults
from sktal.base import BaseLocalizer
from sktal.utils.discovery import (
    all_localizers,
    click_kind,
    localizer_names,
    register_localizer,
    registered,
    unregister_localizer,
)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _toy_localizer import ToyLocalizer  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))
FAST = dict(n_segments=16, hidden_size=8, max_epochs=1, batch_size=4)


def test_the_table_is_what_the_package_exports():
    names = list(_registry.LOCALIZERS)
    assert names == ["BaSNet", "TEN", "BackTAL", "FSPTAL", "SegmentDetector"]
    assert sktal.localizers.__all__ == names
    assert set(names) <= set(sktal.__all__)
    for name in names:
        cls = getattr(sktal, name)
        assert cls is getattr(sktal.localizers, name) is _registry.get_localizer(name)
        assert cls.__module__ == _registry.LOCALIZERS[name]
        assert issubclass(cls, BaseLocalizer)


def test_all_localizers_is_sorted_and_filters_by_supervision():
    pairs = all_localizers()
    assert [n for n, _ in pairs] == sorted(_registry.LOCALIZERS)
    assert all(cls.__name__ == name for name, cls in pairs)
    assert [n for n, _ in all_localizers(supervision=None)] == ["BaSNet", "TEN"]
    assert [n for n, _ in all_localizers(supervision="background")] == ["BackTAL"]
    assert [n for n, _ in all_localizers(supervision=("action", "segments"))] == [
        "FSPTAL", "SegmentDetector"]
    with pytest.raises(ValueError, match="supervision must be"):
        all_localizers(supervision="clicks")


def test_click_kind_follows_supervision():
    assert [click_kind(sktal.BaSNet), click_kind(sktal.BackTAL()),
            click_kind(sktal.FSPTAL), click_kind(sktal.TEN)] == [
        None, "background", "action", None]


def test_unknown_names_are_reported_with_the_known_ones():
    with pytest.raises(KeyError, match="no localizer called 'Nope'; known: BaSNet"):
        _registry.get_localizer("Nope")


def test_the_toy_has_the_parameters_every_localizer_has():
    """The toy stays a faithful skeleton when a common parameter is added."""
    shared = set.intersection(*(set(signature_defaults(cls)) for _, cls in all_localizers()))
    assert not shared - set(signature_defaults(ToyLocalizer))


def test_registering_adds_a_localizer_for_the_block_only():
    assert "ToyLocalizer" not in localizer_names()
    with registered(ToyLocalizer) as cls:
        assert cls is ToyLocalizer
        assert localizer_names()[-1] == "ToyLocalizer"
        assert dict(all_localizers())["ToyLocalizer"] is ToyLocalizer
        assert dict(all_localizers(supervision=None))["ToyLocalizer"] is ToyLocalizer
        assert _registry.get_localizer("ToyLocalizer") is ToyLocalizer
        class BaSNet(ToyLocalizer):  # a name the table holds
            pass

        with pytest.raises(ValueError, match="'BaSNet' exists already"):
            register_localizer(BaSNet)
    assert "ToyLocalizer" not in localizer_names()
    with pytest.raises(ValueError, match="was not registered"):
        unregister_localizer(ToyLocalizer)


def test_only_localizers_with_a_known_supervision_can_be_registered():
    with pytest.raises(TypeError, match="not a BaseLocalizer subclass"):
        register_localizer(dict)

    class Odd(ToyLocalizer):
        supervision = "clicks"

    with pytest.raises(ValueError, match="supervision must be one of"):
        register_localizer(Odd)


def test_a_registered_localizer_can_be_saved_and_loaded(tmp_path):
    from sktal.datasets import make_temporal_actions

    data = make_temporal_actions(n_videos=6, n_classes=3, n_features=12, random_state=0)
    est = ToyLocalizer(**FAST, random_state=0).fit(data.X, data.y)
    with pytest.raises(TypeError, match="not a registered sktal localizer"):
        sktal.save(est, tmp_path / "toy.pt")
    with registered(ToyLocalizer):
        sktal.save(est, tmp_path / "toy.pt")
        restored = sktal.load(tmp_path / "toy.pt", device="cpu")
    assert type(restored) is ToyLocalizer
    np.testing.assert_array_equal(restored.predict_proba(data.X), est.predict_proba(data.X))
    with pytest.raises(ValueError, match="unknown estimator class 'ToyLocalizer'"):
        sktal.load(tmp_path / "toy.pt")


def test_a_registered_localizer_is_offered_by_the_command_line():
    from sktal.cli._common import estimator_class, method_names

    assert "toylocalizer" not in method_names()
    with registered(ToyLocalizer):
        assert method_names()[-1] == "toylocalizer"
        assert estimator_class("toylocalizer") is ToyLocalizer


def test_a_registered_toy_localizer_gets_the_common_checks():
    """The done-when of the registry: nothing but registering puts a sixth localizer
    through every test of tests/test_common.py."""
    code = (
        "import sys; sys.path.insert(0, 'tests')\n"
        "import pytest\n"
        "from _toy_localizer import ToyLocalizer\n"
        "from sktal.utils.discovery import register_localizer\n"
        "register_localizer(ToyLocalizer)\n"
        "sys.exit(pytest.main(['tests/test_common.py', '-q', '-p', 'no:cacheprovider',\n"
        "                      '-k', 'ToyLocalizer']))\n"
    )
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    passed = int(re.search(r"(\d+) passed", proc.stdout).group(1))
    from sktal.utils.estimator_checks import localizer_checks

    # every ragged-input check, the repr check and scikit-learn's API checks
    assert passed >= len(localizer_checks()) + 1 + 5, proc.stdout[-2000:]
