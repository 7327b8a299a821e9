"""Sphinx configuration of the sktal documentation.

Build (warnings are errors)::

    python -m sphinx -W -b html docs docs/_build/html

The figures in ``_static/`` come from ``python docs/_make_figures.py``; the build does
not run it. No extension needs the internet.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.abspath(os.path.join(HERE, os.pardir)))

from sktal import __version__  # noqa: E402

project = "sktal"
author = "the sktal developers"
copyright = "the sktal developers"
version = release = __version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
]

root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
templates_path = []
html_static_path = ["_static"]
html_theme = "alabaster"
html_title = f"sktal {version}"
html_theme_options = {
    "description": "Weakly- and click-supervised temporal action localization",
    "fixed_sidebar": True,
}

# autosummary builds summary tables only; the objects are documented by autodoc on the
# same page, so no stub files are generated into the source tree
autosummary_generate = False
# scikit-learn's metadata-routing methods carry docstrings that link into
# scikit-learn's own documentation; the user guide explains them instead
autodoc_default_options = {
    "member-order": "bysource",
    "exclude-members": "get_metadata_routing, set_fit_request, set_score_request, "
    "set_predict_request, set_partial_fit_request",
}
autodoc_typehints = "none"

# numpydoc renders the sections; autodoc's :members: lists the methods
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# estimators import torch lazily: keep the build light on shared CPUs
os.environ.setdefault("OMP_NUM_THREADS", "1")


# ---------------------------------------------------------------- paper tables
# ``.. sktal-paper-tables:: sktal.BackTAL`` renders the class's ``_paper_tables``
# (sktal._docs.paper_tables_rst); nothing when the class has none.
def _paper_tables_directive():
    import importlib

    from docutils import nodes
    from docutils.statemachine import StringList
    from sphinx.util.docutils import SphinxDirective

    from sktal._docs import paper_tables_rst

    class PaperTables(SphinxDirective):
        required_arguments = 1

        def run(self):
            module, _, name = self.arguments[0].rpartition(".")
            cls = getattr(importlib.import_module(module), name)
            text = paper_tables_rst(cls)
            container = nodes.container(classes=["sktal-paper-tables"])
            self.state.nested_parse(StringList(text.splitlines(), source=self.arguments[0]),
                                    self.content_offset, container)
            return [container] if text else []

    return PaperTables


def setup(app):
    app.add_directive("sktal-paper-tables", _paper_tables_directive())
    return {"parallel_read_safe": True}
