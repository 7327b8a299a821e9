"""``python -m sktal``: the command line (``python -m sktal --help``).

The commands live in :mod:`sktal.cli`; ``main`` is also the ``sktal`` console script.
"""
import sys

from .cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
