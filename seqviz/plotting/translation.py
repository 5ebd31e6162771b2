"""Figures for the translation lesson (pages/attention_translation.py). Pure builders, no streamlit.

A Seq2SeqTrace (seqviz.models.seq2seq) or its beam tree in, `(figure, table)` out (the table is the
numbers behind the figure, for its CSV):

- attention_map: α_ij, output words (rows, y) x source words (columns, x), sequential [0, 1],
  optional gold alignment (open squares) and the current decoding step outlined; weights_heatmap draws
  the same figure from recorded numbers (the training snapshots);
- training_curve: a held-out metric against training step, the current step marked;
- step_attention_figure: at one output step i, the scores e_ij before the softmax and the weights α_ij;
- step_vectors_figure: s_i, c_i and h̃_i as strips on the diverging [-1, 1] scale (all are tanh/GRU outputs
  or averages of them, so they stay in that range);
- top_k_figure: the five likeliest next words and their probabilities;
- beam_tree_figure: every hypothesis beam search kept, by step, joined to its parent, the chosen one drawn thick;
- length_figure: exact match (or token accuracy) by source-length bucket for several models.

attention_heatmap and length_chart return the figure alone (transitional: the checkpoint explorer and the
transformer translation page still call them).

Words go through plotting.attention.word_label (HTML-escaped for plotly).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from seqviz.models.seq2seq import BeamNode, Seq2SeqTrace
from seqviz.plotting import DIVERGING, OKABE_ITO, SEQUENTIAL, figure, layout, math_label, subplots, trace_ref
from seqviz.plotting.palette import HIGHLIGHT, LIGHT_GREY
from seqviz.plotting.attention import word_label
from seqviz.tasks.translation import BUCKET_NAMES

LEGEND_TOP = dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right")
GOLD = HIGHLIGHT  # vermillion: apart from every Viridis colour for every colour vision (tests/test_palettes.py)
CHOSEN = HIGHLIGHT


def word_axis(words: list[str], axis: str, title: str) -> dict:
    """Words repeat ("the ... the"), so the axis is numeric (1..n) with the words as tick labels: the axis dict
    of an x (source) or y (output, top to bottom) axis."""
    kwargs = dict(tickangle=-45 if len(words) <= 16 else -90) if axis == "x" else dict(autorange="reversed")
    return dict(tickmode="array", tickfont=dict(size=15), tickvals=list(range(1, len(words) + 1)),
                ticktext=[word_label(w) for w in words], title=dict(text=title), **kwargs)


def attention_map(trace: Seq2SeqTrace, alignment: tuple[int, ...] | None = None,
                  step: int | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """α_ij for every output word i (rows) over the source words j (columns), on the fixed [0, 1] scale.

    alignment[i] is the gold source index (0-based) of output word i, -1 for none; markers are drawn
    only for rows the trace has. step (1-based) outlines that output row."""
    if trace.weights is None:
        raise ValueError("this model has no attention weights (attention='none')")
    return weights_heatmap(trace.weights[0, 0], trace.source_tokens, trace.output_tokens, alignment, step)


def attention_heatmap(trace: Seq2SeqTrace, alignment: tuple[int, ...] | None = None,
                      step: int | None = None) -> go.Figure:
    """attention_map's figure alone (transitional, for pages/checkpoint_explorer.py)."""
    return attention_map(trace, alignment, step)[0]


def weights_table(weights, source_tokens: list[str], output_tokens: list[str]) -> pd.DataFrame:
    """One row an output word, one column a source word ("j:word"): the numbers of an attention map."""
    table = pd.DataFrame(np.asarray(weights, dtype=float), columns=[f"{j + 1}:{w}" for j, w in enumerate(source_tokens)])
    table.insert(0, "output word", list(output_tokens))
    return table


