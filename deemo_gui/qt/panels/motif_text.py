"""How motif panels word their numbers and matches: p / E / q values, durations, Tomtom's best match
of a motif and why a flat motif is not compared. Qt-free, shared by the Motifs, Class optimization,
Filters and TF-MoDISco panels."""

from __future__ import annotations


def fmt_p(value) -> str:
    """p, E and q values: two significant digits, scientific below 0.001."""
    v = float(value)
    if v != v:
        return "–"
    if v == 0:
        return "0"
    if v < 1e-3:
        return f"{v:.1e}"
    return f"{v:.2g}" if v < 10 else f"{v:.0f}"


def match_text(m, with_id: bool = True) -> str:
    """'ALX4 · MA0853.1 · E = 2.1e-04', or why there is no clear match (one line)."""
    if m is None or m.best_row is None:
        return "no JASPAR comparison"
    core = f"{m.best_name} · {m.best_id}" if with_id else m.best_name
    if m.significant:
        return f"{core} · E = {fmt_p(m.best_E)}"
    if m.low_information:
        return f"not comparable: {low_information_text(m.pwm)} (Tomtom's best {core}, E = {fmt_p(m.best_E)})"
    return f"no clear match (best {core}, E = {fmt_p(m.best_E)})"


def low_information_text(pwm) -> str:
    """'too flat, 1.2 bits over 9 columns' for a `low_information` motif."""
    return f"too flat, {pwm.total_ic:.1f} bits over {pwm.width} columns"


LOW_INFORMATION_TIP = (
    "Below {bits:g} bits per column on average, a motif is too flat for Tomtom: it "
    "'matches' the weak columns of long matrices (e.g. CTCF MA1930) with tiny E-values "
    "even when it is random. Such matches are not counted."
)


def fmt_duration(seconds: float) -> str:
    """'0.4 s', '12 s', '2 min 5 s'."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{int(seconds // 60)} min {round(seconds % 60)} s"


def motif_label(m) -> str:
    """Short name of an extracted motif for tables: its method, and the filter for activation motifs."""
    if m.method == "activation":
        return f"activation, {m.pwm.name.replace(' activation', '')}"
    return {"saliency": "saliency 9-mers", "temporal": "temporal output", "classopt": "class optimization"}.get(
        m.method, m.label
    )
