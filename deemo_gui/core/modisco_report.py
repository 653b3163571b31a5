"""A TF-MoDISco report as one self-contained HTML file: every logo embedded as a base64 PNG (nothing
linked, so it can be mailed), the patterns with their seqlet counts, CWM and PWM logos on both strands,
the Tomtom matches with the matched JASPAR logo, the seqlets with their records and coordinates, and
how it was all computed. Written atomically (`core.atomic`).
"""

from __future__ import annotations

import base64
import html
import os
import tempfile

import numpy as np

from deemo_gui.core.atomic import write_text

# Seqlets listed per pattern (all are counted; the TSV export has every one).
SEQLETS_SHOWN = 50
TOMTOM_NOTE = (
    "Tomtom as implemented by memelite (Euclidean distance between columns; q-values by "
    "Benjamini-Hochberg over the query's comparisons), not MEME's (Pearson correlation, Storey q)."
)

_CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:4px 8px;vertical-align:middle;
font-size:13px}th{background:#f3f3f3}img{display:block;max-height:110px}.small{color:#666;font-size:12px}
.seq{font-family:"DejaVu Sans Mono",monospace}.match{color:#1a7f37;font-weight:bold}.weak{color:#888}
"""


def _png(matrix, ylabel: str, tmpdir: str, name: str) -> str:
    from deemo_gui.core.logo_export import save_logo

    path = os.path.join(tmpdir, f"{name}.png")
    save_logo(matrix, path, ylabel=ylabel, xlabel="", height=1.5, dpi=90)
    with open(path, "rb") as fh:
        data = base64.b64encode(fh.read()).decode("ascii")
    return f'<img alt="{html.escape(name)}" src="data:image/png;base64,{data}">'


def _bits(probs: np.ndarray) -> np.ndarray:
    from deemo_gui.core.motifs import PWM

    p = PWM.from_probs(probs + 1e-6)
    return p.probs * p.information_content()[None, :]


def _fmt(v: float) -> str:
    return f"{v:.1e}" if v < 1e-3 else f"{v:.3g}"


def _matches_cell(pattern, jaspar, tmpdir: str, k: int) -> str:
    if pattern.matches is None or pattern.matches.empty:
        return '<span class="weak">not compared</span>'
    rows = []
    for r in pattern.matches.itertuples(index=False):
        cls = "match" if r.q < 0.05 and not pattern.low_information else "weak"
        rows.append(
            f'<span class="{cls}">{html.escape(r.target_id)} {html.escape(r.target_name)}</span> '
            f"q = {_fmt(r.q)}, E = {_fmt(r.E)} ({r.strand})"
        )
    best = pattern.matches.iloc[0]
    logo = ""
    target = jaspar.get(best["target_id"])
    if target is not None:
        t = target if best["strand"] == "+" else target.reverse_complement()
        logo = _png(t.probs * t.information_content()[None, :], "bits", tmpdir, f"jaspar{k}")
    flat = (
        '<br><span class="weak">too flat for Tomtom (under 0.5 bits per column): matches not counted</span>'
        if pattern.low_information
        else ""
    )
    return "<br>".join(rows) + flat + logo


def report_html(result, title: str = "TF-MoDISco report") -> str:
    """The report of a `core.modisco.ModiscoResult` as one HTML string."""
    from deemo_gui.core.modisco import ATTRIBUTION_LABELS, TRIM_THRESHOLD

    jaspar = {}
    if result.release:
        from deemo_gui.core.motifs import JasparDB

        jaspar = {p.id: p for p in JasparDB(result.release).all()}
    s = result.settings
    out = [
        (
            f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>"
        )
    ]
    n_seqlets = sum(p.n_seqlets for p in result.patterns)
    out.append(
        f"<p>Model <b>{html.escape(result.model or 'model')}</b>, task <b>{html.escape(result.task)}</b>; "
        f"{len(result.sequences):,} sequences; attributions: {html.escape(ATTRIBUTION_LABELS[result.attribution])}"
        f"{' (' + html.escape(result.note) + ')' if result.note else ''}. {len(result.patterns)} patterns "
        f"from {n_seqlets:,} seqlets. TF-MoDISco (modisco-lite): window {s.window}, flank {s.flank}, target FDR "
        f"{s.target_fdr:g}, at most {s.max_seqlets:,} seqlets per metacluster, {s.leiden_runs} Leiden runs. "
        f"Patterns trimmed to the columns with at least {TRIM_THRESHOLD:g} of the largest |CWM| column sum "
        f"(modisco-lite's report). Matches against {html.escape(result.release or 'no database')} CORE "
        f"vertebrates. {html.escape(TOMTOM_NOTE)} Sequences longer than the model's input were explained on "
        f"their best window; coordinates are 1-based in the records as given.</p>"
    )
    times = ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items())
    out.append(f"<p class='small'>Time: {html.escape(times)}.</p>")
    if not result.patterns:
        out.append(
            "<p><b>No pattern found.</b> TF-MoDISco needs at least "
            f"{s.min_metacluster_size} seqlets of one sign: give more (or longer) sequences.</p>"
        )
    with tempfile.TemporaryDirectory(prefix="deemo-report-") as tmp:
        out.append(
            "<h2>Patterns</h2><table><tr><th>#</th><th>pattern</th><th>seqlets</th>"
            "<th>CWM (forward)</th><th>CWM (reverse)</th><th>PWM (forward)</th><th>PWM (reverse)</th>"
            "<th>Tomtom matches (best drawn)</th></tr>"
        )
        for k, p in enumerate(result.patterns):
            cells = [
                _png(p.trimmed("cwm"), "contribution", tmp, f"cwm{k}f"),
                _png(p.trimmed("cwm", reverse=True), "contribution", tmp, f"cwm{k}r"),
                _png(_bits(p.trimmed("ppm")), "bits", tmp, f"pwm{k}f"),
                _png(_bits(p.trimmed("ppm", reverse=True)), "bits", tmp, f"pwm{k}r"),
            ]
            out.append(
                f"<tr><td>{k + 1}</td><td>{html.escape(p.name)}<br><span class='seq'>"
                f"{html.escape(p.pwm().consensus())}</span></td><td>{p.n_seqlets:,}</td>"
                + "".join(f"<td>{c}</td>" for c in cells)
                + f"<td>{_matches_cell(p, jaspar, tmp, k)}</td></tr>"
            )
        out.append("</table>")
    for k, p in enumerate(result.patterns):
        shown = sorted(p.seqlets, key=lambda q: -q.score)[:SEQLETS_SHOWN]
        out.append(
            f"<h2>{k + 1}. {html.escape(p.name)}: {p.n_seqlets:,} seqlets"
            f"{f' (the {len(shown)} highest-scoring shown)' if len(shown) < p.n_seqlets else ''}</h2>"
            "<table><tr><th>record</th><th>start</th><th>end</th><th>strand</th><th>contribution</th>"
            "<th>bases (pattern orientation)</th></tr>"
        )
        for q in shown:
            out.append(
                f"<tr><td>{html.escape(result.ids[q.record])}</td><td>{q.start + 1}</td><td>{q.end}</td>"
                f"<td>{q.strand}</td><td>{q.score:.3g}</td><td class='seq'>"
                f"{html.escape(result.seqlet_text(q))}</td></tr>"
            )
        out.append("</table>")
    out.append(
        "<p class='small'>Made with deemo-gui. TF-MoDISco: Shrikumar et al. 2018, arXiv:1811.00416; "
        "modisco-lite by J. Schreiber. Tomtom: Gupta et al. 2007.</p></body></html>"
    )
    return "\n".join(out)


def write_report(result, path, title: str = "TF-MoDISco report") -> str:
    """Write `report_html(result)` to `path` atomically; returns the path."""
    return write_text(path, report_html(result, title))


def seqlets_tsv(result) -> str:
    """Every seqlet: pattern, record id, start (1-based), end, strand, contribution, bases."""
    lines = ["pattern\trecord\tstart\tend\tstrand\tcontribution\tbases"]
    for p in result.patterns:
        for q in p.seqlets:
            lines.append(
                f"{p.name}\t{result.ids[q.record]}\t{q.start + 1}\t{q.end}\t{q.strand}\t{q.score:.4g}\t"
                f"{result.seqlet_text(q)}"
            )
    return "\n".join(lines) + "\n"
