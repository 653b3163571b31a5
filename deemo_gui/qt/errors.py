"""Error dialogs and the in-app log.

Rules: an error the user can cause (`DeemoError`, also when wrapped, e.g. by psygnal's `EmitLoopError`)
is shown with its own one-line message, as is, and so is an `OSError` (disk full, permission denied);
any other exception is a bug: the dialog says so in one line and the traceback goes to the log
(View ▸ Log, and the log file). A message already on screen, or shown less than `REPEAT_SECONDS`
ago, is not shown again (one failure hit by several jobs makes one dialog). Nothing here changes
user data; the app keeps running.
"""

from __future__ import annotations

import collections
import logging
import logging.handlers
import os
import time
import traceback

from PySide6.QtCore import QObject, QStandardPaths, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMessageBox, QPlainTextEdit, QVBoxLayout

from deemo_gui.core.errors import DeemoError

log = logging.getLogger("deemo_gui.qt")

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class _Notifier(QObject):
    appended = Signal(str)


class LogBuffer(logging.Handler):
    """Keeps the last records in memory for the log window; `appended(text)` is a Qt signal, so the
    log window updates safely when a worker thread logs."""

    def __init__(self, capacity: int = 2000):
        super().__init__(level=logging.INFO)
        self._notifier = _Notifier()
        self.appended = self._notifier.appended
        self.records: collections.deque[str] = collections.deque(maxlen=capacity)
        self.setFormatter(logging.Formatter(LOG_FORMAT, datefmt="%H:%M:%S"))

    def emit(self, record: logging.LogRecord) -> None:  # noqa: D102 (logging API)
        try:
            text = self.format(record)
        except Exception:  # never let logging break the app
            return
        self.records.append(text)
        self.appended.emit(text)

    def text(self) -> str:
        return "\n".join(self.records)


_BUFFER: LogBuffer | None = None


def log_buffer() -> LogBuffer:
    """The process-wide in-memory log handler, attached to the `deemo_gui` logger on first use."""
    global _BUFFER
    if _BUFFER is None:
        _BUFFER = LogBuffer()
        logger = logging.getLogger("deemo_gui")
        logger.addHandler(_BUFFER)
        if logger.level == logging.NOTSET or logger.level > logging.INFO:
            logger.setLevel(logging.INFO)
    return _BUFFER


def log_file_path() -> str:
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppLocalDataLocation)
    return os.path.join(folder or os.path.expanduser("~/.deemo-gui"), "deemo-gui.log")


def setup_file_logging() -> str | None:
    """Also log to a rotating file (for bug reports); returns its path, or None if not writable."""
    path = log_file_path()
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=2, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.setLevel(logging.INFO)
    logging.getLogger("deemo_gui").addHandler(handler)
    return path


def user_error(exc: BaseException) -> BaseException | None:
    """The error the user caused behind `exc` (itself or an explicit `__cause__`): a DeemoError or an
    OSError; None for a bug."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, (DeemoError, OSError)):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__
    return None


def user_message(exc: BaseException, context: str = "") -> str:
    """The one line to show for `exc`: a DeemoError's own message, an OSError's reason (after
    `context`), else a short 'unexpected' line."""
    what = f"{context}: " if context else ""
    cause = user_error(exc)
    if isinstance(cause, DeemoError):
        return str(cause)
    if isinstance(cause, OSError):
        where = f"{cause.filename}: " if cause.filename else ""
        return f"{what}{where}{cause.strerror or cause}"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return (
        f"{what}unexpected error ({type(exc).__name__}{': ' + text if text else ''}). "
        "This is a bug in deemo-gui; the details are in View ▸ Log."
    )


REPEAT_SECONDS = 2.0
_on_screen: set[str] = set()
_shown_at: dict[str, float] = {}


def show_error(parent, message: str, title: str = "deemo-gui") -> bool:
    """A modal error dialog with one message; False (not shown) if the same message is on screen or
    was shown less than `REPEAT_SECONDS` ago. Tests monkeypatch `QMessageBox.critical`."""
    now = time.monotonic()
    for old in [m for m, t in _shown_at.items() if now - t >= REPEAT_SECONDS]:
        del _shown_at[old]
    if message in _on_screen or message in _shown_at:
        log.info("not shown again: %s", message)
        return False
    _shown_at[message] = now
    _on_screen.add(message)
    try:
        QMessageBox.critical(parent, title, message)
    finally:
        _on_screen.discard(message)
    return True


def report_exception(parent, exc: BaseException, context: str = "", dialog: bool = True) -> str:
    """Log `exc` (traceback for unexpected ones), show the dialog, and return the message shown."""
    message = user_message(exc, context)
    cause = user_error(exc)
    if cause is not None:
        log.warning("%s%s", f"{context}: " if context else "", cause)
    else:
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        log.error("%s failed with an unexpected error:\n%s", context or "an action", tb.rstrip())
    if dialog:
        show_error(parent, message, title="deemo-gui: error" if cause is not None else "deemo-gui: bug")
    return message


class LogDialog(QDialog):
    """View ▸ Log: the recent log records, updated live."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("deemo-gui log")
        self.resize(900, 420)
        self.text = QPlainTextEdit(readOnly=True)
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.text.setFont(font)
        buffer = log_buffer()
        self.text.setPlainText(buffer.text())
        buffer.appended.connect(self.text.appendPlainText)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
