"""The application state, Qt-free: `Viewer` holds files, sequences, edits, models and predictions
and announces every change on `viewer.events` (psygnal). Widgets in `deemo_gui.qt` observe it."""

from deemo_gui.viewer.entries import BrokenModelError, EditState, ModelEntry, OpenFile, ResultsCache
from deemo_gui.viewer.events import ViewerEvents
from deemo_gui.viewer.model import Viewer
from deemo_gui.viewer.search import Hit

__all__ = ["Viewer", "ViewerEvents", "ModelEntry", "BrokenModelError", "OpenFile", "EditState", "ResultsCache", "Hit"]
