"""The tabbed panels below the sequence editor, and their registry.

A panel is a QWidget subclass with a class attribute `title` and the constructor
`__init__(self, viewer, window)`; it reads the viewer's state, listens to `viewer.events`, runs long
work through `window.jobs` (see `deemo_gui.qt.workers`) and never computes science itself.

Adding a panel is one line in `PANELS` ("module:Class", in tab order). Panel modules are imported
after the window is on screen, and a panel whose import or construction fails is logged and left
out, so one broken panel never stops the app. Keep module tops light: import torch, pyqtgraph and
other heavy modules inside functions or `__init__`.

Optional hooks the window calls when present: `panel.shown()` when its tab becomes current, and
`panel.shutdown()` at window close (cancel your jobs there).
"""

from __future__ import annotations

import importlib
import logging

from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)

PANELS: list[str | type] = [
    "deemo_gui.qt.panels.dashboard:DashboardPanel",
    "deemo_gui.qt.panels.saliency:SaliencyPanel",
    "deemo_gui.qt.panels.temporal:TemporalPanel",
    "deemo_gui.qt.panels.classopt:ClassOptPanel",
    "deemo_gui.qt.panels.filters:FiltersPanel",
    "deemo_gui.qt.panels.motifs:MotifsPanel",
    "deemo_gui.qt.panels.variants:VariantsPanel",
    "deemo_gui.qt.panels.train:TrainPanel",
]


class Panel(QWidget):
    """Optional base class: stores `viewer` and `window`."""

    title = "Panel"

    def __init__(self, viewer, window, parent=None):
        super().__init__(parent)
        self.viewer = viewer
        self.window_ = window


def register_panel(spec: str | type, index: int | None = None) -> None:
    """Add a panel at run time (plugins, tests): a "module:Class" string or the class itself."""
    if spec in PANELS:
        return
    if index is None:
        PANELS.append(spec)
    else:
        PANELS.insert(index, spec)


def load_panel_class(spec: str | type) -> type:
    """The panel class for a registry entry (imports its module)."""
    if isinstance(spec, type):
        return spec
    module_name, _, cls_name = spec.partition(":")
    return getattr(importlib.import_module(module_name), cls_name)


def panel_classes() -> list[type]:
    """The registered panel classes that import cleanly, in tab order."""
    out = []
    for spec in PANELS:
        try:
            out.append(load_panel_class(spec))
        except Exception:
            log.exception("panel %s could not be imported and is left out", spec)
    return out