def weights_heatmap(weights, source_tokens: list[str], output_tokens: list[str], alignment: tuple[int, ...] | None = None,
                    step: int | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """The attention map from its numbers: weights (T, S) with output_tokens (T,) and source_tokens (S,);
    the same figure as attention_map (used for recorded snapshots, which have no trace)."""
    W = np.asarray(weights, dtype=float)  # (T, S)
    T, S = W.shape
    if (T, S) != (len(output_tokens), len(source_tokens)):
        raise ValueError(f"weights have shape {W.shape}, but there are {len(output_tokens)} output and "
                         f"{len(source_tokens)} source words")
    src = [word_label(w) for w in source_tokens]
    out = [word_label(w) for w in output_tokens]
    custom = np.array([[[out[i], i + 1, src[j], j + 1] for j in range(S)] for i in range(T)], dtype=object)
    data = [dict(
        type="heatmap", z=W, x=np.arange(1, S + 1), y=np.arange(1, T + 1), customdata=custom,
        colorscale=SEQUENTIAL, zmin=0, zmax=1, colorbar=dict(title=dict(text="α"), tickvals=[0, 0.5, 1]),
        hovertemplate="output '%{customdata[0]}' (i = %{customdata[1]})<br>source '%{customdata[2]}' "
                      "(j = %{customdata[3]})<br>α = %{z:.3f}<extra></extra>")]
    if alignment is not None:
        cells = [(g + 1, i + 1) for i, g in enumerate(alignment[:T]) if g >= 0]
        if cells:
            data.append(dict(
                type="scatter", x=[c[0] for c in cells], y=[c[1] for c in cells], mode="markers", name="gold alignment",
                marker=dict(symbol="square-open", size=17, color=GOLD, line=dict(width=3)),
                hovertemplate="gold: output i = %{y} translates source j = %{x}<extra></extra>"))
    lay = layout(170 + 24 * T, legend=LEGEND_TOP, xaxis=word_axis(list(source_tokens), "x", "source word x<sub>j</sub>"),
                 yaxis=word_axis(list(output_tokens), "y", "output word y<sub>i</sub>"))
    if step is not None:  # the current output row outlined (what add_hrect draws)
        lay["shapes"] = [dict(type="rect", x0=0, x1=1, xref="x domain", y0=step - 0.5, y1=step + 0.5, yref="y",
                              line=dict(color="white", width=3))]
    return figure(data, lay), weights_table(W, source_tokens, output_tokens)


def training_curve(steps: list[int], values: list[float], current: int | None = None,
                   title: str = "exact match (test sentences)") -> tuple[go.Figure, pd.DataFrame]:
    """A held-out metric in [0, 1] against training step (the snapshot steps, or the learner's chunks),
    with the current step marked."""
    data = [dict(type="scatter", x=list(steps), y=list(values), mode="lines+markers", name=title,
                 line=dict(color=OKABE_ITO[0], width=3), marker=dict(size=9),
                 hovertemplate="step %{x}<br>" + title + " %{y:.1%}<extra></extra>")]
    if current is not None and current in steps:
        k = list(steps).index(current)
        data.append(dict(type="scatter", x=[current], y=[values[k]], mode="markers", name="this step",
                         marker=dict(size=18, color=GOLD, symbol="circle-open", line=dict(width=3)),
                         hovertemplate="step %{x}: %{y:.1%}<extra></extra>"))
    last = max(max(steps, default=1), 1)  # from step 0, so one chunk's single point sits where it belongs
    lay = layout(300, showlegend=False,
                 xaxis=dict(title=dict(text="training step"), range=[-0.03 * last, 1.05 * last]),
                 yaxis=dict(title=dict(text=title), range=[-0.03, 1.05], tickformat=".0%"))
    return figure(data, lay), pd.DataFrame({"step": list(steps), "exact_match": list(values)})


def step_attention_figure(trace: Seq2SeqTrace, step: int) -> tuple[go.Figure, pd.DataFrame]:
    """At output step i (1-based): the scores e_ij before the softmax (top) and the weights α_ij (bottom)."""
    i = step - 1
    e, a = trace.scores[i], trace.weights[0, 0, i]  # (S,), (S,)
    S = len(e)
    x = np.arange(1, S + 1)
    words = [word_label(w) for w in trace.source_tokens]
    lay, axes = subplots(2, 1, titles=(f"scores {math_label('e_{ij}')} (before softmax)",
                                       f"weights {math_label('α_{ij}')} = softmax"),
                         shared_xaxes=True, vertical_spacing=0.12)
    data = [dict(type="bar", x=x, y=e, customdata=words, marker=dict(color=OKABE_ITO[0]), name="e",
                 hovertemplate="'%{customdata}' (j = %{x})<br>e = %{y:.3f}<extra></extra>", **trace_ref(axes[0])),
            dict(type="bar", x=x, y=a, customdata=words, marker=dict(color=a, colorscale=SEQUENTIAL, cmin=0, cmax=1),
                 name="α", hovertemplate="'%{customdata}' (j = %{x})<br>α = %{y:.3f}<extra></extra>",
                 **trace_ref(axes[1]))]
    lay[axes[0][1]].update(title=dict(text="score"))
    lay[axes[1][1]].update(title=dict(text="weight"), range=[0, 1])
    lay[axes[1][0]].update(word_axis(trace.source_tokens, "x", "source word x<sub>j</sub>"))
    lay.update(layout(480, showlegend=False))
    table = pd.DataFrame({"j": x, "source word": trace.source_tokens, "e_ij": e, "alpha_ij": a})
    return figure(data, lay), table


VECTOR_NAMES = ("s_i", "c_i", "h̃_i")


def step_vectors_figure(trace: Seq2SeqTrace, step: int) -> tuple[go.Figure, pd.DataFrame]:
    """s_i (decoder state), c_i (context) and h̃_i (attentional state) at step i, unit by unit, on [-1, 1]."""
    i = step - 1
    vectors = [trace.decoder_states[i], trace.contexts[i], trace.attentional[i]]
    labels = ["state " + math_label("s_i"), "context " + math_label("c_i"), "output " + math_label("h̃_i")]
    lay, axes = subplots(3, 1, vertical_spacing=0.1)
    data = []
    for r, (name, label, v, ax) in enumerate(zip(VECTOR_NAMES, labels, vectors, axes), start=1):
        data.append(dict(
            type="heatmap", z=v[None, :], x=np.arange(len(v)), y=[label], colorscale=DIVERGING, zmin=-1, zmax=1,
            zmid=0, showscale=r == 1, colorbar=dict(title=dict(text="value"), tickvals=[-1, 0, 1]),
            hovertemplate=f"{math_label(name)}" + "[%{x}] = %{z:.3f}<extra></extra>", **trace_ref(ax)))
        lay[ax[0]].update(showticklabels=r == 3, **(dict(title=dict(text="unit")) if r == 3 else {}))
        lay[ax[1]].update(tickfont=dict(size=15))
    lay.update(layout(300))
    table = pd.DataFrame({"unit": range(len(vectors[0])), "s_i": vectors[0], "h_tilde_i": vectors[2]})
    table = table.join(pd.DataFrame({"c_i": vectors[1]}), how="outer")  # c_i has 2·He units, s_i H
    return figure(data, lay), table


def top_k_figure(trace: Seq2SeqTrace, step: int) -> tuple[go.Figure, pd.DataFrame]:
    """The five likeliest words at step i with p(y_i | y_<i, x); the word that was fed on is highlighted."""
    i = step - 1
    words, probs = trace.top_tokens[i], trace.top_probs[i]
    chosen = trace.output_tokens[i]
    colors = [CHOSEN if w == chosen else OKABE_ITO[0] for w in words]
    data = [dict(type="bar",
                 x=probs, y=[word_label(w) for w in words], orientation="h", marker=dict(color=colors),
                 text=[f"{p:.3f}" for p in probs], textposition="outside", cliponaxis=False,
                 hovertemplate="%{y}: p = %{x:.4f}<extra></extra>")]
    lay = layout(300, xaxis=dict(title=dict(text=f"p({math_label('y_i')} | {math_label('y_{<i}')}, x)"), range=[0, 1.3],
                                 tickvals=[0, 0.25, 0.5, 0.75, 1]),
                 yaxis=dict(autorange="reversed", title=dict(text="next word")))
    return figure(data, lay), pd.DataFrame({"word": words, "p": probs})


# -- beam search -------------------------------------------------------------------------------------------
def beam_path(tree: list[list[BeamNode]], tokens: list[str]) -> list[tuple[int, int]]:
    """(step, rank) of the nodes that spell `tokens` (the chosen hypothesis), step 0 first; [] if none does."""
    for s in range(len(tree) - 1, -1, -1):
        for r in range(len(tree[s])):
            path, words, rank = [], [], r
            for s2 in range(s, -1, -1):
                node = tree[s2][rank]
                path.append((s2, rank))
                words.append(node.token)
                rank = node.parent
            if words[::-1] == list(tokens):
                return path[::-1]
    return []


MAX_LABELLED_STEPS = 14  # longer trees label only the chosen path (words would overlap); hover shows every word


def beam_tree_figure(tree: list[list[BeamNode]], tokens: list[str]) -> tuple[go.Figure, pd.DataFrame]:
    """Every hypothesis kept at every step (x: output position, y: rank in the beam), joined to the one it
    extends; colour: cumulative log-probability; the chosen hypothesis `tokens` drawn thick and labelled
    (every node is labelled when the tree has at most MAX_LABELLED_STEPS steps)."""
    chosen = set(beam_path(tree, tokens))
    ex, ey, cx, cy = [], [], [], []
    for s, level in enumerate(tree):
        for r, node in enumerate(level):
            px, py = (0, 0) if s == 0 else (s, node.parent)
            xs, ys = (cx, cy) if (s, r) in chosen else (ex, ey)
            xs += [px, s + 1, None]
            ys += [py, r, None]
    nodes = [(s + 1, r, n) for s, level in enumerate(tree) for r, n in enumerate(level)]
    data = [dict(type="scatter", x=ex, y=ey, mode="lines", line=dict(color=LIGHT_GREY, width=1.5),
                 hoverinfo="skip", name="kept hypotheses"),
            dict(type="scatter", x=cx, y=cy, mode="lines", line=dict(color=CHOSEN, width=5),
                 hoverinfo="skip", name="chosen"),
            dict(type="scatter", x=[0], y=[0], mode="markers+text", text=["&lt;bos&gt;"], textposition="top center",
                 marker=dict(size=12, color="black"), hoverinfo="skip", showlegend=False)]
    scores = np.array([n.score for _, _, n in nodes])
    data.append(dict(
        type="scatter", x=[x for x, _, _ in nodes], y=[y for _, y, _ in nodes], mode="markers+text", name="hypothesis",
        text=[word_label(n.token) if len(tree) <= MAX_LABELLED_STEPS or (x - 1, y) in chosen else ""
              for x, y, n in nodes],
        textposition=["top center" if len(tree) <= MAX_LABELLED_STEPS or x % 2 else "bottom center"
                      for x, _, _ in nodes],  # a long chosen path alternates, so its words do not overlap
        textfont=dict(size=13),
        customdata=np.array([[n.score, "finished" if n.finished else "open", word_label(n.token)] for _, _, n in nodes],
                            dtype=object),
        marker=dict(size=[16 if (x - 1, y) in chosen else 10 for x, y, _ in nodes], color=scores,
                    colorscale=SEQUENTIAL, cmax=0, cmin=min(float(scores.min()), -1e-3) if len(scores) else -1,
                    colorbar=dict(title=dict(text="log p")), symbol=["square" if n.finished else "circle" for _, _, n in nodes],
                    line=dict(width=1, color="black")),
        hovertemplate="step %{x}, rank %{y}: '%{customdata[2]}'<br>cumulative log p = %{customdata[0]:.4f}"
                      "<br>%{customdata[1]}<extra></extra>"))
    width = max(len(level) for level in tree) if tree else 1
    xaxis = dict(title=dict(text="output position (0 = &lt;bos&gt;)"), range=[-0.9, len(tree) + 0.5])
    if len(tree) <= 30:
        xaxis["dtick"] = 1
    lay = layout(200 + 55 * width, legend=LEGEND_TOP, xaxis=xaxis,
                 yaxis=dict(title=dict(text="rank in the beam (0 = best)"), autorange="reversed", dtick=1,
                            range=[width - 0.5, -0.8]))
    table = pd.DataFrame([{"step": s + 1, "rank": r, "word": n.token, "log_p": n.score, "parent_rank": n.parent,
                           "finished": n.finished} for s, level in enumerate(tree) for r, n in enumerate(level)])
    return figure(data, lay), table


# -- recorded metrics --------------------------------------------------------------------------------------
def length_chart(metrics: dict[str, dict], key: str = "exact_match_by_length",
                 measure: str = "exact match") -> go.Figure:
    """length_figure's figure alone (transitional, for pages/transformer_translation.py)."""
    return length_figure(metrics, key, measure)[0]


def length_figure(metrics: dict[str, dict], key: str = "exact_match_by_length",
                  measure: str = "exact match") -> tuple[go.Figure, pd.DataFrame]:
    """A metric by source-length bucket, one group of bars per bucket and one colour per model.
    metrics: model label -> a metrics dict holding `key` (bucket -> value) and "sentences_by_length".
    The table: one row a (model, length bucket), with the value and the number of sentences."""
    data = []
    for k, (label, m) in enumerate(metrics.items()):
        by = m[key]  # JSON sorts the keys: put the buckets back in length order
        buckets = [b for b in BUCKET_NAMES if b in by] + [b for b in by if b not in BUCKET_NAMES]
        values = np.array([np.nan if by[b] is None else by[b] for b in buckets], dtype=float)
        counts = [m.get("sentences_by_length", {}).get(b, "?") for b in buckets]
        data.append(dict(
            type="bar", x=buckets, y=values, name=label, marker=dict(color=OKABE_ITO[k % len(OKABE_ITO)]), customdata=counts,
            text=["" if np.isnan(v) else f"{v:.0%}" for v in values], textposition="outside",
            hovertemplate=f"{label}<br>source length %{{x}}<br>{measure} %{{y:.1%}} over %{{customdata}} sentences"
                          "<extra></extra>"))
    lay = layout(420, barmode="group", legend=LEGEND_TOP,
                 xaxis=dict(title=dict(text="source sentence length (words)"), type="category"),
                 yaxis=dict(title=dict(text=f"{measure} (test sentences)"), range=[0, 1.12], tickformat=".0%"))
    column = key.removesuffix("_by_length")
    table = pd.DataFrame([{"model": label, "length": b, column: m[key].get(b),
                           "sentences": m.get("sentences_by_length", {}).get(b)}
                          for label, m in metrics.items() for b in BUCKET_NAMES])
    return figure(data, lay), table
