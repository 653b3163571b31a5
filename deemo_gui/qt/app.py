"""The QApplication and the `deemo-gui` command.

    deemo-gui [FILE ...] [--labels FILE | --negatives shuffle|FILE] [--model MODEL ...]
              [--session FILE] [--sequence ID] [--tab NAME]
              [--screenshot OUT.png [--size 1400x900]] [--self-test]

With `--screenshot` the window is rendered offscreen (no display needed), saved, and the program
exits 0; a file that cannot be read prints one line on stderr and exits 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

_T0 = time.perf_counter()


def get_app(argv: list[str] | None = None):
    """The QApplication, created on first call (organisation and name set for QSettings)."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        QApplication.setApplicationName("deemo-gui")
        QApplication.setOrganizationName("deemo-gui")
        QApplication.setApplicationDisplayName("deemo-gui")
        app = QApplication((argv or sys.argv)[:1])
        from deemo_gui.data_paths import resource

        icon = str(resource("icons", "deemo-gui.png"))
        if os.path.exists(icon):
            from PySide6.QtGui import QIcon

            app.setWindowIcon(QIcon(icon))
    return app


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = text.lower().split("x")
        size = int(w), int(h)
    except ValueError:
        raise argparse.ArgumentTypeError(f"size {text!r} is not WIDTHxHEIGHT, e.g. 1400x900") from None
    if not (200 <= size[0] <= 10000 and 200 <= size[1] <= 10000):
        raise argparse.ArgumentTypeError(f"size {text!r}: width and height must be 200-10000 pixels")
    return size


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="deemo-gui", description="Train deep networks on DNA sequences and see why they predict what they predict."
    )
    p.add_argument("files", nargs="*", metavar="FILE", help="sequence files, model files (.safetensors) or a session")
    p.add_argument("--open", action="append", default=[], metavar="FILE", help="a sequence file to open (repeatable)")
    p.add_argument("--labels", metavar="FILE", help="label file for the (single) sequence file, one line per record")
    p.add_argument("--negatives", metavar="shuffle|FILE", help="the sequence file holds positives only: negatives")
    p.add_argument("--model", action="append", default=[], metavar="MODEL", help="a model file to add (repeatable)")
    p.add_argument("--session", metavar="FILE", help="a session file to restore")
    p.add_argument("--sequence", metavar="ID", help="show this record (its id, or its 1-based number)")
    p.add_argument("--search", metavar="PATTERN", help="highlight this IUPAC pattern on both strands")
    p.add_argument("--tab", metavar="NAME", help="show this panel tab (e.g. Train)")
    p.add_argument("--screenshot", metavar="OUT.png", help="render the window offscreen to a PNG and exit")
    p.add_argument("--size", type=_size, default=(1400, 900), metavar="WxH", help="window size (default 1400x900)")
    p.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation offline (window, model, saliency, Tomtom, export) and exit",
    )
    p.add_argument("--startup-time", action="store_true", help=argparse.SUPPRESS)
    return p


def _split_files(args) -> tuple[list[str], list[str], str | None]:
    """Sequence files, model files and session named on the command line; with none at all, the
    bundled example (REST peaks and the shipped REST models)."""
    seqs, models, session = list(args.open), list(args.model), args.session
    if not (seqs or models or session or args.files):
        from deemo_gui.examples import default_example

        return (*default_example(), None)
    for f in args.files:
        if f.endswith(".safetensors"):
            models.append(f)
        elif f.endswith(".json"):
            session = f
        else:
            seqs.append(f)
    return seqs, models, session


def _sequence_key(text: str, viewer):
    if text in viewer.store.index:
        return text
    if text.isdigit():
        return int(text) - 1
    return text


def render_headless(args) -> int:
    """Open everything synchronously, render, save, exit. DeemoErrors -> stderr line, exit 2."""
    from deemo_gui.core.errors import DeemoError
    from deemo_gui.qt.main_window import MainWindow
    from deemo_gui.viewer import Viewer

    get_app()
    viewer = Viewer()
    window = MainWindow(viewer)
    window.live.enabled = False  # predictions below are synchronous
    try:
        seqs, models, session = _split_files(args)
        if args.labels and len(seqs) != 1:
            raise DeemoError("--labels needs exactly one sequence file")
        window.ensure_torch()
        if session:
            viewer.open_session(session)
        for path in seqs:
            viewer.open(path, labels=args.labels, negatives=args.negatives)
        for path in models:
            viewer.add_model(path)
        if args.sequence:
            viewer.set_current(_sequence_key(args.sequence, viewer))
        if args.search:
            viewer.search(args.search)
        if viewer.selected_models and viewer.current_index >= 0:
            viewer.predict_current()
            if viewer.n_sequences <= 50_000:
                viewer.predict_list()
        if args.tab:
            window.show_panel(args.tab)
        window.screenshot(args.screenshot, size=args.size)
    except DeemoError as exc:
        print(f"deemo-gui: error: {exc}", file=sys.stderr)
        return 2
    finally:
        window.live.enabled = False
        window.jobs.cancel_all()
    print(f"wrote {args.screenshot}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.self_test:
        from deemo_gui.selftest import main as self_test

        return self_test()
    if args.screenshot:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from deemo_gui.qt.errors import log_buffer

        log_buffer()
        return render_headless(args)

    app = get_app()
    from PySide6.QtCore import QTimer

    from deemo_gui.qt.errors import log_buffer, setup_file_logging
    from deemo_gui.qt.main_window import MainWindow
    from deemo_gui.viewer import Viewer

    log_buffer()
    if not args.startup_time:
        setup_file_logging()
    viewer = Viewer()
    window = MainWindow(viewer)
    window.resize(*args.size)
    window.show()
    app.processEvents()
    first_window = time.perf_counter() - _T0
    window.timings["first_window"] = first_window
    torch_loaded_at_show = "torch" in sys.modules  # the warm-up starts 100 ms after the first paint

    if args.startup_time:

        def report():
            print(
                json.dumps(
                    {
                        "first_window_s": first_window,
                        "wall_clock_at_window": _WALL_AT_WINDOW[0],
                        "torch_imported_before_window": torch_loaded_at_show,
                        "panels_ready_s": window.timings.get("panels_ready", 0.0) - _T0,
                        "torch_ready_s": time.perf_counter() - _T0,
                    }
                ),
                flush=True,
            )
            window.close()
            app.quit()

        _WALL_AT_WINDOW[0] = time.time()
        window.torch_ready.connect(lambda: QTimer.singleShot(0, report))
        QTimer.singleShot(60_000, app.quit)
        return app.exec()

    def open_requested():
        seqs, models, session = _split_files(args)
        if session:
            window.open_session(session)
        for path in seqs:
            window.open_file(path, labels=args.labels, negatives=args.negatives)
        for path in models:
            window.open_model(path)
        if args.sequence and viewer.n_sequences:
            try:
                viewer.set_current(_sequence_key(args.sequence, viewer))
            except Exception as exc:
                window.show_message(str(exc))
        if args.search:
            try:
                viewer.search(args.search)
            except Exception as exc:
                window.show_message(str(exc))
        if args.tab:
            try:
                window.show_panel(args.tab)
            except Exception as exc:
                window.show_message(str(exc))

    QTimer.singleShot(0, open_requested)
    return app.exec()


_WALL_AT_WINDOW = [0.0]
