"""Docstrings say what the code does: every public class documents exactly the
parameters of its signature with the signature's defaults, the common entries come
from one table, and the package's doctests run."""
import doctest
import importlib
import inspect
import os
import re

import pytest

pytest.importorskip("numpydoc")
from numpydoc.docscrape import NumpyDocString  # noqa: E402

import sktal  # noqa: E402
from sktal._docs import (  # noqa: E402
    COMMON_PARAMETERS,
    common_parameters_doc,
    fill_doc,
    signature_defaults,
)
from sktal.utils.discovery import all_localizers  # noqa: E402

PUBLIC_MODULES = ["sktal.metrics", "sktal.datasets", "sktal.postprocessing",
                  "sktal.inspection", "sktal.plotting", "sktal.utils",
                  "sktal.preprocessing", "sktal.model_selection"]


def _public_classes():
    classes = dict(all_localizers())
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if inspect.isclass(obj) and obj.__module__.startswith("sktal"):
                classes[f"{module_name}.{name}"] = obj
    return classes


PUBLIC_CLASSES = _public_classes()


def _documented(cls):
    """``{name: type text}`` of the Parameters section, ``'a, b : int'`` split."""
    out = {}
    for param in NumpyDocString(inspect.getdoc(cls) or "")["Parameters"]:
        for name in param.name.split(","):
            out[name.strip()] = param.type
    return out


def _documented_default(type_text):
    match = re.search(r"default\s*[=:]\s*(.+)$", type_text)
    return None if match is None else match.group(1).strip()


@pytest.mark.parametrize("name", sorted(PUBLIC_CLASSES))
def test_documented_parameters_match_the_signature(name):
    cls = PUBLIC_CLASSES[name]
    signature = signature_defaults(cls)
    documented = _documented(cls)
    undocumented = [p for p in signature if p not in documented]
    assert not undocumented, (
        f"{name}: parameters {undocumented} are not documented; document them in the "
        "class docstring, or add common ones to sktal._docs.COMMON_PARAMETERS")
    extra = [p for p in documented if p not in signature]
    assert not extra, f"{name}: documents {extra}, which are not in its signature"
    assert list(documented) == list(signature), f"{name}: documented order differs"


@pytest.mark.parametrize("name", sorted(PUBLIC_CLASSES))
def test_documented_defaults_match_the_signature(name):
    cls = PUBLIC_CLASSES[name]
    wrong = []
    for param, type_text in _documented(cls).items():
        default = signature_defaults(cls).get(param, inspect.Parameter.empty)
        written = _documented_default(type_text)
        if default is inspect.Parameter.empty:
            if written is not None:
                wrong.append(f"{param}: documents default={written}, has none")
            continue
        if written is None:
            wrong.append(f"{param}: default {default!r} is not documented")
        elif written != repr(default) and not _same_value(written, default):
            wrong.append(f"{param}: documents default={written}, signature {default!r}")
    assert not wrong, f"{name}: " + "; ".join(wrong)


def _same_value(written, default):
    try:
        return bool(eval(written, {}) == default)  # e.g. 1e-4 for 0.0001
    except Exception:
        return False


def test_fill_doc_writes_signature_defaults_only_for_present_parameters():
    class Two:
        """Two parameters.

        Parameters
        ----------
        lr : float, default=0.5
            Its own text.
        %(common_parameters)s
        """

        def __init__(self, lr=0.5, batch_size=3, other=None):
            self.lr, self.batch_size, self.other = lr, batch_size, other

    doc = fill_doc(Two).__doc__
    assert "batch_size : int, default=3\n" in doc
    assert doc.count("lr :") == 1 and "Its own text." in doc  # the class's entry wins
    assert "n_segments" not in doc and "other" not in doc
    assert common_parameters_doc(Two).startswith("    lr : float, default=0.5\n")


@pytest.mark.parametrize("name", [n for n, _ in all_localizers()])
def test_localizers_take_their_common_entries_from_the_table(name):
    cls = dict(all_localizers())[name]
    documented = _documented(cls)
    for param, default in signature_defaults(cls).items():
        if param in COMMON_PARAMETERS:
            assert documented[param].startswith(COMMON_PARAMETERS[param][0]), param


def _sktal_modules():
    """Every module of the package, found from its files (nothing imported)."""
    root = os.path.dirname(sktal.__file__)
    names = []
    for folder, _, files in os.walk(root):
        package = os.path.relpath(folder, os.path.dirname(root)).replace(os.sep, ".")
        for file in files:
            if file.endswith(".py"):
                name = package if file == "__init__.py" else f"{package}.{file[:-3]}"
                names.append(name)
    # the deprecated alias only warns; the commands are tested by test_cli
    return sorted(n for n in names if not n.startswith(
        ("sktal.localization", "sktal.cli._", "sktal.__main__")))


#: stale doctests in files this test's author does not own; strict, so that the entry
#: must go when the example is fixed
STALE_DOCTESTS = {}


@pytest.mark.parametrize("module_name", [
    pytest.param(name, marks=pytest.mark.xfail(reason=STALE_DOCTESTS[name], strict=True))
    if name in STALE_DOCTESTS else name
    for name in _sktal_modules()])
def test_doctests(module_name):
    module = importlib.import_module(module_name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = finder.find(module, module_name)
    for test in tests:
        runner.run(test, out=lambda text: None)
    results = runner.summarize(verbose=False)
    if not tests or results.attempted == 0:
        pytest.skip(f"{module_name} has no doctest")
    assert results.failed == 0, _failures(module, finder)


def _failures(module, finder):
    """The report of the failed examples (rerun, collecting doctest's output)."""
    report = []
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, module.__name__):
        runner.run(test, out=report.append)
    return "".join(report)[-6000:]
