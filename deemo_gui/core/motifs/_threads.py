"""Keep torch's thread count across memelite's numba kernels.

memelite's FIMO runs numba-parallel code; numba's OpenMP threading layer resets the process's
OpenMP thread count, which is also torch's intra-op count (measured: 1 before a scan, 2 after on a
2-core machine). A GUI worker that pinned torch to one thread would silently get two, and on a busy
machine a 1000-step class optimization then ran minutes instead of seconds.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager


@contextmanager
def keep_torch_threads():
    """Restore torch's intra-op thread count on exit (a no-op when torch is not imported)."""
    torch = sys.modules.get("torch")
    before = torch.get_num_threads() if torch is not None else None
    try:
        yield
    finally:
        torch = sys.modules.get("torch")
        if before is not None and torch is not None and torch.get_num_threads() != before:
            torch.set_num_threads(before)
