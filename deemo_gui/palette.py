"""The one colour definition of deemo: nucleotides, tracks, hit boxes and the ISM colormap.

Qt-free (hex strings and float tuples), so the Qt items in `deemo_gui.qt.plots` and the
matplotlib / logomaker exports in `deemo_gui.core.logo_export` draw with the same colours.

Nucleotides follow the seeds' palette and the classic logo convention (A green, C blue, G orange,
T red; Schneider & Stephens 1990, WebLogo); rows are always in the order A C G T.
"""

from __future__ import annotations

ALPHABET = "ACGT"

# A green, C blue, G orange, T red
NUCLEOTIDE_COLORS: dict[str, str] = {
    "A": "#109648",
    "C": "#255C99",
    "G": "#F7B32B",
    "T": "#D62839",
}
# Anything that is not A/C/G/T (N, gaps, IUPAC codes) is drawn grey.
UNKNOWN_COLOR = "#9E9E9E"

# Display conventions shared by the Qt plots and the exports --------------------------------
# Positions are shown 1-based (genome browsers, JASPAR/FIMO hit tables, the Deep Motif Dashboard
# figures); data coordinates and APIs stay 0-based array indices. Shown = index + POSITION_OFFSET.
POSITION_OFFSET = 1

# Tracks ---------------------------------------------------------------------------------------
SALIENCY_COLOR = "#4D4D4D"  # saliency bars when no sequence is given to colour them by base
FORWARD_COLOR = "#5E3C99"  # temporal score, forward LSTM direction (purple)
BACKWARD_COLOR = "#1B998B"  # temporal score, backward LSTM direction (teal)
GUIDE_COLOR = "#8C8C8C"  # 0.5 guide line of temporal curves, zero lines
SELECTION_COLOR = "#FFD166"  # selected range (drawn translucent, see SELECTION_ALPHA)
SELECTION_ALPHA = 0.30
HIGHLIGHT_COLOR = "#4EA8DE"  # highlighted logo columns (drawn translucent)
HIGHLIGHT_ALPHA = 0.18
TEXT_COLOR = "#222222"
BACKGROUND_COLOR = "#FFFFFF"
AXIS_COLOR = "#444444"

# Annotation boxes (JASPAR hits). Chosen away from the four nucleotide hues so a box never
# reads as a base; cycled when a hit comes without its own colour.
HIT_COLORS: tuple[str, ...] = ("#6A4C93", "#00838F", "#8D6E63", "#C2185B", "#455A64", "#7CB342")

# Diverging colormap for signed maps (ISM, attributions), centred on 0: blue = prediction goes
# down, white = no change, red = prediction goes up (ColorBrewer RdBu, reversed).
DIVERGING: tuple[tuple[float, str], ...] = (
    (0.0, "#2166AC"),
    (0.25, "#92C5DE"),
    (0.5, "#F7F7F7"),
    (0.75, "#F4A582"),
    (1.0, "#B2182B"),
)


def nucleotide_color(letter: str) -> str:
    """Hex colour of one base (case-insensitive; U is coloured like T; others grey)."""
    c = letter.upper()
    if c == "U":
        c = "T"
    return NUCLEOTIDE_COLORS.get(c, UNKNOWN_COLOR)


def hex_to_rgb(color: str) -> tuple[int, int, int]:
    """'#RRGGBB' -> (r, g, b) ints 0-255."""
    s = color.lstrip("#")
    if len(s) != 6:
        raise ValueError(f"colour {color!r} is not of the form #RRGGBB")
    return int(s[0:2], 16), int(s[2:4], 16), int(s[4:6], 16)


def hex_to_rgbf(color: str) -> tuple[float, float, float]:
    """'#RRGGBB' -> (r, g, b) floats 0-1 (matplotlib / logomaker)."""
    r, g, b = hex_to_rgb(color)
    return r / 255.0, g / 255.0, b / 255.0


def hit_color(index: int) -> str:
    """Default colour of the `index`-th annotation box."""
    return HIT_COLORS[index % len(HIT_COLORS)]


def logomaker_color_scheme() -> dict[str, tuple[float, float, float]]:
    """`color_scheme=` argument for `logomaker.Logo`: {letter: (r, g, b)}."""
    return {b: hex_to_rgbf(NUCLEOTIDE_COLORS[b]) for b in ALPHABET}


WINDOW_COLOR = "#2A9D8F"  # the window of a longer sequence that a model explains (box, shading)
SOFT_MASK_BG = "#E6E6E6"  # background of soft-masked (lower-case) bases
