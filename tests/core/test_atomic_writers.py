"""Every file the app or the CLI writes goes through `core.atomic` (a temporary file renamed over the
target): a write call in deemo_gui/ writes into the temporary path `tmp` that `atomic_path` hands out,
or its text goes through `atomic.write_text`. A new writer that opens its target directly fails here."""

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "deemo_gui"
# Calls that create or overwrite a file, and the form each must take inside an `atomic_path` block.
WRITES = {
    r"\bopen\([^)]*['\"][wax]b?\+?['\"]": r"\bopen\(tmp\b",
    r"\.savefig\(": r"\.savefig\(tmp\b",
    r"\bsave_file\(": r"\bsave_file\(state, tmp\b",
    r"\bnp\.savez?(_compressed)?\(": r"\bnp\.savez?(_compressed)?\(\s*(fh|buf|tmp)\b",  # buf: in memory
    r"\.to_csv\((?!sep=|index=|\))": r"$^",
    r"\.setFileName\(": r"\.setFileName\(tmp\)",
    r"\bQPdfWriter\(": r"\bQPdfWriter\(tmp\)",
    r"\b(img|image)\.save\(": r"\b(img|image)\.save\(tmp\b",
    r"\.write_(text|bytes)\(": r"$^",  # pathlib's, not atomic.write_text (called as write_text(...))
}
# Not user files: the self-test's console log, TF-MoDISco's private scratch folder (removed after the run).
ALLOWED = {
    ("selftest.py", "open("),
    ("core/modisco_engine.py", "open(os.path.join(folder, "),
    ("core/modisco_engine.py", "np.save(os.path.join(folder, "),
}


def _writes():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel == "core/atomic.py":
            continue
        lines = [line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines()]
        for n, code in enumerate(lines, 1):
            for pattern, required in WRITES.items():
                if re.search(pattern, code):  # a call's arguments may go on to the next line
                    yield rel, n, " ".join(lines[n - 1 : n + 1]), required


def test_every_write_goes_through_a_temporary_file():
    direct = [
        f"{rel}:{n}: {code}"
        for rel, n, code, required in _writes()
        if not re.search(required, code) and not any(rel == f and frag in code for f, frag in ALLOWED)
    ]
    assert not direct, "writes that bypass core.atomic:\n" + "\n".join(direct)


def test_the_check_sees_the_writers_it_guards():
    seen = {(rel, code.split("(")[0]) for rel, _, code, _ in _writes()}
    assert any(rel == "qt/plots/stack.py" for rel, _ in seen)  # figure export
    assert any(rel == "core/logo_export.py" for rel, _ in seen)  # matplotlib
    assert any(rel == "viewer/export.py" for rel, _ in seen)  # FASTA, predictions
    assert any(rel == "cli/explain.py" for rel, _ in seen)  # npz
