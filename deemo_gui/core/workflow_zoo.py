"""The workflow's last step: the trained models become a zoo folder (model files with their baselines,
`index.json`, model cards) and the accuracy tables of `benchmarks/accuracy.py`.

The workflow lays its files out as `<work>/<data set>/<preset>/s<seed>/model.safetensors` (beside it
`evaluation.json`, from `deemo evaluate`) and `<work>/<data set>/baselines_s<seed>.json` (from
`deemo workflow baselines`, one fit per data set and seed shared by every preset).
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
from pathlib import Path

from deemo_gui.core.atomic import atomic_path, write_text
from deemo_gui.core.errors import ConfigError, DataError
from deemo_gui.core.modelfile import read_metadata, update_metadata
from deemo_gui.core.workflow import model_name
from deemo_gui.core.zoo import write_index

log = logging.getLogger(__name__)


def _accuracy():
    """benchmarks/accuracy.py of the source checkout (its tables; the workflow ships with the checkout too)."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "benchmarks" / "accuracy.py").is_file():
        raise ConfigError(
            f"{root}: the zoo step writes the tables of benchmarks/accuracy.py, which ships with "
            "the source checkout; clone the repository to run the workflow"
        )
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from benchmarks import accuracy

    return accuracy


def layout(model: Path) -> tuple[str, str, int]:
    """(data set, preset, seed) of a workflow model path."""
    model = Path(model)
    seed_dir, preset_dir, ds_dir = model.parent, model.parent.parent, model.parent.parent.parent
    if model.name != "model.safetensors" or not seed_dir.name.startswith("s") or not seed_dir.name[1:].isdigit():
        raise ConfigError(f"{model}: not a workflow model (<work>/<data set>/<preset>/s<seed>/model.safetensors)")
    return ds_dir.name, preset_dir.name, int(seed_dir.name[1:])


def read_baselines(path: Path, meta: dict, model: Path) -> dict:
    """The baselines of `path`, checked to be fitted on the split `model` was trained on."""
    try:
        fitted = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: unreadable baselines ({exc}); delete it and run the workflow again") from None
    t = meta["training"]
    if (fitted.get("n_train"), fitted.get("n_valid")) != (t["n_train"], t["n_valid"]):
        raise DataError(
            f"{path}: fitted on {fitted.get('n_train')} + {fitted.get('n_valid')} records, but {model} "
            f"was trained on {t['n_train']} + {t['n_valid']}; delete it and run the workflow again"
        )
    return fitted["baselines"]


def build_zoo(models: list[Path], out_dir: Path) -> dict:
    """Copy `models` into `out_dir` with their baselines, write its index and cards, and the accuracy tables
    (`accuracy.json` in benchmarks/accuracy.py's format, `accuracy.md`); returns the results."""
    accuracy = _accuracy()
    from benchmarks.datasets import BENCHMARKS

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    placed = [(Path(m), *layout(m)) for m in models]
    seeds: dict[tuple[str, str], set[int]] = {}
    for _, ds, preset, seed in placed:
        seeds.setdefault((ds, preset), set()).add(seed)
    runs: dict[str, dict] = {}
    pwm: dict[str, float] = {}
    for path, ds, preset, seed in placed:
        several = len(seeds[(ds, preset)]) > 1
        name = model_name(ds, preset, seed, several)
        target = out_dir / f"{name}.safetensors"
        with atomic_path(target) as tmp:
            shutil.copyfile(path, tmp)
        meta = read_metadata(target)
        baselines = read_baselines(path.parent.parent.parent / f"baselines_s{seed}.json", meta, path)
        update_metadata(target, {"baselines": baselines})
        label = f"{ds}-s{seed}" if several else ds
        # the bundled sets keep the JASPAR 2024 figure of their README, as benchmarks/accuracy.py does;
        # any other set gets the best JASPAR matrix fitted on its training split (core.baselines)
        pwm[label] = BENCHMARKS[ds].pwm_auroc if ds in BENCHMARKS else baselines["pwm"]["test_auroc"]
        if "test" not in meta or pwm[label] is None:
            log.warning("%s: no test AUROC (no test data), left out of the accuracy tables", target)
            pwm.pop(label)
            continue
        seconds = sum(e["seconds"] for e in meta["training"]["history"])
        row = accuracy.run_row(meta, preset, label, pwm[label], seconds, meta["training"].get("max_train"))
        evaluation = path.parent / "evaluation.json"
        if evaluation.exists():
            row["evaluate_auroc"] = json.loads(evaluation.read_text())["auroc"]
            if abs(row["evaluate_auroc"] - row["test_auroc"]) > 1e-3:
                log.warning(
                    "%s: `deemo evaluate` gives AUROC %.4f, the model file records %.4f",
                    path,
                    row["evaluate_auroc"],
                    row["test_auroc"],
                )
        runs[f"{preset}/{label}"] = row
    write_index(out_dir)
    results = {"runs": runs, "throughput": {}}
    write_text(out_dir / "accuracy.json", json.dumps(results, indent=1, sort_keys=True) + "\n")
    tables = accuracy.table(results, pwm) if runs else "No model has a test AUROC.\n"
    write_text(out_dir / "accuracy.md", tables + "\n")
    return results
