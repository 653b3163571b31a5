"""The Snakemake workflow end to end on the local profile (real data subsets): killed midway and restarted,
then a second run does nothing; the SLURM profile's dry run; genome-wide scoring in chunks with a track."""

from __future__ import annotations

import csv
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("snakemake")

from deemo_gui.cli.main import main as deemo  # noqa: E402
from deemo_gui.core.errors import ConfigError  # noqa: E402
from deemo_gui.core.modelfile import read_metadata  # noqa: E402
from deemo_gui.core.workflow import checked, stale_lock  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "resources" / "data"
BIN = Path(sys.executable).parent
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "OMP_NUM_THREADS": "1"}
ZOO_MODEL = ROOT / "models" / "REST_GM12878_cnn.safetensors"


def workflow(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "deemo"), "workflow", *map(str, args)],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
        **kwargs,
    )


def tiny_config(path: Path, *extra) -> None:
    ctcf = DATA / "ctcf_gifford"
    result = workflow(
        "init",
        path,
        "--data",
        DATA / "deepbind_encode" / "REST_GM12878_AC.seq.gz",
        "--data",
        f"name=CTCF,train={ctcf / 'ctcf_train.fa'},labels={ctcf / 'ctcf_train.target'},"
        f"test={ctcf / 'ctcf_test.fa'},test_labels={ctcf / 'ctcf_test.target'}",
        "--presets",
        "deepbind",
        "--epochs",
        "1",
        "--max-train",
        "400",
        "--threads",
        "1",
        "--compare",
        "",
        *extra,
    )
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """2 data sets x 1 preset x 1 epoch, and the test genome scored in 2 chunks by a shipped model: killed
    (SIGKILL, with its jobs) once a training has started, restarted to completion, then run a third time."""
    sys.path.insert(0, str(Path(__file__).parent))
    from _genome import build

    base = tmp_path_factory.mktemp("wf")
    genome = build(base / "genome")
    config = base / "run" / "config.yaml"
    tiny_config(config, "--genome", genome.fasta, "--models", ZOO_MODEL, "--chunks", "2", "--tile", "50")
    work = config.parent
    proc = subprocess.Popen(
        [str(BIN / "deemo"), "workflow", "run", str(config), "--cores", "2"],
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while not list(work.glob("logs/*/deepbind/s0/train.log")) and time.monotonic() < deadline:
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    killed = {
        "models": sorted(p.name for p in work.glob("work/*/deepbind/s0/model.safetensors")),
        "zoo": (work / "zoo" / "index.json").exists(),
    }
    t0 = time.perf_counter()
    resumed = workflow("run", config, "--cores", "2")
    seconds = time.perf_counter() - t0
    again = workflow("run", config, "--cores", "2")
    return {
        "config": config,
        "work": work,
        "killed": killed,
        "resumed": resumed,
        "again": again,
        "seconds": seconds,
        "genome": genome,
    }


def test_a_killed_run_restarts_and_completes(tiny_run):
    assert not tiny_run["killed"]["zoo"] and len(tiny_run["killed"]["models"]) < 2  # killed midway
    resumed = tiny_run["resumed"]
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    assert "was killed; removing its lock and resuming" in resumed.stdout
    assert "--rerun-incomplete" in resumed.stdout.splitlines()[0]


def test_a_second_run_does_nothing(tiny_run):
    again = tiny_run["again"]
    assert again.returncode == 0
    assert "Nothing to be done" in again.stdout + again.stderr


def test_the_zoo_step_writes_cards_index_and_accuracy_tables(tiny_run):
    zoo = tiny_run["work"] / "zoo"
    index = json.loads((zoo / "index.json").read_text())["models"]
    assert sorted(e["name"] for e in index) == ["CTCF_deepbind", "REST_GM12878_deepbind"]
    results = json.loads((zoo / "accuracy.json").read_text())["runs"]
    assert set(results) == {"deepbind/CTCF", "deepbind/REST_GM12878"}
    for e in index:
        meta = read_metadata(zoo / e["file"])
        row = results[f"deepbind/{e['dataset']}"]
        assert row["test_auroc"] == e["test_auroc"] and row["epochs_run"] == 1
        # `deemo evaluate` (its own rule) agrees with the AUROC the training stored
        assert abs(row["evaluate_auroc"] - row["test_auroc"]) < 1e-4
        assert meta["training"]["n_train"] + meta["training"]["n_valid"] == 400
        # the baselines were fitted once per data set (their own rule) and attached to the zoo's copy
        assert meta["baselines"]["kmer"]["test_auroc"] > 0.7
        assert "deemo train" in (zoo / f"{e['name']}.md").read_text()
    rest = read_metadata(zoo / "REST_GM12878_deepbind.safetensors")["baselines"]
    assert rest["pwm"]["name"] == "REST" and rest["pwm"]["test_auroc"] > 0.9  # the RE1 motif, real data
    table = (zoo / "accuracy.md").read_text()
    assert "| REST_GM12878 | 0.956 |" in table and "| CTCF | 0.930 |" in table  # the README's single-PWM AUROCs
    assert "Summary over data sets" in table
    work = tiny_run["work"] / "work"
    for name in ("REST_GM12878", "CTCF"):
        npz = np.load(work / name / "deepbind" / "s0" / "explain_saliency.npz")
        assert npz["attributions"].shape == (1000, 4, 101) and np.isfinite(npz["attributions"]).all()
        assert (work / name / "deepbind" / "s0" / "motifs.meme").read_text().startswith("MEME version")


def test_a_rule_log_starts_with_a_command_that_reruns_it(tiny_run):
    work = tiny_run["work"]
    log = work / "logs" / "REST_GM12878" / "deepbind" / "s0" / "evaluate.log"
    line = log.read_text().splitlines()[0]
    words = shlex.split(line)
    assert words[:3] == ["OMP_NUM_THREADS=1", "deemo", "evaluate"] and words[-2] == ">"
    out = words[-1]
    before = json.loads((work / out).read_text())
    (work / out).unlink()
    subprocess.run(line, shell=True, cwd=work, env=ENV, check=True, timeout=120)
    assert json.loads((work / out).read_text()) == before


def test_slurm_dry_run_shows_the_resource_requests(tmp_path):
    config = tmp_path / "config.yaml"
    tiny_config(
        config,
        "--device",
        "cuda",
        "--score",
        ROOT / "resources" / "examples" / "REST_GM12878_test.fa",
        "--models",
        ZOO_MODEL,
    )
    result = workflow("run", config, "--profile", "slurm", "--dry-run")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    blocks = {}
    for block in result.stdout.split("\n\n"):
        lines = block.strip().splitlines()
        rule = next((ln.split()[-1].rstrip(":") for ln in lines if ln.startswith(("rule ", "localrule "))), None)
        res = next((ln for ln in lines if ln.strip().startswith("resources:")), None)
        if rule and res:
            blocks[rule] = res
    assert {
        "baselines",
        "train",
        "evaluate",
        "explain",
        "motifs",
        "zoo",
        "score_split",
        "score_predict",
        "score_gather",
    } <= set(blocks)
    for rule in ("train", "explain", "score_predict"):
        assert "slurm_partition=gpu" in blocks[rule] and "gpu=1" in blocks[rule]
    assert "mem_mb=8000" in blocks["train"]
    assert "slurm_partition=cpu" in blocks["baselines"] and "gpu=0" in blocks["baselines"]
    assert "This was a dry-run" in result.stdout
    assert not (tmp_path / "work").exists()


def test_genome_scoring_in_chunks_gathers_one_table_and_a_track(tiny_run):
    genome, work = tiny_run["genome"], tiny_run["work"]
    out = work / "score" / "REST_GM12878_cnn"
    with open(out / "scores.csv") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["id", "p_bound"]
    tiles = [
        line.split("\t")
        for c in ("chunk_000", "chunk_001")
        for line in (work / "score" / "chunks" / f"{c}.bed").read_text().splitlines()
    ]
    assert len(rows) - 1 == len(tiles) == sum(-(-len(s) // 50) for s in genome.chroms.values())
    # in genome order: each row is the window centred on its tile
    for (rid, _), (chrom, start, end) in zip(rows[1:], tiles):
        centre = (int(start) + int(end)) // 2
        assert rid == f"{chrom}:{centre - 50}-{centre + 51}(+)"
    scores = np.array([float(p) for _, p in rows[1:]])
    import pyBigWig

    track = pyBigWig.open(str(out / "track.bw"))
    assert track.chroms() == {c: len(s) for c, s in genome.chroms.items()}
    first = track.intervals("chr1")[:3]
    assert [(s, e) for s, e, _ in first] == [(0, 50), (50, 100), (100, 150)]
    assert np.allclose([v for _, _, v in first], scores[:3], atol=1e-6)
    # the shipped REST model finds the inserted REST peaks: the best tile by each peak beats most tiles
    best = [track.stats(p["chrom"], p["insert"], p["insert"] + 101, type="max")[0] for p in genome.peaks]
    assert np.median(best) > np.quantile(scores, 0.9)


def test_split_then_gather_equals_one_predict(tmp_path, capsys):
    from deemo_gui.core.scatter import gather_tables, split_records

    fasta = ROOT / "resources" / "examples" / "REST_GM12878_test.fa"
    parts = split_records(fasta, tmp_path, 3)
    assert [p.name for p in parts] == ["chunk_000.fa", "chunk_001.fa", "chunk_002.fa"]
    for p in parts:
        assert deemo(["predict", str(ZOO_MODEL), str(p), "--out", str(p.with_suffix(".csv"))]) == 0
    assert deemo(["predict", str(ZOO_MODEL), str(fasta), "--out", str(tmp_path / "whole.csv")]) == 0
    assert gather_tables([p.with_suffix(".csv") for p in parts], tmp_path / "gathered.csv") == 1000
    assert (tmp_path / "gathered.csv").read_text() == (tmp_path / "whole.csv").read_text()


def test_bad_configs_are_one_line(tmp_path, capsys):
    with pytest.raises(ConfigError, match="unknown key 'epoch'"):
        checked({"datasets": {"a": {"train": "x.fa"}}, "epoch": 3}, "c.yaml")
    with pytest.raises(ConfigError, match="data set a: give at least `train: FILE`"):
        checked({"datasets": {"a": {}}}, "c.yaml")
    with pytest.raises(ConfigError, match="nothing to do"):
        checked({}, "c.yaml")
    assert deemo(["workflow", "init", str(tmp_path / "c.yaml"), "--data", str(tmp_path / "missing.fa")]) == 2
    assert deemo(["workflow", "init", str(tmp_path / "c.yaml"), "--data", str(ZOO_MODEL), "--presets", "nope"]) == 2
    assert deemo(["workflow", "init", str(tmp_path / "c.yaml"), "--data", f"{ZOO_MODEL},max_train"]) == 2
    (tmp_path / "bad.yaml").write_text("datasets: [unclosed\n")
    assert deemo(["workflow", "run", str(tmp_path / "bad.yaml")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 4 and all(line.startswith("deemo: error: ") for line in err)
    assert "missing.fa: no such file" in err[0] and "unknown preset 'nope'" in err[1]
    assert "'max_train' is not KEY=VALUE" in err[2] and "bad.yaml: not a YAML/JSON workflow config" in err[3]


def test_a_data_spec_names_its_files_and_fills_in_deepbind_sets(tmp_path):
    from deemo_gui.cli.workflow import parse_spec
    from deemo_gui.core.workflow import data_args, epochs_for, train_command

    train = DATA / "deepbind_encode" / "REST_GM12878_AC.seq.gz"
    name, ds = parse_spec(f"{train},max_train=500")
    assert name == "REST_GM12878" and ds == {
        "train": str(train),
        "max_train": 500,
        "negatives": "shuffle",
        "test": str(DATA / "deepbind_encode" / "REST_GM12878_B.seq.gz"),
    }
    assert data_args(ds) == [str(train), "--negatives", "shuffle", "--test", ds["test"], "--max-train", "500"]
    config = checked({"datasets": {name: ds}, "epochs": {"default": 10, "rnn": 12}}, "c.yaml")
    assert (epochs_for(config, "rnn"), epochs_for(config, "cnn")) == (12, 10)
    assert "--converge" not in train_command(config, name, "cnn", 0, "m.safetensors")
    config = checked({"datasets": {name: ds}, "converge": True}, "c.yaml")
    assert train_command(config, name, "cnn", 0, "m.safetensors")[-1] == "--converge"
    with pytest.raises(ConfigError, match="converge: 'yes please': write true or false"):
        checked({"datasets": {name: ds}, "converge": "yes please"}, "c.yaml")


def test_run_print_gives_the_snakemake_command(tmp_path, capsys):
    import yaml

    (tmp_path / "c.yaml").write_text(yaml.safe_dump({"datasets": {"REST": {"train": str(ZOO_MODEL)}}}))
    assert (
        deemo(
            ["workflow", "run", str(tmp_path / "c.yaml"), "--profile", "slurm", "--print", "--snakemake=--keep-going"]
        )
        == 0
    )
    argv = shlex.split(capsys.readouterr().out.strip())
    assert argv[argv.index("--snakefile") + 1] == str(ROOT / "workflows" / "Snakefile")
    assert argv[argv.index("--directory") + 1] == str(tmp_path)
    assert argv[argv.index("--profile") + 1] == str(ROOT / "workflows" / "profiles" / "slurm")
    assert argv[-2:] == ["--rerun-incomplete", "--keep-going"]


def test_a_live_run_holds_its_folder_a_dead_one_does_not(tmp_path):
    from deemo_gui.core.workflow import record_run

    (tmp_path / ".snakemake" / "locks").mkdir(parents=True)
    (tmp_path / ".snakemake" / "locks" / "0.input.lock").write_text("x")
    assert stale_lock(tmp_path) is None  # no run of ours recorded: Snakemake's own message stands
    record_run(tmp_path, os.getpid())
    with pytest.raises(ConfigError, match=f"another workflow run \\(pid {os.getpid()}\\)"):
        stale_lock(tmp_path)
    dead = subprocess.Popen(["true"])
    dead.wait()
    record_run(tmp_path, dead.pid)
    assert stale_lock(tmp_path) == dead.pid


def test_a_killed_run_not_yet_reaped_counts_as_dead(tmp_path):
    """CI's clean clone: the killed Snakemake, orphaned and not yet reaped (a zombie), was taken for a run
    still working and the restart refused."""
    from deemo_gui.core.workflow import record_run

    (tmp_path / ".snakemake" / "locks").mkdir(parents=True)
    (tmp_path / ".snakemake" / "locks" / "0.input.lock").write_text("x")
    zombie = subprocess.Popen(["sleep", "60"])
    record_run(tmp_path, zombie.pid)
    with pytest.raises(ConfigError, match="another workflow run"):
        stale_lock(tmp_path)  # alive
    os.kill(zombie.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{zombie.pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert stale_lock(tmp_path) == zombie.pid  # killed, not yet reaped
    zombie.wait()
