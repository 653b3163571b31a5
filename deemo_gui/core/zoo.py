"""The model zoo: the shipped model files in `models/`, their machine-readable index and model cards.

Each model file carries its own provenance (data, settings, the `deemo train` command that made it,
test metrics); the index (`models/index.json`) and the cards (`models/<name>.md`) are generated from
those files, so they cannot drift from the weights.
"""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

from deemo_gui.core.atomic import write_text
from deemo_gui.core.errors import DataError
from deemo_gui.core.modelfile import load_model, read_metadata
from deemo_gui.core.step_budget import CONVERGE_RULES
from deemo_gui.core.verdict import baseline_line, first_layer_correlation, verdict
from deemo_gui.data_paths import models_dir

# Test AUROC of the JASPAR 2024 matrix alone, best log-odds over both strands (resources/data/SOURCES.md).
PWM_BASELINE = {
    "ARID3A": ("MA0151", 0.589),
    "CTCFL": ("MA1102", 0.794),
    "ELK1": ("MA0028", 0.922),
    "FOXA1": ("MA0148", 0.918),
    "GABPA": ("MA0062", 0.908),
    "MYC": ("MA0147", 0.822),
    "REST": ("MA0138", 0.956),
    "SP1": ("MA0079", 0.624),
    "USF1": ("MA0093", 0.976),
    "ZBTB7A": ("MA0750", 0.522),
    "CTCF": ("MA0139", 0.93),
    "ALX4": ("MA0853", None),
}

CREDITS = {
    "deepbind_encode": "ENCODE ChIP-seq (ENCODE Project Consortium, Nature 2012) as prepared for DeepBind "
    "(Alipanahi et al., Nature Biotechnology 2015, supplementary data)",
    "ctcf_gifford": "CTCF ChIP-seq example data of the Gifford lab's Keras-genomics (MIT licence)",
    "selex_alx4": "ALX4 HT-SELEX rounds 0 and 4 (Jolma et al., Cell 2013), demo data of DeepSELEX "
    "(Asif & Orenstein, Bioinformatics 2020)",
}


def zoo_dir() -> Path:
    """`$DEEMO_MODELS`, else the shipped `models/` of the frozen app, the installed package or the
    repository (deemo_gui.data_paths)."""
    if os.environ.get("DEEMO_MODELS"):
        return Path(os.environ["DEEMO_MODELS"])
    return models_dir()


def shipped_model_paths(directory: Path | None = None) -> list[str]:
    """The model files of the zoo (`zoo_dir()`), sorted; none when the folder is missing."""
    directory = Path(directory or zoo_dir())
    return sorted(str(p) for p in directory.glob("*.safetensors")) if directory.is_dir() else []


def model_name(path: Path) -> str:
    return path.name.removesuffix(".safetensors")


def entry_for(path: Path) -> dict:
    """One index row from a model file's own metadata."""
    meta = read_metadata(path)
    name = model_name(path)
    dataset, _, preset = name.rpartition("_")
    tf = dataset.split("_")[0]
    jaspar_id, pwm_auroc = PWM_BASELINE.get(tf, (None, None))
    test = meta.get("test") or {}
    training = meta.get("training") or {}
    return {
        "name": name,
        "file": path.name,
        "tf": tf,
        "dataset": dataset,
        "preset": meta["preset"],
        "task_names": meta.get("task_names"),
        "input_length": meta["input_length"],
        "test_auroc": test.get("auroc"),
        "test_aupr": test.get("aupr"),
        "test_n": test.get("n"),
        "pwm_auroc": pwm_auroc,
        "jaspar_id": jaspar_id,
        "command": training.get("command"),
        "classopt_match": meta.get("classopt_match"),
        "size_bytes": path.stat().st_size,
        "weights_sha256": meta["weights_sha256"],
    }


def build_index(directory: Path | None = None) -> list[dict]:
    directory = Path(directory or zoo_dir())
    return [entry_for(p) for p in sorted(directory.glob("*.safetensors"))]


def write_index(directory: Path | None = None) -> Path:
    """Regenerate `index.json` and every model card in `directory`."""
    directory = Path(directory or zoo_dir())
    entries = build_index(directory)
    for entry in entries:
        model = load_model(directory / entry["file"])
        write_text(directory / f"{entry['name']}.md", model_card(entry, model.metadata, first_layer_correlation(model)))
    path = directory / "index.json"
    write_text(path, json.dumps({"models": entries}, indent=1) + "\n")
    return path


