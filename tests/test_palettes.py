"""Colour scales and palettes stay readable for the common colour-vision deficiencies.

Each colour is simulated for protanopia, deuteranopia and tritanopia with the matrices of Machado, Oliveira &
Fernandes (2009) at severity 1.0, applied in linear RGB (as Chrome's and Firefox's developer tools do), then
compared in CIELAB (D65) with CIEDE2000 (Sharma, Wu & Dalal 2005; checked below against their test data).

Thresholds (ΔE00):
- APART = 10 for two colours that name different things (lines, bars, markers, outlines on a heatmap). A
  just-noticeable difference between large patches side by side is about 2.3; Szafir (2018, "Modeling Color
  Difference for Visualization Design") measured that thin lines and small marks need several times more, so
  10 (about four JNDs) asks for "tells apart at a glance", not "barely noticeable".
- ENDS = 20 for the two ends of a diverging scale: they share their lightness by design, so the sign is read
  from hue alone, across the figure rather than side by side: twice APART.
- MIDPOINT = 40 between the midpoint of a diverging scale and either end (zero must not read as a large value).
- A sequential scale's CIELAB L* must rise (or fall) at every one of 32 steps by at least 0.5: order readable
  from lightness alone, whatever happens to hue.
"""

import re
from pathlib import Path

import numpy as np
import pytest
from plotly import colors as pc

from seqviz.plotting import embeddings, palette

MACHADO = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
}
VISIONS = ("normal", *MACHADO)
APART, ENDS, MIDPOINT, STEP = 10.0, 20.0, 40.0, 0.5
SRGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
                        [0.0193339, 0.1191920, 0.9503041]])
D65 = np.array([0.95047, 1.0, 1.08883])


# -- colour science --------------------------------------------------------------------------------------------
def srgb(colour: str) -> np.ndarray:
    """"#RRGGBB", "#RGB" or "rgb(r, g, b)" -> sRGB in [0, 1]."""
    c = colour.strip()
    if c.startswith("#"):
        h = c[1:] if len(c) == 7 else "".join(ch * 2 for ch in c[1:])
        return np.array([int(h[i:i + 2], 16) for i in (0, 2, 4)]) / 255.0
    return np.array([float(v) for v in c[c.index("(") + 1:c.index(")")].split(",")[:3]]) / 255.0


def linear(s: np.ndarray) -> np.ndarray:
    return np.where(s <= 0.04045, s / 12.92, ((s + 0.055) / 1.055) ** 2.4)


def lab(colour: str, vision: str = "normal") -> np.ndarray:
    """CIELAB (D65) of a colour as seen with `vision`: simulated in linear RGB, clipped to the gamut."""
    rgb = linear(srgb(colour))
    if vision != "normal":
        rgb = np.clip(np.array(MACHADO[vision]) @ rgb, 0.0, 1.0)
    xyz = SRGB_TO_XYZ @ rgb / D65
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def ciede2000(lab1, lab2) -> float:
    (L1, a1, b1), (L2, a2, b2) = lab1, lab2
    C_bar = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    G = 0.5 * (1 - np.sqrt(C_bar ** 7 / (C_bar ** 7 + 25.0 ** 7)))
    a1p, a2p = (1 + G) * a1, (1 + G) * a2
    C1p, C2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p, h2p = np.degrees(np.arctan2(b1, a1p)) % 360, np.degrees(np.arctan2(b2, a2p)) % 360
    dh = 0.0 if C1p * C2p == 0 else (h2p - h1p + 180) % 360 - 180
    dLp, dCp = L2 - L1, C2p - C1p
    dHp = 2 * np.sqrt(C1p * C2p) * np.sin(np.radians(dh / 2))
    Lbp, Cbp = (L1 + L2) / 2, (C1p + C2p) / 2
    if C1p * C2p == 0:
        hbp = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        hbp = (h1p + h2p) / 2
    else:
        hbp = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    T = (1 - 0.17 * np.cos(np.radians(hbp - 30)) + 0.24 * np.cos(np.radians(2 * hbp))
         + 0.32 * np.cos(np.radians(3 * hbp + 6)) - 0.20 * np.cos(np.radians(4 * hbp - 63)))
    RT = -np.sin(np.radians(60 * np.exp(-(((hbp - 275) / 25) ** 2)))) * 2 * np.sqrt(Cbp ** 7 / (Cbp ** 7 + 25.0 ** 7))
    SL = 1 + 0.015 * (Lbp - 50) ** 2 / np.sqrt(20 + (Lbp - 50) ** 2)
    SC, SH = 1 + 0.045 * Cbp, 1 + 0.015 * Cbp * T
    return float(np.sqrt((dLp / SL) ** 2 + (dCp / SC) ** 2 + (dHp / SH) ** 2 + RT * (dCp / SC) * (dHp / SH)))


