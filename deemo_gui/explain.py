"""Public interpretation API: ``deemo_gui.explain.saliency(model, X)`` and friends.

A re-export of :mod:`deemo_gui.core.explain`; see there for the methods and their sources.
"""

from deemo_gui.core.explain import *  # noqa: F401,F403
from deemo_gui.core.explain import __all__  # noqa: F401
