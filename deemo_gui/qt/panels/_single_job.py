"""Run / Cancel plumbing shared by panels that run one job at a time."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QLabel, QPushButton

    from deemo_gui.qt.workers import Worker


def start_job(window, worker, context: str) -> None:
    """Start `worker` through the window's job manager (status-bar progress and Cancel), or alone."""
    jobs = getattr(window, "jobs", None)
    if jobs is not None:
        jobs.start(worker, context=context)
    else:
        worker.start()


class SingleJobMixin:
    """`cancel()` and `shutdown()` for a panel with `self.worker`, `self.cancel_button`, `self.status`."""

    worker: Worker | None
    cancel_button: QPushButton
    status: QLabel
    cancel_message = "Cancelling…"
    shutdown_wait_ms = 10_000

    def cancel(self) -> None:
        if self.worker is not None and self.worker.is_running():
            self.worker.cancel()
            self.cancel_button.setEnabled(False)
            self.status.setText(self.cancel_message)

    def shutdown(self) -> None:
        if self.worker is not None and self.worker.is_running():
            self.worker.cancel()
            self.worker.wait(self.shutdown_wait_ms)