def read_index(directory: Path | None = None) -> list[dict]:
    directory = Path(directory or zoo_dir())
    path = directory / "index.json"
    if not path.exists():
        return []
    try:
        return json.loads(path.read_text())["models"]
    except (json.JSONDecodeError, KeyError) as exc:
        raise DataError(f"{path}: damaged zoo index ({exc}); run `deemo zoo index` to rebuild it") from None


def _fmt(value, digits=3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _classopt_cell(match: dict) -> str:
    """`target (E, q, release); consensus; whether the TF's own matrix is the match or among the hits`."""
    stats = [f"E = {match['E']:.2g}"]
    if match.get("q") is not None:
        stats.append(f"q = {match['q']:.2g}")
    if match.get("release"):
        stats.append(match["release"])
    text = f"{match['target_id']} {match['target_name']} ({', '.join(stats)})"
    if match.get("consensus"):
        text += f"; motif `{match['consensus']}`"
    if match.get("is_own"):
        text += "; the TF's own matrix"
    elif match.get("own_match"):
        text += f"; the TF's own matrix {match['own_id']} also matches (q = {match['own_q']:.2g})"
    elif "own_match" in match:
        text += "; the TF's own matrix is not among the matches with q < 0.5"
    return text


def _ensemble_lines(info: dict | None) -> list[str]:
    """The card's line on a folded ensemble (`deemo train` without --arch), or none."""
    if not info:
        return []
    return [
        f"- Ensemble ({info.get('folded')}): seeds {', '.join(map(str, info.get('seeds') or []))}; best epochs "
        f"{', '.join(map(str, info.get('best_epochs') or []))}; validation AUROC of each "
        f"{', '.join(f'{a:.3f}' for a in info.get('valid_aurocs') or [])}; {info.get('seconds')} s in all."
    ]


def _rules_text(training: dict) -> str:
    """'; early stopping on validation loss; reverse-complement augmentation' from what the file records
    (files before these keys: the default recipe's ensembles followed the loss on both strands)."""
    monitor, rc = training.get("monitor"), training.get("rc_augment")
    if monitor is None and training.get("ensemble"):
        monitor, rc = "loss", True
    out = f"; early stopping on validation {monitor.replace('auroc', 'AUROC')}" if monitor else ""
    return out + ("; reverse-complement augmentation" if rc else "")


def _on_cpu(meta: dict) -> bool:
    return str(meta.get("training", {}).get("device", "cpu")).startswith("cpu")


def _reproduce_line(meta: dict) -> str:
    if _on_cpu(meta):
        return "From the repository root, on CPU with one thread as the zoo was built (`deemo zoo rebuild` does this):"
    kind = str(meta["training"]["device"]).split(":")[0]
    gpu = {"cuda": "a CUDA GPU", "mps": "an Apple GPU (MPS)"}.get(kind, f"device {kind}")
    return (
        f"From the repository root, on {gpu} as this model was trained (`deemo zoo rebuild` does this, on the "
        "CPU where there is none; GPU kernels sum in another order, so a rerun is close, not identical):"
    )


def model_card(entry: dict, meta: dict, first_layer_r: float | None = None) -> str:
    """A Markdown model card: data with credits, preset, training, metrics, trust verdict, reproduction command."""
    training = meta.get("training", {})
    settings = training.get("settings", {})
    source = next((v for k, v in CREDITS.items() if k in (training.get("data") or "")), "see the training data path")
    lines = [
        f"# {entry['name']}",
        "",
        f"A `{entry['preset']}` network predicting {entry['tf']} binding ({', '.join(entry['task_names'] or [])}) "
        f"from {entry['input_length']}-nt DNA sequences.",
        "",
        "## Data",
        f"- Training data: `{training.get('data')}` ({training.get('n_train', 0):,} training and "
        f"{training.get('n_valid', 0):,} validation records; validation: {training.get('validation')}).",
        f"- Test data: `{(meta.get('test') or {}).get('data')}`.",
        f"- Source and credit: {source}.",
        "",
        "## Network and training",
        f"- Preset `{meta['preset']}`, hyperparameters: "
        + ", ".join(f"{k}={v}" for k, v in meta["hparams"].items())
        + ".",
        "- Training: "
        + ", ".join(f"{k}={v}" for k, v in settings.items() if k != "optimizer")
        + f"; seed {training.get('seed')}; {training.get('epochs_run')} epochs run, best epoch "
        f"{training.get('best_epoch')} ({training.get('stopped')}){_rules_text(training)}; "
        f"device {training.get('device')}.",
        *(["- Trained with `--converge`: " + CONVERGE_RULES + "."] if training.get("converge") else []),
        *_ensemble_lines(training.get("ensemble")),
        "",
        "## Results",
        "| metric | value |",
        "|---|---|",
        f"| test AUROC | {_fmt(entry['test_auroc'])} |",
        f"| test AUPR | {_fmt(entry['test_aupr'])} |",
        f"| test sequences | {entry['test_n'] or '–'} |",
        f"| single-PWM AUROC ({entry['jaspar_id'] or '–'}, JASPAR 2024) | {_fmt(entry['pwm_auroc'])} |",
        f"| validation AUROC (best epoch{', first member' if training.get('ensemble') else ''}) "
        f"| {_fmt(training.get('valid_auroc'))} |",
    ]
    match = entry.get("classopt_match")
    if match:
        lines.append(f"| class-optimized motif, best JASPAR match | {_classopt_cell(match)} |")
    trust = verdict(meta, first_layer_r)
    lines += [
        "",
        "## Trust verdict",
        f"**{trust.level}**" + (": " if trust.reasons else ""),
    ]
    lines += [f"- {reason}" for reason in trust.reasons]
    line = baseline_line(meta)
    if line:
        lines.append(f"- {line}")
    lines += [
        "",
        "## Reproduce",
        _reproduce_line(meta),
        "",
        "```bash",
        (f"OMP_NUM_THREADS=1 {entry['command']}" if _on_cpu(meta) else entry["command"])
        if entry["command"]
        else "(no command recorded)",
        "```",
        "",
        f"Weights SHA-256: `{entry['weights_sha256']}`; package version {meta.get('package_version')}.",
        "",
    ]
    return "\n".join(lines)


def recorded_device(argv: list[str]) -> str | None:
    """The `--device` of a `deemo train` argument list (either spelling; the last one wins), None if none."""
    found = None
    for i, arg in enumerate(argv):
        if arg == "--device" and i + 1 < len(argv):
            found = argv[i + 1]
        elif arg.startswith("--device="):
            found = arg.split("=", 1)[1]
    return found


def on_a_device_here(argv: list[str]) -> tuple[list[str], str]:
    """`argv` with `--device cpu` appended when its recorded device is one this machine lacks (a model
    trained on a GPU, rebuilt without one), and a note saying so ('' when nothing changed)."""
    from deemo_gui.core.device import available_devices

    recorded = recorded_device(argv)
    if recorded is None or recorded.split(":")[0] in available_devices():
        return argv, ""
    note = (
        f"no {recorded} device here: training on the CPU instead, not identical to the shipped model "
        "(and a time limit may stop it at an earlier epoch)"
    )
    return [*argv, "--device", "cpu"], note


def rebuild_commands(directory: Path | None = None, only: list[str] | None = None) -> list[list[str]]:
    """The `deemo train` argument lists that rebuild the zoo (from each model's recorded command), with
    `--set KEY=VALUE` for every hyperparameter the file records that its preset no longer has as default
    (e.g. the 128 filters of the zoo's `cnn` models, trained before the preset followed DeMo Table 1)."""
    from deemo_gui.core.networks import preset_hparams, stored_hparams

    directory = Path(directory or zoo_dir())
    commands = []
    for entry in read_index(directory) or build_index(directory):
        if only and entry["name"] not in only:
            continue
        if not entry["command"]:
            raise DataError(f"{entry['file']}: no training command recorded; it cannot be rebuilt")
        argv = shlex.split(entry["command"])
        argv = argv[1:] if argv[0] == "deemo" else argv
        defaults = preset_hparams(entry["preset"])
        for key, value in stored_hparams(entry["preset"], read_metadata(directory / entry["file"])["hparams"]).items():
            if key in defaults and defaults[key] != value:
                argv += ["--set", f"{key}={','.join(map(str, value)) if isinstance(value, list) else value}"]
        commands.append(argv)
    return commands
