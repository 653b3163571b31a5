"""The real benchmark datasets bundled in resources/data, with how to load them and their baselines."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from deemo_gui.core.sequences import SequenceSet, load_dataset

DATA = Path(__file__).resolve().parents[1] / "resources" / "data"

# Test AUROC of the JASPAR 2024 matrix alone (best log-odds over both strands), from the data's
# README (resources/data/SOURCES.md); CTCF: "the JASPAR CTCF matrix (MA0139) alone gives about 0.93".
ENCODE = {
    "ARID3A_K562": ("MA0151", 0.589),
    "CTCFL_K562": ("MA1102", 0.794),
    "ELK1_GM12878": ("MA0028", 0.922),
    "FOXA1_HepG2": ("MA0148", 0.918),
    "GABPA_GM12878": ("MA0062", 0.908),
    "MYC_H1-hESC": ("MA0147", 0.822),
    "REST_GM12878": ("MA0138", 0.956),
    "SP1_GM12878": ("MA0079", 0.624),
    "USF1_HepG2": ("MA0093", 0.976),
    "ZBTB7A_HepG2": ("MA0750", 0.522),
}


@dataclass
class Benchmark:
    name: str
    jaspar_id: str
    pwm_auroc: float

    def train_set(self, seed: int = 0) -> SequenceSet:
        if self.name == "CTCF":
            d = DATA / "ctcf_gifford"
            return load_dataset(d / "ctcf_train.fa", labels=d / "ctcf_train.target")
        # DeepBind's training files hold bound peaks only; negatives are dinucleotide shuffles
        # of each positive, as DeepBind and the Deep Motif Dashboard did.
        return load_dataset(DATA / "deepbind_encode" / f"{self.name}_AC.seq.gz", negatives="shuffle", seed=seed)

    def test_set(self) -> SequenceSet:
        if self.name == "CTCF":
            d = DATA / "ctcf_gifford"
            return load_dataset(d / "ctcf_test.fa", labels=d / "ctcf_test.target")
        return load_dataset(DATA / "deepbind_encode" / f"{self.name}_B.seq.gz")

    def train_command(self) -> list[str]:
        """The `deemo train` data arguments that load this training set (paths relative to the repo)."""
        if self.name == "CTCF":
            return [
                "resources/data/ctcf_gifford/ctcf_train.fa",
                "--labels",
                "resources/data/ctcf_gifford/ctcf_train.target",
                "--test",
                "resources/data/ctcf_gifford/ctcf_test.fa",
                "--test-labels",
                "resources/data/ctcf_gifford/ctcf_test.target",
            ]
        return [
            f"resources/data/deepbind_encode/{self.name}_AC.seq.gz",
            "--negatives",
            "shuffle",
            "--test",
            f"resources/data/deepbind_encode/{self.name}_B.seq.gz",
        ]


BENCHMARKS = {name: Benchmark(name, jid, auc) for name, (jid, auc) in ENCODE.items()}
BENCHMARKS["CTCF"] = Benchmark("CTCF", "MA0139", 0.93)
