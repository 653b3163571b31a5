"""The schema of a model file's metadata: types and bounds, checked before any network is built.

Bounds are generous for real models (DeepSEA has 919 tasks; the largest zoo layer has 512 units)
and small enough that a crafted file cannot make the loader allocate gigabytes. The preset's own
hyperparameter names and types are checked later by the registry, against the shapes in the file.
"""

from __future__ import annotations

import math
import re

from deemo_gui.core.errors import ModelFileError

MAX_TASKS = 10_000
MAX_INPUT_LENGTH = 1_000_000
MAX_HPARAM_INT = 4_096  # filters, units, kernel and pool sizes
MAX_LAYERS = 64  # keys that count layers, and list lengths
_LAYER_KEYS = re.compile(r"^n_(conv|highway)$|_layers$")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_MAX_NAME = 200
HPARAM_CHOICES = ("relu", "exp")  # the text hyperparameters (first_layer_activation)


def hparam_cap(key: str) -> int:
    """The largest value an integer hyperparameter may take (layer counts are capped lower)."""
    return MAX_LAYERS if _LAYER_KEYS.search(key) else MAX_HPARAM_INT


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def validate_metadata(meta: dict, path: str) -> None:
    """ModelFileError naming the file and the first field that is of the wrong type or out of bounds."""

    def bad(field: str, want: str) -> ModelFileError:
        found = repr(meta_get(field))[:60]
        return ModelFileError(f"{path}: damaged model metadata: {field} must be {want}, found {found}")

    def meta_get(field: str):
        value: object = meta
        for part in field.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return value

    if not (isinstance(meta.get("preset"), str) and 0 < len(meta["preset"]) <= 64):
        raise bad("preset", "a preset name")
    if not (_int(meta.get("n_tasks")) and 1 <= meta["n_tasks"] <= MAX_TASKS):
        raise bad("n_tasks", f"an integer from 1 to {MAX_TASKS:,}")
    if not (_int(meta.get("input_length")) and 1 <= meta["input_length"] <= MAX_INPUT_LENGTH):
        raise bad("input_length", f"an integer from 1 to {MAX_INPUT_LENGTH:,}")
    if meta.get("alphabet", "ACGT") != "ACGT":
        raise bad("alphabet", "'ACGT'")
    if not (isinstance(meta.get("weights_sha256"), str) and _HEX64.fullmatch(meta["weights_sha256"])):
        raise bad("weights_sha256", "a SHA-256 hex digest")
    _check_hparams(meta.get("hparams"), bad)
    names = meta.get("task_names")
    if names is not None:
        ok = (
            isinstance(names, list)
            and len(names) == meta["n_tasks"]
            and all(isinstance(n, str) and 0 < len(n) <= _MAX_NAME and n.isprintable() for n in names)
            and len(set(names)) == len(names)
        )
        if not ok:
            raise bad("task_names", f"{meta['n_tasks']} distinct printable names")
    _check_section(
        meta, "test", {"auroc": "unit", "aupr": "unit", "n": "count", "data": "str", "per_task": "dict"}, bad
    )
    for task in (meta.get("test") or {}).get("per_task") or {}:
        _check_section(
            meta["test"]["per_task"],
            task,
            {"auroc": "unit", "aupr": "unit", "positives": "count"},
            bad,
            f"test.per_task.{task}",
        )
    _check_section(
        meta,
        "training",
        {
            "best_epoch": "count",
            "epochs_run": "count",
            "n_train": "count",
            "n_valid": "count",
            "valid_positives": "count",
            "valid_auroc": "unit",
            "data": "str",
            "command": "str",
            "history": "list",
            "stopped": "str",
            "seed": "count",
        },
        bad,
    )
    _check_section(meta, "baselines", {"pwm": "dict", "kmer": "dict"}, bad)
    for key in ("pwm", "kmer"):
        if isinstance(meta.get("baselines"), dict):
            _check_section(
                meta["baselines"],
                key,
                {"valid_auroc": "unit", "test_auroc": "unit", "name": "str", "id": "str"},
                bad,
                f"baselines.{key}",
            )
    if meta.get("classopt_match") is not None and not isinstance(meta["classopt_match"], dict):
        raise bad("classopt_match", "an object")


def _check_hparams(hparams, bad) -> None:
    if not isinstance(hparams, dict):
        raise bad("hparams", "an object")
    for key, value in hparams.items():
        cap = hparam_cap(key)
        if isinstance(value, list):
            if not (0 < len(value) <= MAX_LAYERS and all(_int(v) and 0 <= v <= MAX_HPARAM_INT for v in value)):
                raise bad(f"hparams.{key}", f"a list of at most {MAX_LAYERS} integers up to {MAX_HPARAM_INT}")
        elif _int(value):
            if not 0 <= value <= cap:
                raise bad(f"hparams.{key}", f"an integer from 0 to {cap}")
        elif isinstance(value, str):
            if value not in HPARAM_CHOICES:
                raise bad(f"hparams.{key}", f"one of {', '.join(HPARAM_CHOICES)}")
        elif not _number(value):
            raise bad(f"hparams.{key}", "a finite number")


def _check_section(meta: dict, section: str, fields: dict, bad, label: str | None = None) -> None:
    """`meta[section]` is None or an object whose listed fields are None or of their kind."""
    value = meta.get(section)
    label = label or section
    if value is None:
        return
    if not isinstance(value, dict):
        raise bad(label, "an object")
    for key, kind in fields.items():
        v = value.get(key)
        if v is None:
            continue
        ok = {
            "unit": lambda x: _number(x) and 0 <= x <= 1,
            "count": lambda x: _int(x) and x >= 0,
            "str": lambda x: isinstance(x, str),
            "list": lambda x: isinstance(x, list),
            "dict": lambda x: isinstance(x, dict),
        }[kind](v)
        if not ok:
            want = {
                "unit": "a number in [0, 1]",
                "count": "a non-negative integer",
                "str": "text",
                "list": "a list",
                "dict": "an object",
            }[kind]
            raise bad(f"{label}.{key}", want)
