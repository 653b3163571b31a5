"""argparse types and arguments shared by the subcommands: a bad value is one `deemo: error:` line, exit 2."""

from __future__ import annotations

import argparse


def seed(text: str) -> int:
    """A random seed: a whole number from 0 to 2**32 - 1 (numpy's range)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"{value} is out of range: a seed is from 0 to {2**32 - 1}")
    return value


def positive_int(text: str) -> int:
    """A whole number of at least 1 (a stride, a length)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def duration(text: str) -> float:
    """Seconds in '90s', '10m', '1.5h' or a bare number of seconds."""
    units = {"s": 1, "m": 60, "h": 3600}
    value, unit = (text[:-1], text[-1]) if text[-1:].lower() in units else (text, "s")
    try:
        seconds = float(value) * units[unit.lower()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 10m, 90s or 1h") from None
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r}: give a positive duration")
    return seconds


def add_target(p: argparse.ArgumentParser) -> None:
    """`--target/--task`: which task of a multi-task model (a name or an index, resolved later)."""
    p.add_argument(
        "--target",
        "--task",
        dest="target",
        default="0",
        metavar="TASK",
        help="task name or index of a multi-task model (default 0, the first)",
    )
