"""Figures for the speech lesson (pages/speech_recognition.py). Pure builders, no streamlit, no model; each returns
the figure and the table of the numbers behind it: `fig, table = spectrogram_figure(...)`.

Time runs along x in seconds everywhere, so a spectrogram and the attention drawn under it line up:
input frame t sits at t·hop/rate seconds, and encoder frame j (REDUCTION input frames) spans
[j·R, (j+1)·R) input frames.

- spectrogram_figure: log-mel x_t(m), bands labelled by their centre frequency (sequential scale, its own range);
- alignment_figure: the spectrogram on top and α_ij (characters x time, sequential [0, 1]) below, sharing x;
  the current decoding step outlined;
- step_figure: at one output character i, α_ij over time (bars) and the five likeliest characters;
- waveform_figure: the shipped low-rate waveform, for reading levels and duration;
- cer_bars: CER per voice or per speed, held-out ones marked;
- training_curve: CER on the snapshot subset against training step.

Every figure is built as plain dicts (traces, axes, the subplot layout from plotting.subplots) and checked by
plotly once (plotting.figure): building them trace by trace and axis by axis re-validated the whole figure at
every call, most of the lesson's rerun.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from seqviz.plotting import OKABE_ITO, SEQUENTIAL, figure, layout, subplots, trace_ref

# SPECTRUM: magma without its first, near-black stop (that stop drew pink in the browser here): the spectrogram's
# own sequential scale, so it never reads as attention weights (Viridis, [0, 1])
from seqviz.plotting.palette import HEARD, HELD_OUT, HIGHLIGHT as OUTLINE, SPECTRUM  # noqa: E402


def char_label(c: str) -> str:
    """Characters on an axis: the space made visible, specials kept short; plotly treats ticks as HTML."""
    return {" ": "␣", "<eos>": "⟨eos⟩", "<bos>": "⟨bos⟩", "<pad>": "⟨pad⟩"}.get(c, c.replace("<", "&lt;"))


def band_centres(n_mels: int, f_min: float, f_max: float) -> np.ndarray:
    from seqviz.tasks.speech import hz_to_mel, mel_to_hz

    return mel_to_hz(np.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2))[1:-1]


def _spectrogram_trace(features: np.ndarray, frame_seconds: float, centres: np.ndarray,
                       colorbar: dict | None = None) -> dict:
    """The spectrogram as a heatmap trace dict. Fixed display range: from the floor of silence, log ε (digital
    silence between words), to the loudest."""
    from seqviz.tasks.speech import LOG_FLOOR

    T = features.shape[0]
    z = np.ascontiguousarray(features.T, dtype=np.float64)  # (F, T)
    trace = dict(
        type="heatmap", z=z, x=(np.arange(T) + 0.5) * frame_seconds, y=np.arange(len(centres)),
        colorscale=SPECTRUM, zmin=float(np.log(LOG_FLOOR)), zmax=max(float(z.max()), 0.0),
        showscale=colorbar is not None,
        customdata=np.repeat(np.round(centres)[:, None], T, axis=1),
        hovertemplate="t = %{x:.2f} s<br>band %{y} (~%{customdata:.0f} Hz)<br>x = %{z:.2f}<extra></extra>")
    if colorbar is not None:
        trace["colorbar"] = colorbar
    return trace


def _band_axis(centres) -> dict:
    """The y axis of a spectrogram: about five ticks labelled by their band's centre frequency."""
    ticks = list(range(0, len(centres), max(1, len(centres) // 5)))
    return dict(tickmode="array", tickvals=ticks, ticktext=[f"{centres[k]:.0f}" for k in ticks],
                title=dict(text="mel band (Hz)"))


def spectrogram_figure(features: np.ndarray, frame_seconds: float, centres: np.ndarray) -> tuple[go.Figure, pd.DataFrame]:
    """features (T, F) log-mel; frame_seconds = hop / rate; centres (F,) band centre frequencies."""
    trace = _spectrogram_trace(features, frame_seconds, centres, dict(title=dict(text="log power")))
    fig = figure([trace], layout(300, yaxis=_band_axis(centres), xaxis=dict(title=dict(text="time (s)"))))
    table = pd.DataFrame(features, columns=[f"{c:.0f} Hz" for c in centres])
    table.insert(0, "time_s", (np.arange(len(features)) + 0.5) * frame_seconds)
    return fig, table


def alignment_figure(features: np.ndarray, weights: np.ndarray, tokens: list[str], frame_seconds: float,
                     reduction: int, centres: np.ndarray, step: int | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """Spectrogram (T, F) on top; α (L, S) below with each encoder frame drawn over the input frames it
    covers; tokens (L,) label the rows; step (1-based) outlines that character's row."""
    W = np.asarray(weights, dtype=float)
    L, S = W.shape
    if len(tokens) != L:
        raise ValueError(f"{len(tokens)} tokens for {L} rows of weights")
    T = features.shape[0]
    lay, (top, bottom) = subplots(2, 1, shared_xaxes=True, vertical_spacing=0.04, row_heights=(0.3, 0.7))
    start = np.arange(S) * reduction  # first input frame of encoder frame j; the last one may cover fewer than R
    x = (start + np.minimum(start + reduction, T)) / 2 * frame_seconds  # centre of what encoder frame j covers, s
    custom = np.array([[f"{j * reduction * frame_seconds:.2f}-{min((j + 1) * reduction, T) * frame_seconds:.2f}"
                        for j in range(S)]] * L)
    data = [{**_spectrogram_trace(features, frame_seconds, centres), **trace_ref(top)},
            dict(type="heatmap", z=W, x=x, y=np.arange(1, L + 1), colorscale=SEQUENTIAL, zmin=0, zmax=1,
                 colorbar=dict(title=dict(text="α"), tickvals=[0, 0.5, 1], len=0.65, y=0.33), customdata=custom,
                 hovertemplate="character %{y}<br>encoder frame %{customdata} s<br>α = %{z:.3f}<extra></extra>",
                 **trace_ref(bottom))]
    lay[top[1]].update(_band_axis(centres))
    lay[bottom[1]].update(tickmode="array", tickvals=list(range(1, L + 1)), ticktext=[char_label(t) for t in tokens],
                          autorange="reversed", title=dict(text="output character i"), tickfont=dict(size=15))
    lay[bottom[0]].update(title=dict(text="time (s)"), range=[0, T * frame_seconds])
    if step is not None and 1 <= step <= L:
        ref = trace_ref(bottom)
        lay["shapes"] = [dict(type="rect", x0=0, x1=T * frame_seconds, y0=step - 0.5, y1=step + 0.5,
                              line=dict(color=OUTLINE, width=3), xref=ref["xaxis"], yref=ref["yaxis"])]
    table = pd.DataFrame(W, columns=[f"frame {j + 1}" for j in range(S)])
    table.insert(0, "character", list(tokens))
    return figure(data, {**lay, **layout(260 + 22 * L)}), table


def step_figure(weights_row: np.ndarray, frame_seconds: float, reduction: int, top_tokens: list[str],
                top_probs: np.ndarray, step: int) -> tuple[go.Figure, pd.DataFrame]:
    """Left: α_ij of character `step` over time; right: the five likeliest characters p(y_i | y_<i, x)."""
    w = np.asarray(weights_row, dtype=float)
    # the panel geometry does not depend on the titles' text: one cached layout for every step, titles filled in
    lay, (left, right) = subplots(1, 2, ("α", "p"), column_widths=(0.7, 0.3), horizontal_spacing=0.1)
    for note, text in zip(lay["annotations"], [f"α<sub>{step}j</sub> over time",
                                               f"p(y<sub>{step}</sub> | y<sub>&lt;{step}</sub>, x)"]):
        note["text"] = text
    x = (np.arange(len(w)) + 0.5) * reduction * frame_seconds
    labels = [char_label(t) for t in top_tokens]
    data = [dict(type="bar", x=x, y=w, width=reduction * frame_seconds * 0.9, marker=dict(color=OKABE_ITO[2]),
                 hovertemplate="t = %{x:.2f} s<br>α = %{y:.3f}<extra></extra>", showlegend=False, **trace_ref(left)),
            dict(type="bar", x=np.asarray(top_probs, dtype=float), y=labels, orientation="h",
                 marker=dict(color=OKABE_ITO[0]), hovertemplate="%{y}: p = %{x:.3f}<extra></extra>", showlegend=False,
                 **trace_ref(right))]
    lay[left[1]].update(range=[0, 1], title=dict(text="α"))
    lay[left[0]].update(title=dict(text="time (s)"))
    lay[right[0]].update(range=[0, 1], title=dict(text="probability"))
    lay[right[1]].update(autorange="reversed", tickfont=dict(size=18))
    return figure(data, {**lay, **layout(300)}), pd.DataFrame({"time_s": x, "alpha": w})


def waveform_figure(wave: np.ndarray, rate: int, max_points: int = 3000) -> tuple[go.Figure, pd.DataFrame]:
    """The waveform (amplitude in [-1, 1]) against time; long clips are thinned to max_points for drawing."""
    keep = max(1, len(wave) // max_points)
    y = np.asarray(wave[::keep], dtype=float)
    x = np.arange(len(y)) * keep / rate
    trace = dict(type="scatter", x=x, y=y, mode="lines", line=dict(color=OKABE_ITO[0], width=1),
                 hovertemplate="t = %{x:.3f} s<br>amplitude %{y:.3f}<extra></extra>")
    fig = figure([trace], layout(200, xaxis=dict(title=dict(text="time (s)")),
                                 yaxis=dict(title=dict(text="amplitude"), range=[-1, 1])))
    return fig, pd.DataFrame({"time_s": x, "amplitude": y})


def cer_bars(groups: dict[str, dict], held_out: list[str], title: str) -> tuple[go.Figure, pd.DataFrame]:
    """groups: value -> {"cer", "utterances"}; held-out values in orange, heard ones in blue."""
    names = list(groups)
    cer = np.array([groups[n]["cer"] for n in names], dtype=float)
    colours = [HELD_OUT if n in held_out else HEARD for n in names]
    counts = [groups[n]["utterances"] for n in names]
    trace = dict(type="bar", x=[str(n) for n in names], y=cer * 100, marker=dict(color=colours), customdata=counts,
                 text=[f"{c:.1%}" for c in cer], textposition="outside",
                 hovertemplate="%{x}<br>CER %{y:.2f}%<br>%{customdata} utterances<extra></extra>")
    fig = figure([trace], layout(320, yaxis=dict(title=dict(text="CER (%)"), rangemode="tozero",
                                                 range=[0, max(12.0, float(cer.max()) * 130)]),
                                 xaxis=dict(title=dict(text=title), type="category")))
    return fig, pd.DataFrame([{title: k, **v} for k, v in groups.items()])


def training_curve(steps: list[int], cer: list[float], current: int | None = None) -> tuple[go.Figure, pd.DataFrame]:
    data = [dict(type="scatter", x=steps, y=np.asarray(cer) * 100, mode="lines+markers", line=dict(color=OKABE_ITO[0]),
                 hovertemplate="step %{x}<br>CER %{y:.1f}%<extra></extra>")]
    if current is not None and current in steps:
        k = steps.index(current)
        data.append(dict(type="scatter", x=[current], y=[cer[k] * 100], mode="markers",
                         marker=dict(size=16, color=OUTLINE), hoverinfo="skip", showlegend=False))
    fig = figure(data, layout(300, showlegend=False, xaxis=dict(title=dict(text="training step")),
                              yaxis=dict(title=dict(text="CER on test subset (%)"), rangemode="tozero")))
    return fig, pd.DataFrame({"step": steps, "cer": cer})
