"""Altschul–Erickson dinucleotide-preserving shuffle.

Altschul & Erickson (1985) Mol Biol Evol 2:526; the Eulerian-walk form of Kandel et al. (1996),
as used by DeepBind (Alipanahi et al. 2015) to make ChIP-seq negatives. The shuffled sequence has
exactly the same dinucleotide counts, first letter and last letter as the original, and every
such sequence is equally likely.
"""

from __future__ import annotations

import numpy as np


def dinucleotide_shuffle(seq: str, rng: np.random.Generator) -> str:
    """One random sequence with the same dinucleotide counts as `seq` (any alphabet)."""
    if len(seq) <= 2:
        return seq
    edges: dict[str, list[str]] = {}
    for a, b in zip(seq, seq[1:]):
        edges.setdefault(a, []).append(b)
    last = seq[-1]
    # Choose one exit edge per vertex (the last one taken from it) so that the exit edges form a
    # tree rooted at the final letter; then every ordering of the other edges is an Eulerian walk.
    while True:
        exit_edge = {v: out[rng.integers(len(out))] for v, out in edges.items() if v != last}
        if all(_reaches(v, last, exit_edge) for v in exit_edge):
            break
    walks: dict[str, list[str]] = {}
    for v, out in edges.items():
        rest = list(out)
        if v in exit_edge:
            rest.remove(exit_edge[v])
        order = rng.permutation(len(rest))
        walks[v] = [rest[i] for i in order] + ([exit_edge[v]] if v in exit_edge else [])
    position = {v: 0 for v in walks}
    out_seq = [seq[0]]
    v = seq[0]
    for _ in range(len(seq) - 1):
        nxt = walks[v][position[v]]
        position[v] += 1
        out_seq.append(nxt)
        v = nxt
    return "".join(out_seq)


def _reaches(start: str, root: str, exit_edge: dict[str, str]) -> bool:
    seen = set()
    v = start
    while v != root:
        if v in seen:
            return False
        seen.add(v)
        v = exit_edge[v]
    return True


def shuffle_all(seqs: list[str], seed: int = 0) -> list[str]:
    """Dinucleotide-shuffle every sequence with one seeded generator (reproducible)."""
    rng = np.random.default_rng(seed)
    return [dinucleotide_shuffle(s, rng) for s in seqs]
