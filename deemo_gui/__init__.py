"""deemo-gui: train deep networks on DNA sequences and see why they predict what they predict.

Public API (imported lazily so that `import deemo_gui` stays fast for the GUI start):
`load_model`, `save_model`, `Viewer`, `run`, and the `explain` namespace.
"""

__version__ = "0.1.0"

_LAZY = {
    "load_model": ("deemo_gui.core.modelfile", "load_model"),
    "save_model": ("deemo_gui.core.modelfile", "save_model"),
    "read_metadata": ("deemo_gui.core.modelfile", "read_metadata"),
    "Viewer": ("deemo_gui.viewer", "Viewer"),
    "run": ("deemo_gui.qt", "run"),
    "explain": ("deemo_gui.explain", None),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'deemo_gui' has no attribute {name!r}")
    import importlib

    module_name, attr = _LAZY[name]
    module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value