def delta_e(c1: str, c2: str, vision: str) -> float:
    return ciede2000(lab(c1, vision), lab(c2, vision))


def samples(scale, n: int = 33) -> list[str]:
    """n colours evenly along a plotly scale (a name or [[position, colour], ...])."""
    return pc.sample_colorscale(pc.get_colorscale(scale) if isinstance(scale, str) else scale, list(np.linspace(0, 1, n)))


# -- the checks, each a function so the known-bad cases below can show that it fails ---------------------------
def lightness_ordered(scale, vision: str) -> bool:
    L = np.diff([lab(c, vision)[0] for c in samples(scale)])
    return bool((L > STEP).all() or (L < -STEP).all())


def diverging_problems(scale, vision: str) -> list[str]:
    cs = samples(scale)
    mid = len(cs) // 2
    out = []
    if delta_e(cs[0], cs[-1], vision) < ENDS:
        out.append(f"ends ΔE00 {delta_e(cs[0], cs[-1], vision):.1f} < {ENDS}")
    for end in (cs[0], cs[-1]):
        if delta_e(cs[mid], end, vision) < MIDPOINT:
            out.append(f"midpoint {cs[mid]} near end {end}")
    for half in (cs[: mid + 1][::-1], cs[mid:]):  # from the midpoint out to each end: darker all the way
        L = np.diff([lab(c, vision)[0] for c in half])
        if not (L < 0).all():
            out.append("a half is not monotonic in lightness")
    for k in (mid // 2, 3 * mid // 4):  # ±0.5 and ±0.75 of the range: opposite signs apart
        if delta_e(cs[mid - k], cs[mid + k], vision) < APART:
            out.append(f"±{k / mid:.2f} too close")
    return out


def close_pairs(colours: list[str], vision: str) -> list[tuple[str, str, float]]:
    return [(a, b, round(delta_e(a, b, vision), 1)) for i, a in enumerate(colours) for b in colours[i + 1:]
            if delta_e(a, b, vision) < APART]


# -- the colour science is right -----------------------------------------------------------------------------------
@pytest.mark.parametrize("lab1, lab2, expected", [  # Sharma, Wu & Dalal (2005), table 1, pairs 1, 2, 7, 17
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 3.1571, -77.2803), (50.0, 0.0, -82.7485), 2.8615),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.5, 0.0), (56.0, -27.0, -3.0), 31.9030),
])
def test_ciede2000_matches_sharmas_test_data(lab1, lab2, expected):
    assert ciede2000(lab1, lab2) == pytest.approx(expected, abs=1e-4)


def test_simulation_keeps_greys_and_merges_what_dichromats_merge():
    for vision in MACHADO:
        assert delta_e("#808080", "#808080", vision) == 0
        assert abs(lab("#808080", vision)[1:]).max() < 1.0  # a grey stays grey
    assert lab("#FFFFFF")[0] == pytest.approx(100, abs=0.01)


