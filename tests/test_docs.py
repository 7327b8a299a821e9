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
    for page in ("index", "data_model", "methods/basnet", "api/estimators", "api/metrics"):
        assert (tmp_path / "html" / f"{page}.html").exists()
