"""The workflow's configuration (data sets × presets × seeds) and the `deemo` command lines its rules run.

The Snakefile (`workflows/Snakefile`) and `deemo workflow` share this module, so the command a rule
runs, the one its log shows and the one `deemo workflow init` describes are the same. A config is
YAML (a JSON file is YAML too):

    datasets:
      REST_GM12878: {train: .../REST_GM12878_AC.seq.gz, negatives: shuffle, test: .../REST_GM12878_B.seq.gz}
      CTCF: {train: ctcf_train.fa, labels: ctcf_train.target, test: ctcf_test.fa, test_labels: ctcf_test.target}
      peaks: {train: peaks.narrowPeak, genome: hg38.fa}
    presets: [cnn, rnn]
    seeds: [0]
    epochs: 10             # or {cnn: 10, rnn: 12, default: 10}; null: the preset's
    converge: false        # true: each preset to convergence (`deemo train --converge`; epochs: then caps it)
    device: cpu            # cuda: the train rule asks for one GPU
    score: {data: big.fa, models: [m.safetensors], chunks: 8}   # optional: scoring in chunks
    # (or {genome: hg38.fa, data: regions.bed (optional), tile: 50, ...}: a per-position track too)
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

from deemo_gui.core.errors import ConfigError

# The `deemo train` data options a data set may set (key -> flag).
DATA_KEYS = {
    "labels": "--labels",
    "negatives": "--negatives",
    "test": "--test",
    "test_labels": "--test-labels",
    "test_fraction": "--test-fraction",
    "genome": "--genome",
    "max_train": "--max-train",
    "length": "--length",
    "test_chroms": "--test-chroms",
    "valid_chroms": "--valid-chroms",
}
PATH_KEYS = ("train", "labels", "test", "test_labels", "genome")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]*(?:_[A-Za-z0-9.-]+)*$")
DEFAULTS = {
    "presets": ["cnn"],
    "seeds": [0],
    "epochs": None,
    "minutes": None,
    "converge": False,
    "device": "cpu",
    "threads": 2,
    "explain": ["saliency"],
    "motifs": "filters",
    "compare": "JASPAR2024",
    "max_seqs": 500,
    "deemo": "deemo",
}
SCORE_DEFAULTS = {
    "data": None,
    "genome": None,
    "chunks": 4,
    "window": "best",
    "stride": 1,
    "both_strands": False,
    "tile": 50,
}


def load_config(path, presets: list[str] | None = None) -> dict:
    """The config at `path` with defaults filled in and checked; one-line ConfigErrors on mistakes."""
    import yaml

    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as fh:
            raw = yaml.safe_load(fh)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the workflow config ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"{path}: not a YAML/JSON workflow config ({str(exc).splitlines()[0]}); "
            "write one with `deemo workflow init`"
        ) from None
    return checked(raw, path, presets)


def checked(raw, where: str = "config", presets: list[str] | None = None) -> dict:
    """`raw` (a parsed config) with defaults, or a ConfigError naming `where` and the key to fix; the presets
    are checked against `presets` when given (the Snakefile does not, so that it never imports torch)."""
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{where}: a workflow config is a mapping (datasets:, presets:, ...); write one with `deemo workflow init`"
        )
    unknown = sorted(set(raw) - set(DEFAULTS) - {"datasets", "score"})
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}; known: datasets, score, {', '.join(DEFAULTS)}")
    config = {**DEFAULTS, **raw, "datasets": dict(raw.get("datasets") or {})}
    for name, ds in config["datasets"].items():
        if not NAME.match(str(name)):
            raise ConfigError(f"{where}: data set name {name!r}: use letters, digits, '.', '-' and single '_'")
        if not isinstance(ds, dict) or not ds.get("train"):
            raise ConfigError(f"{where}: data set {name}: give at least `train: FILE`")
        bad = sorted(set(ds) - set(DATA_KEYS) - {"train"})
        if bad:
            raise ConfigError(f"{where}: data set {name}: unknown key {bad[0]!r}; known: train, {', '.join(DATA_KEYS)}")
    for key in ("presets", "seeds", "explain"):
        if not isinstance(config[key], list):
            config[key] = [config[key]] if config[key] is not None else []
    for preset in config["presets"]:
        if presets is not None and preset not in presets:
            raise ConfigError(f"{where}: unknown preset {preset!r}; see `deemo presets`")
    if not isinstance(config["converge"], bool):
        raise ConfigError(f"{where}: converge: {config['converge']!r}: write true or false")
    if config["device"] not in ("auto", "cpu", "cuda", "mps"):
        raise ConfigError(f"{where}: device {config['device']!r}: choose auto, cpu, cuda or mps")
    if config.get("score") is not None:
        score = {**SCORE_DEFAULTS, **config["score"]}
        if not (score.get("data") or score["genome"]) or not score.get("models"):
            raise ConfigError(
                f"{where}: score: give `models: [MODEL, ...]` and `data: FASTA` or `genome: FASTA` "
                "(with `data: BED` to score only its regions)"
            )
        score["models"] = list(score["models"]) if isinstance(score["models"], list) else [score["models"]]
        config["score"] = score
    if not config["datasets"] and not config.get("score"):
        raise ConfigError(f"{where}: nothing to do: give `datasets:` (to train) or `score:` (to score)")
    return config


def epochs_for(config: dict, preset: str) -> int | None:
    epochs = config.get("epochs")
    return epochs.get(preset, epochs.get("default")) if isinstance(epochs, dict) else epochs


def data_args(ds: dict) -> list[str]:
    """The `deemo train` arguments that read data set `ds` (TRAIN_DATA first)."""
    args = [str(ds["train"])]
    for key, flag in DATA_KEYS.items():
        if ds.get(key) is not None:
            args += [flag, str(ds[key])]
    return args


def data_inputs(ds: dict) -> list[str]:
    """The files a data set reads (a rule's inputs: a changed file re-runs what depends on it)."""
    files = [str(ds[k]) for k in PATH_KEYS if ds.get(k)]
    return files + ([str(ds["negatives"])] if ds.get("negatives") not in (None, "shuffle", "gc") else [])


def eval_data(ds: dict) -> tuple[str, list[str]] | None:
    """(file, extra `deemo evaluate` args) of a data set's test file, or None (held-out split or chromosomes)."""
    if not ds.get("test") or ds.get("genome"):
        return None
    return str(ds["test"]), (["--labels", str(ds["test_labels"])] if ds.get("test_labels") else [])


def train_command(config: dict, name: str, preset: str, seed, out: str) -> list[str]:
    ds = config["datasets"][name]
    argv = [
        config["deemo"],
        "train",
        *data_args(ds),
        "--arch",
        preset,
        "--seed",
        str(seed),
        "--device",
        config["device"],
        "--no-baselines",
        "--out",
        out,
    ]
    epochs = epochs_for(config, preset)
    if epochs:
        argv += ["--epochs", str(epochs)]
    if config.get("minutes"):
        argv += ["--time", f"{config['minutes']}m"]
    if config.get("converge"):
        argv += ["--converge"]
    return argv


def shell(argv: list[str], threads: int | None = None) -> str:
    """A shell line for `argv` (with the thread count torch should use)."""
    line = shlex.join(argv)
    return f"OMP_NUM_THREADS={threads} {line}" if threads else line


def model_name(dataset: str, preset: str, seed, several_seeds: bool) -> str:
    """The zoo's file stem: `{dataset}_{preset}` (`{dataset}-s{seed}_{preset}` with several seeds), so
    `core.zoo.entry_for` reads dataset and preset back from it."""
    return f"{dataset}-s{seed}_{preset}" if several_seeds else f"{dataset}_{preset}"


def snakefile() -> Path:
    """`workflows/Snakefile` of the source checkout (the workflow is not part of a wheel)."""
    path = Path(__file__).resolve().parents[2] / "workflows" / "Snakefile"
    if not path.is_file():
        raise ConfigError(f"{path}: the workflow ships with the source checkout; clone the repository to use it")
    return path


def profile_dir(name: str) -> Path:
    """A profile folder: `local`, `slurm` (the shipped ones) or a path."""
    path = snakefile().parent / "profiles" / name if name in ("local", "slurm") else Path(name)
    if not (path / "config.yaml").is_file():
        raise ConfigError(f"{path}: no Snakemake profile here (config.yaml); use local, slurm or a profile folder")
    return path


def snakemake_command(
    config_path,
    workdir=None,
    profile: str = "local",
    cores: int | None = None,
    dry_run: bool = False,
    targets: list[str] | None = None,
    extra: list[str] | None = None,
) -> list[str]:
    """The snakemake command line that runs the workflow of `config_path` in `workdir` (default: its folder).
    `--rerun-incomplete` so that a run killed midway is resumed: its half-made outputs are redone."""
    import shutil
    import sys

    exe = Path(sys.executable).with_name("snakemake")
    base = (
        [str(exe)]
        if exe.exists()
        else ([shutil.which("snakemake")] if shutil.which("snakemake") else [sys.executable, "-m", "snakemake"])
    )
    config_path = Path(config_path).resolve()
    argv = [
        *base,
        "--snakefile",
        str(snakefile()),
        "--configfile",
        str(config_path),
        "--directory",
        str(Path(workdir or config_path.parent).resolve()),
        "--profile",
        str(profile_dir(profile).resolve()),
        "--rerun-incomplete",
    ]
    if cores:
        argv += ["--cores", str(cores)]
    if dry_run:
        argv.append("--dry-run")
    return argv + list(extra or []) + list(targets or [])


def _pid_file(workdir) -> Path:
    return Path(workdir) / ".snakemake" / "deemo-run.pid"


def record_run(workdir, pid: int) -> None:
    """Note which process runs the workflow in `workdir` (so a later run can tell a stale lock)."""
    from deemo_gui.core.atomic import write_text

    _pid_file(workdir).parent.mkdir(parents=True, exist_ok=True)
    write_text(_pid_file(workdir), f"{pid}\n")


def stale_lock(workdir) -> int | None:
    """The pid of the killed run that left Snakemake's lock in `workdir`, None when there is no lock; a
    ConfigError when that run is still alive (two runs must not make the same files)."""
    locks, pid_file = Path(workdir) / ".snakemake" / "locks", _pid_file(workdir)
    if not (locks.is_dir() and any(locks.iterdir()) and pid_file.exists()):
        return None
    pid = int(pid_file.read_text().strip() or 0)
    if not _alive(pid):
        return pid
    raise ConfigError(f"{workdir}: another workflow run (pid {pid}) is working here; wait for it or stop it")


def _alive(pid: int) -> bool:
    """Whether process `pid` runs: a zombie (killed, its parent gone and not yet reaped) does not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # no /proc (macOS, Windows): the signal's answer stands
        return True
    return stat.rpartition(")")[2].split()[:1] != ["Z"]
