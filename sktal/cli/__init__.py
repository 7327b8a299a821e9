"""The ``sktal`` command line: ``demo``, ``train``, ``predict`` and ``evaluate``.

Run ``python -m sktal --help`` (or ``sktal --help`` once installed). Every command
returns an exit status: 0 on success, 2 for a usage error or bad input (a missing
file, a malformed annotation, an unknown parameter), 1 for an unexpected failure,
130 when interrupted. Errors are one line, ``sktal: error: ...``; ``--debug`` shows
the traceback instead.

One module per command, each with ``add_parser(commands)`` and ``run(args)``. Torch
is imported only by the commands that train or predict, so ``--help`` and
``evaluate`` start quickly.
"""
from ._common import CLIError
from ._main import build_parser, main

__all__ = ["CLIError", "build_parser", "main"]
