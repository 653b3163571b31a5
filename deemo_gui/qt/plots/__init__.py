"""Sequence-aligned plots (pyqtgraph): logos, the sequence track with hit boxes, score tracks,
the ISM heatmap, and X-linked stacks of them.

Coordinates everywhere: data x is the 0-based index, base `i` centred on `x = i`; positions are
shown 1-based (`palette.POSITION_OFFSET`). Colours come from `deemo_gui.palette`.
"""

from deemo_gui.qt.plots.axes import HoverInfo, PositionAxis, TrackPlot, format_position, link_x
from deemo_gui.qt.plots.heatmap import HeatmapPlot, heatmap_widget
from deemo_gui.qt.plots.logo_item import LogoItem, LogoPlot, logo_rectangles, logo_widget
from deemo_gui.qt.plots.score_track import ScorePlot, saliency_plot, temporal_plot
from deemo_gui.qt.plots.sequence_track import Hit, SequencePlot, SequenceTrack
from deemo_gui.qt.plots.stack import TrackStack, render_image, save_screenshot

__all__ = [
    "HoverInfo",
    "PositionAxis",
    "TrackPlot",
    "format_position",
    "link_x",
    "HeatmapPlot",
    "heatmap_widget",
    "LogoItem",
    "LogoPlot",
    "logo_rectangles",
    "logo_widget",
    "ScorePlot",
    "saliency_plot",
    "temporal_plot",
    "Hit",
    "SequencePlot",
    "SequenceTrack",
    "TrackStack",
    "render_image",
    "save_screenshot",
]
