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
from plotly.subplots import make_subplots

from seqviz.models.seq2seq import BeamNode, Seq2SeqTrace
from seqviz.plotting import DIVERGING, OKABE_ITO, SEQUENTIAL, _layout, math_label
from seqviz.plotting.palette import HIGHLIGHT, LIGHT_GREY
from seqviz.plotting.attention import word_label
from seqviz.tasks.translation import BUCKET_NAMES

GOLD = HIGHLIGHT  # vermillion: apart from every Viridis colour for every colour vision (tests/test_palettes.py)
CHOSEN = HIGHLIGHT


def _word_axis(fig: go.Figure, words: list[str], axis: str, title: str, row=None, col=None) -> None:
    """Words repeat ("the ... the"), so the axis is numeric (1..n) with the words as tick labels."""
    update = fig.update_xaxes if axis == "x" else fig.update_yaxes
    kwargs = dict(tickangle=-45 if len(words) <= 16 else -90) if axis == "x" else dict(autorange="reversed")
    update(tickmode="array", tickfont=dict(size=15), tickvals=list(range(1, len(words) + 1)), ticktext=[word_label(w) for w in words],
           title=title, row=row, col=col, **kwargs)


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
    fig = go.Figure(go.Heatmap(
        z=W, x=np.arange(1, S + 1), y=np.arange(1, T + 1), customdata=custom,
        colorscale=SEQUENTIAL, zmin=0, zmax=1, colorbar=dict(title="α", tickvals=[0, 0.5, 1]),
        hovertemplate="output '%{customdata[0]}' (i = %{customdata[1]})<br>source '%{customdata[2]}' "
                      "(j = %{customdata[3]})<br>α = %{z:.3f}<extra></extra>"))
    if alignment is not None:
        cells = [(g + 1, i + 1) for i, g in enumerate(alignment[:T]) if g >= 0]
        if cells:
            fig.add_trace(go.Scatter(
                x=[c[0] for c in cells], y=[c[1] for c in cells], mode="markers", name="gold alignment",
                marker=dict(symbol="square-open", size=17, color=GOLD, line=dict(width=3)),
                hovertemplate="gold: output i = %{y} translates source j = %{x}<extra></extra>"))
    if step is not None:
        fig.add_hrect(y0=step - 0.5, y1=step + 0.5, line=dict(color="white", width=3))
    _word_axis(fig, list(source_tokens), "x", "source word x<sub>j</sub>")
    _word_axis(fig, list(output_tokens), "y", "output word y<sub>i</sub>")
    fig.update_layout(legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"))
    return _layout(fig, 170 + 24 * T), weights_table(W, source_tokens, output_tokens)


def training_curve(steps: list[int], values: list[float], current: int | None = None,
                   title: str = "exact match (test sentences)") -> tuple[go.Figure, pd.DataFrame]:
    """A held-out metric in [0, 1] against training step (the snapshot steps, or the learner's chunks),
    with the current step marked."""
    fig = go.Figure(go.Scatter(x=list(steps), y=list(values), mode="lines+markers", name=title,
                               line=dict(color=OKABE_ITO[0], width=3), marker=dict(size=9),
                               hovertemplate="step %{x}<br>" + title + " %{y:.1%}<extra></extra>"))
    if current is not None and current in steps:
        k = list(steps).index(current)
        fig.add_trace(go.Scatter(x=[current], y=[values[k]], mode="markers", name="this step",
                                 marker=dict(size=18, color=GOLD, symbol="circle-open", line=dict(width=3)),
                                 hovertemplate="step %{x}: %{y:.1%}<extra></extra>"))
    last = max(max(steps, default=1), 1)  # from step 0, so one chunk's single point sits where it belongs
    fig.update_xaxes(title="training step", range=[-0.03 * last, 1.05 * last])
    fig.update_yaxes(title=title, range=[-0.03, 1.05], tickformat=".0%")
    fig.update_layout(showlegend=False)
    return _layout(fig, 300), pd.DataFrame({"step": list(steps), "exact_match": list(values)})


def step_attention_figure(trace: Seq2SeqTrace, step: int) -> tuple[go.Figure, pd.DataFrame]:
    """At output step i (1-based): the scores e_ij before the softmax (top) and the weights α_ij (bottom)."""
    i = step - 1
    e, a = trace.scores[i], trace.weights[0, 0, i]  # (S,), (S,)
    S = len(e)
    x = np.arange(1, S + 1)
    words = [word_label(w) for w in trace.source_tokens]
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.12,
                        subplot_titles=[f"scores {math_label('e_{ij}')} (before softmax)",
                                        f"weights {math_label('α_{ij}')} = softmax"])
    fig.add_trace(go.Bar(x=x, y=e, customdata=words, marker_color=OKABE_ITO[0], name="e",
                         hovertemplate="'%{customdata}' (j = %{x})<br>e = %{y:.3f}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Bar(x=x, y=a, customdata=words, marker=dict(color=a, colorscale=SEQUENTIAL, cmin=0, cmax=1),
                         name="α", hovertemplate="'%{customdata}' (j = %{x})<br>α = %{y:.3f}<extra></extra>"),
                  row=2, col=1)
    fig.update_yaxes(title="score", row=1, col=1)
    fig.update_yaxes(title="weight", range=[0, 1], row=2, col=1)
    _word_axis(fig, trace.source_tokens, "x", "source word x<sub>j</sub>", row=2, col=1)
    fig.update_layout(showlegend=False)
    table = pd.DataFrame({"j": x, "source word": trace.source_tokens, "e_ij": e, "alpha_ij": a})
    return _layout(fig, 480), table


