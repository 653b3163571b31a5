"""Exporting motifs from the panels: a motif's logo (PNG / SVG / PDF, drawn by
`deemo_gui.core.logo_export`) and a set of motifs as a MEME file, each behind a save dialog."""

from __future__ import annotations

import os

from PySide6.QtWidgets import QFileDialog

LOGO_FILTER = "PNG image (*.png);;SVG vector image (*.svg);;PDF document (*.pdf)"
MEME_FILTER = "MEME motif files (*.meme *.txt);;All files (*)"


def export_logo(pwm, path: str, title: str = "") -> str:
    """Write a logo of `pwm` to PNG, SVG or PDF (by the suffix) with `deemo_gui.core.logo_export`,
    titled with the motif's name and ID (and `title`, where it came from); returns `path`."""
    from deemo_gui.core.errors import DataError
    from deemo_gui.core.logo_export import motif_title, save_logo

    if os.path.splitext(path)[1].lower() not in (".png", ".svg", ".pdf"):
        raise DataError(f"{path}: choose a .png, .svg or .pdf file name for the logo")
    save_logo(pwm, path, title=motif_title(pwm, title or None))
    return path


def export_logo_dialog(parent, pwm, title: str = "") -> str | None:
    from deemo_gui.qt.errors import report_exception

    stem = "".join(c if c.isalnum() or c in "._-" else "_" for c in (getattr(pwm, "id", "") or "motif"))
    path, chosen = QFileDialog.getSaveFileName(parent, "Export logo", f"{stem}.png", LOGO_FILTER)
    if not path:
        return None
    if not os.path.splitext(path)[1]:
        path += {"SVG": ".svg", "PDF": ".pdf"}.get(chosen[:3], ".png")
    try:
        return export_logo(pwm, path, title)
    except Exception as exc:
        report_exception(parent, exc, "Exporting the logo")
        return None


def export_meme_dialog(parent, pwms, what: str = "motifs") -> str | None:
    """Ask for a file name and write `pwms` as MEME minimal format; returns the path written."""
    from deemo_gui.core.motifs import write_meme
    from deemo_gui.qt.errors import report_exception, show_error

    pwms = list(pwms)
    if not pwms:
        show_error(parent, f"No {what} to export: select some first.")
        return None
    path, _ = QFileDialog.getSaveFileName(parent, f"Export {len(pwms)} {what} as MEME", "motifs.meme", MEME_FILTER)
    if not path:
        return None
    try:
        write_meme(pwms, path)
    except Exception as exc:
        report_exception(parent, exc, "Writing the MEME file")
        return None
    window = parent.window()
    if hasattr(window, "show_message"):
        window.show_message(f"Wrote {len(pwms)} {what} to {path}")
    return path
