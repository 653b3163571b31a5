"""The shipped models against the baselines stored in their files (`deemo zoo baselines`), with the trust
verdict the app shows: writes the `zoo-trust` section of BENCHMARKS.md.

    python benchmarks/zoo_trust.py
"""

from __future__ import annotations

import logging
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.report import replace_section  # noqa: E402
from deemo_gui.core.modelfile import load_model  # noqa: E402
from deemo_gui.core.verdict import for_model  # noqa: E402
from deemo_gui.core.zoo import shipped_model_paths  # noqa: E402


def rows() -> list[dict]:
    out = []
    for path in shipped_model_paths():
        model = load_model(path)
        meta, v = model.metadata, for_model(model)
        b = meta.get("baselines") or {}
        out.append(
            {
                "name": Path(path).stem,
                "preset": meta["preset"],
                "test": meta["test"]["auroc"],
                "kmer": (b.get("kmer") or {}).get("test_auroc"),
                "pwm": (b.get("pwm") or {}).get("test_auroc"),
                "pwm_name": (b.get("pwm") or {}).get("name"),
                "level": v.level,
            }
        )
    return out


def table(rs: list[dict]) -> str:
    lines = ["| model | preset | network | k-mer | best PWM (chosen on train) | verdict |", "|---|---|---|---|---|---|"]
    for r in rs:
        beat = r["test"] >= max(r["kmer"] or 0, r["pwm"] or 0) - 0.01
        lines.append(
            f"| {r['name']} | {r['preset']} | {r['test']:.3f}{'' if beat else ' ✗'} | {r['kmer']:.3f} | "
            f"{r['pwm']:.3f} ({r['pwm_name']}) | {r['level']} |"
        )
    counts = Counter(r["level"] for r in rs)
    by_preset = Counter(r["preset"] for r in rs if r["level"] == "untrusted")
    lines += [
        "",
        f"Verdicts: {counts['trusted']} trusted, {counts['caution']} caution, {counts['untrusted']} "
        f"untrusted of {len(rs)}; untrusted by preset: "
        + ", ".join(f"{p} {n}" for p, n in sorted(by_preset.items()))
        + ". ✗ = below max(k-mer, PWM) − 0.01 test AUROC.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    logging.disable(logging.WARNING)
    body = table(rows())
    print(body)
    replace_section("zoo-trust", "### Shipped models vs their built-in baselines (test AUROC)\n\n" + body)
