"""The documentation builds with warnings as errors."""
import os
import subprocess
import sys

import pytest

pytest.importorskip("sphinx")

DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "docs")


def test_docs_build_without_warnings(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    command = [
        sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q",
        "-b", "html", "-d", str(tmp_path / "doctrees"),
        os.path.abspath(DOCS), str(tmp_path / "html"),
    ]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    for page in ("index", "data_model", "methods/basnet", "api/estimators", "api/metrics",
                 "writing_a_localizer"):
        assert (tmp_path / "html" / f"{page}.html").exists()
    # the skeleton is included from the file the registry test registers
    skeleton = (tmp_path / "html" / "writing_a_localizer.html").read_text(encoding="utf-8")
    assert "ToyLocalizer" in skeleton and "_build_criterion" in skeleton
    # a class's paper tables are rendered on its page
    import sktal

    for name in ("BaSNet", "BackTAL", "TEN", "FSPTAL"):
        html = (tmp_path / "html" / "methods" / f"{name.lower()}.html").read_text(
            encoding="utf-8")
        for table, spec in (getattr(getattr(sktal, name), "_paper_tables", None) or {}).items():
            assert f"Paper {table}" in html and spec["rows"][0][0].split()[0] in html


def test_method_pages_render_the_classes_paper_tables(tmp_path):
    """Each method page holds the directive that renders its class's _paper_tables,
    and the directive's text is the class's data (nothing when it has none)."""
    from sktal._docs import paper_tables_rst
    from sktal.utils.discovery import all_localizers

    for name, cls in all_localizers():
        page = os.path.join(DOCS, "methods", f"{name.lower()}.rst")
        with open(page, encoding="utf-8") as fh:
            assert f".. sktal-paper-tables:: sktal.{name}" in fh.read(), page
        text = paper_tables_rst(cls)
        for table, spec in (getattr(cls, "_paper_tables", None) or {}).items():
            assert f"Paper {table}" in text
            for label, _, _ in spec["rows"]:
                assert f"   * - {label}" in text
        if not getattr(cls, "_paper_tables", None):
            assert text == ""


def test_paper_tables_reject_unknown_parameters():
    from sktal._docs import paper_table_rows

    class Method:
        def __init__(self, alpha=1.0):
            self.alpha = alpha

        _paper_tables = {"Table 1": {"caption": "c", "metric": "m",
                                     "rows": [("row", {"beta": 0}, 1.0)]}}

    with pytest.raises(ValueError, match="Method has no parameter beta"):
        paper_table_rows(Method, "Table 1")
    with pytest.raises(KeyError, match="no paper table 'Table 2'"):
        paper_table_rows(Method, "Table 2")
