"""The ``sktal`` parser and :func:`main`."""
import argparse
import sys

from .._version import __version__
from . import _demo, _evaluate, _predict, _train
from ._common import CLIError, Parser

_DESCRIPTION = """\
Weakly- and click-supervised temporal action localization.

Start with 'sktal demo' (synthetic data, about a minute on a CPU); on real
features: 'sktal train', 'sktal predict', 'sktal evaluate'. Run
'sktal COMMAND --help' for the options of a command."""

_EPILOG = """\
exit status: 0 success, 2 usage error or bad input, 1 unexpected error,
130 interrupted. Errors are one line; --debug prints the traceback."""


def build_parser():
    """The ``argparse`` parser of the ``sktal`` command."""
    parser = Parser(prog="sktal", description=_DESCRIPTION, epilog=_EPILOG,
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"sktal {__version__}")
    parser.add_argument("--debug", action="store_true", default=False,
                        help="show the full traceback on errors")
    commands = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND",
                                     parser_class=Parser)
    for command in (_demo, _train, _predict, _evaluate):
        command.add_parser(commands)
    return parser


def _error_message(exc):
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"{exc.strerror}: {exc.filename}"
    return str(exc) or type(exc).__name__


def main(argv=None):
    """Run the ``sktal`` command line; return its exit status.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments without the program name; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        0 on success, 2 for usage errors and bad input, 1 for unexpected errors,
        130 when interrupted.
    """
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in argv
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_usage(sys.stderr)
            raise CLIError("choose a command: demo, train, predict or evaluate "
                           "(see 'sktal --help')")
        if not getattr(args, "threads", None):
            return int(args.func(args) or 0)
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(args.threads)
        try:
            return int(args.func(args) or 0)
        finally:  # main() may run inside another program (tests, notebooks)
            torch.set_num_threads(threads)
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        print("sktal: interrupted", file=sys.stderr)
        return 130
    except (CLIError, OSError, ValueError, TypeError) as exc:
        if debug:
            raise
        print(f"sktal: error: {_error_message(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:
        if debug:
            raise
        print(f"sktal: error: unexpected {type(exc).__name__}: {_error_message(exc)} "
              "(run again with --debug for the traceback)", file=sys.stderr)
        return 1
