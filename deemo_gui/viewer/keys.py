"""Typed keys of `viewer.results` (`entries.ResultsCache`): each names everything its result
depends on, so an edited sequence, another model or other settings simply miss. Keys of one
model's results carry its name in `model` (`ResultsCache.discard_model` drops them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AnalysisKey:
    """One analysis method of one sequence and model (`viewer.analysis`), on the window at `offset`."""

    model: str
    seq: str
    method: str
    target: int = 0
    offset: int = 0


@dataclass(frozen=True)
class ScanKey:
    """The window scan (`core.windows.scan`) of a sequence with one model."""

    model: str
    seq: str
    stride: int = 1
    reverse_complement: bool = False


@dataclass(frozen=True)
class PredictKey:
    """P per task of a sequence (as read from its file) with one model, scanned with these options."""

    model: str
    seq: str
    stride: int = 1
    reverse_complement: bool = False


@dataclass(frozen=True)
class HitsKey:
    """FIMO hits of these JASPAR matrices (by ID) in a sequence."""

    motifs: tuple[str, ...]
    seq: str
    p_threshold: float
    model: None = None


@dataclass(frozen=True)
class MotifJobKey:
    """A motif job's outcome (`viewer.motif_jobs`): the job, the model, its settings and the release."""

    job: str  # "classopt", "filters", "extract"
    model: str
    settings: tuple
    release: str