VECTOR_NAMES = ("s_i", "c_i", "h̃_i")


def step_vectors_figure(trace: Seq2SeqTrace, step: int) -> tuple[go.Figure, pd.DataFrame]:
    """s_i (decoder state), c_i (context) and h̃_i (attentional state) at step i, unit by unit, on [-1, 1]."""
    i = step - 1
    vectors = [trace.decoder_states[i], trace.contexts[i], trace.attentional[i]]
    labels = ["state " + math_label("s_i"), "context " + math_label("c_i"), "output " + math_label("h̃_i")]
    fig = make_subplots(rows=3, cols=1, vertical_spacing=0.1)
    for r, (name, label, v) in enumerate(zip(VECTOR_NAMES, labels, vectors), start=1):
        fig.add_trace(go.Heatmap(
            z=v[None, :], x=np.arange(len(v)), y=[label], colorscale=DIVERGING, zmin=-1, zmax=1, zmid=0,
            showscale=r == 1, colorbar=dict(title="value", tickvals=[-1, 0, 1]),
            hovertemplate=f"{math_label(name)}" + "[%{x}] = %{z:.3f}<extra></extra>"), row=r, col=1)
        fig.update_xaxes(showticklabels=r == 3, title="unit" if r == 3 else None, row=r, col=1)
    fig.update_yaxes(tickfont=dict(size=15))
    table = pd.DataFrame({"unit": range(len(vectors[0])), "s_i": vectors[0], "h_tilde_i": vectors[2]})
    table = table.join(pd.DataFrame({"c_i": vectors[1]}), how="outer")  # c_i has 2·He units, s_i H
    return _layout(fig, 300), table


