"""Every colour the figures draw with, in one place, and the roles tests/test_palettes.py checks them in.

Roles (each checked under protanopia, deuteranopia and tritanopia, Machado et al. 2009, severity 1):
- sequential scales (probabilities, gates, spectrogram energy): lightness rises monotonically end to end;
- diverging scales (signed values): the two ends tell apart, and the midpoint from both;
- categorical sets (colours that name different things in one figure without another cue): every pair tells
  apart; figures that cycle OKABE_ITO past its distinct colours add a second cue (dash or marker symbol);
- overlays (outlines and masks drawn on top of a scale): apart from every colour of that scale.
Named CSS colours ("black", "white") are left to styling.py, which swaps them for the dark theme.
"""

from __future__ import annotations

from plotly import colors as _pc

# -- Okabe & Ito (2008), "Color Universal Design": eight colours chosen to stay apart for dichromats ------
BLUE, ORANGE, GREEN, PINK, VERMILLION, SKY, YELLOW, BLACK = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442", "#000000")
OKABE_ITO = [BLUE, ORANGE, GREEN, PINK, VERMILLION, SKY, YELLOW, BLACK]

# -- neutral greys --------------------------------------------------------------------------------------------
GREY = "#9E9E9E"  # points outside every group, secondary marks
LIGHT_GREY = "#BBBBBB"  # "before" bars, words outside the window, faint context lines
DARK_GREY = "#555555"  # reference lines (chance level)
TEXT_GREY = "#333333"  # word labels on a light map
GRID = "#EEEEEE"  # grid lines and shaded bands
BIAS_GREY = "#999999"  # the bias term beside two coloured terms

# -- scales -----------------------------------------------------------------------------------------------------
SEQUENTIAL = "Viridis"  # probabilities and gates, fixed to [0, 1]
DIVERGING = "RdBu_r"  # signed values: blue negative, white 0, red positive
# spectrogram energy: Magma without its near-black first colour, a different sequential scale from Viridis so it
# never reads as attention weights
SPECTRUM = [[k / (len(_pc.sequential.Magma) - 2), c] for k, c in enumerate(_pc.sequential.Magma[1:])]

# -- marks drawn over a scale -------------------------------------------------------------------------------------
HIGHLIGHT = VERMILLION  # outlines and markers on Viridis heatmaps and on white (the step shown, the chosen word)
# cells a mask forbids (weight exactly 0), drawn over Viridis. A mid grey: the light greys used before (#D0D0D0,
# #9E9E9E) fell within ΔE00 6-9 of Viridis's greens and yellows for protanopes, deuteranopes or tritanopes.
MASKED = "#606060"
MASK_GREY = MASKED  # the attention lesson's name
# the step and unit outlined on heatmaps that use both scales (gates, bidirectional): vermillion vanished into
# RdBu's reds (ΔE00 2 for tritanopes) and black into its dark ends (8.8 for protanopes); this grey stays ≥ 13
# from every colour of Viridis and RdBu for every colour vision.
UNIT_OUTLINE = "#606060"

# -- categorical sets: colours that name different things in one figure, with no other cue ------------------------
HEARD, HELD_OUT = BLUE, ORANGE  # speech: voices and rates heard in training or held out
FORWARD, BACKWARD = BLUE, VERMILLION  # bidirectional: the two directions
ARCHITECTURES = {"Vanilla RNN": VERMILLION, "LSTM": BLUE, "GRU": GREEN}  # gradients and compare
WINDOW = {"centre": VERMILLION, "context": BLUE, "outside": LIGHT_GREY}  # word2vec's sliding window
BEFORE, AFTER, CHOSEN = LIGHT_GREY, BLUE, VERMILLION  # gpt: before and after a sampling step, the drawn token

SEQUENTIAL_SCALES = {"SEQUENTIAL": SEQUENTIAL, "SPECTRUM": SPECTRUM}
DIVERGING_SCALES = {"DIVERGING": DIVERGING}
CATEGORICAL = {
    "OKABE_ITO": OKABE_ITO,  # cycled for lines and bars; every pair must stay apart
    "speech heard / held out": [HEARD, HELD_OUT],
    "bidirectional directions": [FORWARD, BACKWARD, BIAS_GREY],
    "architectures": list(ARCHITECTURES.values()) + [DARK_GREY],
    "word2vec window": list(WINDOW.values()),
    "gpt before / after / chosen": [BEFORE, AFTER, CHOSEN],
}
OVERLAYS = {  # name: (colour, the scales it is drawn on)
    "HIGHLIGHT": (HIGHLIGHT, [SEQUENTIAL]),
    "MASK_GREY": (MASK_GREY, [SEQUENTIAL]),
    "MASKED": (MASKED, [SEQUENTIAL]),
    "UNIT_OUTLINE": (UNIT_OUTLINE, [SEQUENTIAL, DIVERGING]),
}
