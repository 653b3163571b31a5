"""TF and data-set names from model names, files and metadata; common TF aliases to JASPAR names.

Shipped models are named `<TF>_<cell>_<preset>` (REST_GM12878_cnn), training files
`<TF>_<cell>_<split>.seq.gz` (REST_GM12878_AC.seq.gz). DREAM5's anonymised TFs (`TF_40_CHIP_…`)
and generic stems (ctcf_train, peaks, test) name no TF. Qt-free.
"""

from __future__ import annotations

import os
import re

# Widely used names -> the JASPAR (HGNC) name. JASPAR CORE names its matrices by the gene symbol.
ALIASES = {
    "OCT4": "POU5F1",
    "OCT3/4": "POU5F1",
    "OCT34": "POU5F1",
    "OCT3": "POU5F1",
    "OCT1": "POU2F1",
    "OCT2": "POU2F2",
    "OCT6": "POU3F1",
    "BRN2": "POU3F2",
    "NRSF": "REST",
    "BORIS": "CTCFL",
    "CMYC": "MYC",
    "C-MYC": "MYC",
    "NMYC": "MYCN",
    "P53": "TP53",
    "P63": "TP63",
    "P73": "TP73",
    "PU1": "SPI1",
    "PU.1": "SPI1",
    "NFKB": "RELA",
    "NF-KB": "RELA",
    "P65": "RELA",
    "AP1": "FOS::JUN",
    "AP-1": "FOS::JUN",
    "ER": "ESR1",
    "ERA": "ESR1",
    "ERALPHA": "ESR1",
    "GR": "NR3C1",
    "MR": "NR3C2",
    "PR": "PGR",
    "RXR": "RXRA",
    "HNF4": "HNF4A",
    "HNF1": "HNF1A",
    "HNF3A": "FOXA1",
    "HNF3B": "FOXA2",
    "HNF6": "ONECUT1",
    "LRF": "ZBTB7A",
    "POKEMON": "ZBTB7A",
    "FBI1": "ZBTB7A",
    "GABP": "GABPA",
    "NRF2": "NFE2L2",
    "SREBP1": "SREBF1",
    "SREBP2": "SREBF2",
    "CREB": "CREB1",
    "ZIF268": "EGR1",
    "KROX20": "EGR2",
    "MYOD": "MYOD1",
    "NEUROD": "NEUROD1",
    "USF": "USF1",
    "NFY": "NFYA",
    "CEBPA": "CEBPA",
    "C/EBPB": "CEBPB",
    "CEBP": "CEBPB",
    "STAT5": "STAT5A",
    "TCF7L2": "TCF7L2",
    "TCF4": "TCF7L2",
    "LEF": "LEF1",
    "HIF1": "HIF1A",
    "AHR": "AHR::ARNT",
    "YY-1": "YY1",
    "SP-1": "SP1",
    "GATA-1": "GATA1",
    "ELK-1": "ELK1",
    "EBF": "EBF1",
    "OLIG": "OLIG2",
    "SOX-2": "SOX2",
    "BCL6B": "BCL6B",
    "TEAD": "TEAD1",
    "TR": "THRB",
    "VDR": "VDR",
    "AR": "AR",
}

# tokens that name a split, a format, an architecture or nothing at all, never a TF
_NOT_TF = {
    "TF",
    "TRAIN",
    "TEST",
    "VALID",
    "VALIDATION",
    "PEAKS",
    "PEAK",
    "SEQ",
    "SEQS",
    "SEQUENCES",
    "DATA",
    "CHIP",
    "GENOMIC",
    "POS",
    "NEG",
    "POSITIVES",
    "NEGATIVES",
    "AC",
    "B",
    "SYNTH",
    "SYNTHETIC",
    "CNN",
    "RNN",
    "DEEPBIND",
    "DEMO",
    "KOO",
    "MODEL",
    "UNSAVED",
    "FA",
    "FASTA",
    "TSV",
    "BED",
}


def jaspar_name(tf: str | None) -> str | None:
    """The JASPAR name of `tf` (an alias such as Oct4 -> POU5F1), upper case; None for nothing."""
    if not tf or not str(tf).strip():
        return None
    text = str(tf).strip().upper()
    return ALIASES.get(text) or ALIASES.get(text.replace("-", "").replace("_", "")) or text


def _stem(text: str) -> str:
    base = os.path.basename(str(text).split()[0]) if str(text).strip() else ""
    return re.sub(
        r"(\.(gz|bz2|xz|seq|fa|fasta|fna|tsv|txt|csv|bed|narrowpeak|safetensors))+$", "", base, flags=re.IGNORECASE
    )


def tf_token(text: str | None) -> str | None:
    """The TF a name or file names (REST_GM12878_cnn -> REST, ctcf_train.fa -> CTCF); None for
    TF_40_CHIP_100_genomic, peaks.fa and other names that carry no TF."""
    if not text:
        return None
    tokens = [t for t in re.split(r"[_\s]+", _stem(text)) if t]
    if not tokens:
        return None
    first = tokens[0].upper()
    if first in _NOT_TF or not re.fullmatch(r"[A-Z][A-Z0-9.\-:/]*", first) or len(first) < 2:
        return None
    if re.fullmatch(r"(MA|PB|PF|PH|UN|CN)\d+(\.\d+)?", first):
        return None
    return first


def split_model_name(name: str, preset: str | None = None) -> tuple[str, str, str]:
    """(data set, TF, architecture) of a model name: REST_GM12878_deepbind -> ("REST GM12878", "REST",
    "deepbind"); "cnn on REST_GM12878_AC" -> ("REST GM12878", "REST", "cnn"). The data set is "" when
    the name carries none."""
    name = re.sub(r"\s*\((unsaved|\d+)\)$", "", str(name)).strip()
    arch = preset or ""
    m = re.fullmatch(r"(\S+) on (.+)", name)
    if m:  # a model trained in the app: "<preset> on <training file stem>"
        arch = arch or m.group(1)
        name = m.group(2)
    elif arch and name.endswith("_" + arch):
        name = name[: -len(arch) - 1]
    tokens = [t for t in re.split(r"[_\s]+", _stem(name)) if t]
    while tokens and tokens[-1].upper() in _NOT_TF:  # REST_GM12878_AC -> REST GM12878
        tokens.pop()
    tf = tf_token(tokens[0]) if tokens else None
    return " ".join(tokens), tf or "", arch