def top_k_figure(trace: Seq2SeqTrace, step: int) -> tuple[go.Figure, pd.DataFrame]:
    """The five likeliest words at step i with p(y_i | y_<i, x); the word that was fed on is highlighted."""
    i = step - 1
    words, probs = trace.top_tokens[i], trace.top_probs[i]
    chosen = trace.output_tokens[i]
    colors = [CHOSEN if w == chosen else OKABE_ITO[0] for w in words]
    fig = go.Figure(go.Bar(
        x=probs, y=[word_label(w) for w in words], orientation="h", marker_color=colors,
        text=[f"{p:.3f}" for p in probs], textposition="outside", cliponaxis=False,
        hovertemplate="%{y}: p = %{x:.4f}<extra></extra>"))
    fig.update_xaxes(title=f"p({math_label('y_i')} | {math_label('y_{<i}')}, x)", range=[0, 1.3],
                     tickvals=[0, 0.25, 0.5, 0.75, 1])
    fig.update_yaxes(autorange="reversed", title="next word")
    return _layout(fig, 300), pd.DataFrame({"word": words, "p": probs})


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
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=ex, y=ey, mode="lines", line=dict(color=LIGHT_GREY, width=1.5),
                             hoverinfo="skip", name="kept hypotheses"))
    fig.add_trace(go.Scatter(x=cx, y=cy, mode="lines", line=dict(color=CHOSEN, width=5),
                             hoverinfo="skip", name="chosen"))
    fig.add_trace(go.Scatter(x=[0], y=[0], mode="markers+text", text=["&lt;bos&gt;"], textposition="top center",
                             marker=dict(size=12, color="black"), hoverinfo="skip", showlegend=False))
    scores = np.array([n.score for _, _, n in nodes])
    fig.add_trace(go.Scatter(
        x=[x for x, _, _ in nodes], y=[y for _, y, _ in nodes], mode="markers+text", name="hypothesis",
        text=[word_label(n.token) if len(tree) <= MAX_LABELLED_STEPS or (x - 1, y) in chosen else ""
              for x, y, n in nodes],
        textposition=["top center" if len(tree) <= MAX_LABELLED_STEPS or x % 2 else "bottom center"
                      for x, _, _ in nodes],  # a long chosen path alternates, so its words do not overlap
        textfont=dict(size=13),
        customdata=np.array([[n.score, "finished" if n.finished else "open", word_label(n.token)] for _, _, n in nodes],
                            dtype=object),
        marker=dict(size=[16 if (x - 1, y) in chosen else 10 for x, y, _ in nodes], color=scores,
                    colorscale=SEQUENTIAL, cmax=0, cmin=min(float(scores.min()), -1e-3) if len(scores) else -1,
                    colorbar=dict(title="log p"), symbol=["square" if n.finished else "circle" for _, _, n in nodes],
                    line=dict(width=1, color="black")),
        hovertemplate="step %{x}, rank %{y}: '%{customdata[2]}'<br>cumulative log p = %{customdata[0]:.4f}"
                      "<br>%{customdata[1]}<extra></extra>"))
    width = max(len(level) for level in tree) if tree else 1
    fig.update_xaxes(title="output position (0 = &lt;bos&gt;)", dtick=1 if len(tree) <= 30 else None,
                     range=[-0.9, len(tree) + 0.5])
    fig.update_yaxes(title="rank in the beam (0 = best)", autorange="reversed", dtick=1, range=[width - 0.5, -0.8])
    fig.update_layout(legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"))
    table = pd.DataFrame([{"step": s + 1, "rank": r, "word": n.token, "log_p": n.score, "parent_rank": n.parent,
                           "finished": n.finished} for s, level in enumerate(tree) for r, n in enumerate(level)])
    return _layout(fig, 200 + 55 * width), table


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
    fig = go.Figure()
    for k, (label, m) in enumerate(metrics.items()):
        by = m[key]  # JSON sorts the keys: put the buckets back in length order
        buckets = [b for b in BUCKET_NAMES if b in by] + [b for b in by if b not in BUCKET_NAMES]
        values = np.array([np.nan if by[b] is None else by[b] for b in buckets], dtype=float)
        counts = [m.get("sentences_by_length", {}).get(b, "?") for b in buckets]
        fig.add_trace(go.Bar(
            x=buckets, y=values, name=label, marker_color=OKABE_ITO[k % len(OKABE_ITO)], customdata=counts,
            text=["" if np.isnan(v) else f"{v:.0%}" for v in values], textposition="outside",
            hovertemplate=f"{label}<br>source length %{{x}}<br>{measure} %{{y:.1%}} over %{{customdata}} sentences"
                          "<extra></extra>"))
    fig.update_xaxes(title="source sentence length (words)", type="category")
    fig.update_yaxes(title=f"{measure} (test sentences)", range=[0, 1.12], tickformat=".0%")
    fig.update_layout(barmode="group", legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"))
    column = key.removesuffix("_by_length")
    table = pd.DataFrame([{"model": label, "length": b, column: m[key].get(b),
                           "sentences": m.get("sentences_by_length", {}).get(b)}
                          for label, m in metrics.items() for b in BUCKET_NAMES])
    return _layout(fig, 420), table
