"""Sequence-aligned plots: logos, sequence tracks, score tracks and heatmaps (pyqtgraph)."""