def test_the_checks_fail_known_bad_palettes():
    """Each check can fail: red against green for deuteranopes, a rainbow's lightness, red-yellow-green's ends."""
    red, green = "#D62728", "#2CA02C"  # matplotlib's tab:red and tab:green
    assert close_pairs([red, green], "normal") == []
    assert close_pairs([red, green], "deuteranopia")
    assert not lightness_ordered("Jet", "normal") and not lightness_ordered("Rainbow", "deuteranopia")
    assert diverging_problems("RdYlGn", "normal") == []  # fine for normal vision, not for deuteranopes
    assert any("ends" in p for p in diverging_problems("RdYlGn", "deuteranopia"))
    # the colours replaced in palette.py fail the checks they now pass
    assert min(delta_e("#9E9E9E", c, v) for c in samples(palette.SEQUENTIAL, 65) for v in VISIONS) < APART
    assert min(delta_e(palette.VERMILLION, c, v) for c in samples(palette.DIVERGING, 65) for v in VISIONS) < APART
    assert min(delta_e(palette.BLACK, c, "protanopia") for c in samples(palette.DIVERGING, 65)) < APART


# -- the app's palettes ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("vision", VISIONS)
@pytest.mark.parametrize("name", list(palette.SEQUENTIAL_SCALES))
def test_sequential_scales_are_ordered_in_lightness(name, vision):
    scale = palette.SEQUENTIAL_SCALES[name]
    assert lightness_ordered(scale, vision)
    L = [lab(c, vision)[0] for c in samples(scale)]
    assert abs(L[-1] - L[0]) > 60  # dark to light, not a narrow band


@pytest.mark.parametrize("vision", VISIONS)
@pytest.mark.parametrize("name", list(palette.DIVERGING_SCALES))
def test_diverging_scales_keep_their_ends_and_midpoint_apart(name, vision):
    assert diverging_problems(palette.DIVERGING_SCALES[name], vision) == []


@pytest.mark.parametrize("vision", VISIONS)
@pytest.mark.parametrize("name", list(palette.CATEGORICAL))
def test_categorical_colours_stay_apart(name, vision):
    assert close_pairs(palette.CATEGORICAL[name], vision) == []


@pytest.mark.parametrize("vision", VISIONS)
@pytest.mark.parametrize("name", list(palette.OVERLAYS))
def test_overlays_stand_out_from_every_colour_of_their_scales(name, vision):
    colour, scales = palette.OVERLAYS[name]
    for scale in scales:
        nearest = min(delta_e(colour, c, vision) for c in samples(scale, 65))
        assert nearest >= APART, (name, scale, round(nearest, 1))


@pytest.mark.parametrize("vision", VISIONS)
def test_word_map_groups_differ_in_colour_or_symbol(vision):
    """The explorer's groups cycle seven colours; groups that share a colour (or whose colours come close) must
    differ in marker symbol, and the symbol is set on the figure itself."""
    import plotly.graph_objects as go

    groups = [f"group {k:02d}" for k in range(20)] + [None]
    fig = embeddings.word_map(np.random.default_rng(0).normal(size=(len(groups), 2)), [f"w{k}" for k in range(len(groups))],
                              groups, ["axis 1", "axis 2"])
    fig = fig[0] if isinstance(fig, tuple) else fig
    style = {t.name: (t.marker.color, t.marker.symbol or "circle") for t in fig.data if isinstance(t, go.Scatter)}
    assert len(style) == 21
    names = sorted(style)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            (ca, sa), (cb, sb) = style[a], style[b]
            assert sa != sb or delta_e(ca, cb, vision) >= APART, (a, b, style[a], style[b])


def test_figures_take_their_colours_from_the_palette():
    """No hex colour is written in a figure builder: they all come from seqviz/plotting/palette.py, which the
    tests above check. (styling.py lists inks it recognises for the dark theme; those are not drawn colours.)"""
    root = Path(__file__).resolve().parent.parent / "seqviz" / "plotting"
    found = {p.name: re.findall(r"[\"']#[0-9A-Fa-f]{3,8}[\"']", p.read_text()) for p in root.glob("*.py")
             if p.name not in ("palette.py", "styling.py")}
    assert {k: v for k, v in found.items() if v} == {}
