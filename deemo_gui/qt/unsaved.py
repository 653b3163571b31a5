"""Work is never lost, the window's side: Save / Discard / Cancel before unsaved work would be dropped,
the autosave of the viewer's unsaved work (`viewer.recovery`, at most once a second), and the offer to
restore what a crash left ("Restore unsaved edits from <time>?")."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QMessageBox

from deemo_gui.viewer import recovery

AUTOSAVE_MS = 1000  # a change is on disk at most this long after it is made
Button = QMessageBox.StandardButton


def ask_to_save(window, action: str, records=None, models=None) -> bool:
    """Whether `action` ("quit", "close REST.fa", ...) may go ahead: nothing is unsaved, or the user chose
    Discard, or Save and everything was saved. `records`/`models`: what the action drops (default: all)."""
    unsaved = window.viewer.unsaved
    records = unsaved.records if records is None else list(records)
    models = unsaved.models if models is None else list(models)
    text = unsaved.summary(records, models)
    if not text:
        return True
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        "deemo-gui: unsaved work",
        f"{text} Save before you {action}?",
        Button.Save | Button.Discard | Button.Cancel,
        window,
    )
    box.setInformativeText(
        "Save writes "
        + " and ".join(
            (["each model to a model file"] if models else []) + (["a session with the edits"] if records else [])
        )
        + "; Discard drops them; Cancel goes back."
    )
    box.setDefaultButton(Button.Save)
    box.exec()
    answer = box.standardButton(box.clickedButton()) if box.clickedButton() is not None else Button.Cancel
    if answer == Button.Discard:
        return True
    if answer == Button.Save:
        return save_work(window, records, models)
    return False


def save_work(window, records, models) -> bool:
    """Save each model (a file dialog each), then the edits as a session; False if one was cancelled or failed."""
    for entry in models:
        if entry.path is None and window.save_model_dialog(entry.name) is None:
            return False
    if records and window.viewer.unsaved.records:
        return bool(window.save_session_dialog())
    return True


class Recovery(QObject):
    """The window's recovery file: written after changes (throttled), removed by `close()` (clean quit)."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.autosave = recovery.Autosave()
        self.timer = QTimer(self, singleShot=True, interval=AUTOSAVE_MS)
        self.timer.timeout.connect(self.save_now)

    def changed(self, _unsaved: bool = True) -> None:
        """Unsaved work may have changed: write it within `AUTOSAVE_MS` (at most once per interval)."""
        if not self.timer.isActive() and not self.autosave.closed:
            self.timer.start()

    def save_now(self):
        """Write the recovery file now (in the background); returns the write's future."""
        self.timer.stop()
        return self.autosave.save(self.window.viewer)

    def close(self) -> None:
        self.timer.stop()
        self.autosave.close()

    def offer(self) -> bool:
        """Offer the newest recovery file a crash left: Restore, Discard (removed) or Cancel (kept for the
        next start). True when it was restored."""
        found = recovery.orphans()
        if not found:
            return False
        orphan = found[0]
        held = (
            [
                f"{orphan.records} edited sequence{'s' if orphan.records != 1 else ''}"
                + (f" of {', '.join(orphan.files)}" if orphan.files else "")
            ]
            if orphan.records
            else []
        )
        if orphan.models:
            held.append(f"the trained model{'s' if len(orphan.models) > 1 else ''} {', '.join(orphan.models)}")
        what = f"The recovery file holds {' and '.join(held)}."
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "deemo-gui: restore unsaved edits",
            f"Restore unsaved {'edits' if orphan.records else 'work'} from {orphan.when}?",
            Button.Discard | Button.Cancel,
            self.window,
        )
        restore = box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(restore)
        box.setInformativeText(
            f"deemo-gui did not quit cleanly last time. {what}\n\nRestore replaces the open "
            "files; Discard deletes the recovery file; Cancel keeps it for the next start."
        )
        box.exec()
        clicked = box.clickedButton()
        if clicked is restore:
            from deemo_gui.qt import errors

            try:
                recovery.restore(self.window.viewer, orphan)
            except Exception as exc:
                errors.report_exception(self.window, exc, "Restoring the unsaved edits")
                return False
            self.save_now().result()  # this window's own recovery file holds them before the old one goes
            recovery.discard(orphan)
            self.window.show_message(f"Restored the unsaved edits from {orphan.when}", 10000)
            return True
        if clicked is box.button(Button.Discard):
            recovery.discard(orphan)
        return False
