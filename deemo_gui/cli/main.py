"""Entry point of the `deemo` command: builds the parser from each subcommand module and turns
user errors into one line on stderr and a non-zero exit (never a traceback)."""

from __future__ import annotations

import argparse
import importlib
import io
import logging
import sys
import warnings

from deemo_gui.core.errors import DeemoError

# Each module has `register(subparsers)`; a subcommand sets `func(args) -> int`.
SUBCOMMAND_MODULES = (
    "deemo_gui.cli.train",
    "deemo_gui.cli.synth",
    "deemo_gui.cli.explain",
    "deemo_gui.cli.motifs",
    "deemo_gui.cli.zoo",
    "deemo_gui.cli.genome",
    "deemo_gui.cli.workflow",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, like every other user error
        self.exit(2, f"deemo: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="deemo", description="Train and interpret DNA sequence models.")
    from deemo_gui import __version__

    parser.add_argument("--version", action="version", version=f"deemo {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(sub)
    return parser


class _OneLine(logging.Handler):
    """The package's log warnings as `deemo: warning: …` lines on the stderr of the moment."""

    def emit(self, record: logging.LogRecord) -> None:
        print(f"deemo: warning: {record.getMessage()}", file=sys.stderr)


def _one_line_warnings() -> None:
    """Warnings are one line each, like errors; a torch note about even kernels is library noise."""
    warnings.filterwarnings("ignore", message=r"Using padding='same' with even kernel lengths")
    warnings.showwarning = lambda message, *args, **kwargs: print(f"deemo: warning: {message}", file=sys.stderr)
    logger = logging.getLogger("deemo_gui")
    if not any(isinstance(h, _OneLine) for h in logger.handlers):
        logger.addHandler(_OneLine(level=logging.WARNING))  # found, so Python's last-resort printer stays silent


def _line_buffered() -> None:
    """`deemo train > log`: progress reaches the file line by line, not in 8 KiB blocks at the end."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if isinstance(stream, io.TextIOWrapper) and not stream.isatty():  # not a replaced stream (tests)
                stream.reconfigure(line_buffering=True)
        except (AttributeError, ValueError, OSError):  # a closed or missing stream (pythonw)
            pass


def main(argv: list[str] | None = None) -> int:
    _one_line_warnings()
    _line_buffered()
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    args.argv = argv
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except DeemoError as exc:
        print(f"deemo: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("deemo: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `deemo ... | head`: the reader left; not an error worth a traceback
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
