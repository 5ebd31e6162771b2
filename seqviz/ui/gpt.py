"""Streamlit pieces of the GPT lesson (pages/transformer_gpt.py) that the generic loaders do not cover.

The shipped GPT loads through `ui.shipped("lm-gpt")` and its traces through `ui.trace("lm-gpt", prompt)`
(seqviz.labs.transformers). Here:
- the built-in stories and their bigram, and seeded generations of the shipped model: cached;
- `Reader`: the model the page reads (the shipped GPT or the learner's), chosen by `choose_model`;
- `copy_question`: the predict-then-reveal question on copying an object, answered by the live models;
- `inspect_generation`: the generated characters one at a time with their attention, a `classroom.fragment`;
- `your_gpt`: the learner's own GPT through the shared `training.train_your_own` and the store (lab
  "transformers", meta {"vocab": ...}, so the checkpoint explorer downloads and reopens it), trained on the
  stories or on pasted text, with a validation check and a sample after each chunk.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from seqviz import sampling, ui
from seqviz.labs.transformers import (CHECK_CHARS, GPT_NAME, GPT_RECIPE, SAMPLE_TEMPERATURE, corpus_bigram, gpt_check,
                                      gpt_run, model_trace)
from seqviz.models.bigram import BigramLM
from seqviz.plotting import gpt as figs
from seqviz.plotting import token_label
from seqviz.plotting.attention import markdown_literal
from seqviz.tasks import lmtext
from seqviz.tasks.lmtext import LMCorpus
from seqviz.ui import classroom, store, training
from seqviz.ui.classroom import explain, predict_then_reveal
from seqviz.ui.store import LearnerModel

LAB = "transformers"  # the store's lab of the learner's GPT (the lab's only trainable model)


@st.cache_resource(show_spinner=False)
def builtin_corpus() -> LMCorpus:
    return GPT_RECIPE.corpus()


@st.cache_resource(show_spinner=False)
def builtin_bigram() -> BigramLM:
    return corpus_bigram(builtin_corpus())


@st.cache_data(max_entries=64, show_spinner=False)
def shipped_generation(prompt: str, n_new: int, temperature: float, top_k: int, top_p: float,
                       seed: int) -> sampling.Generation:
    ckpt = ui.load_shipped(GPT_NAME)
    return sampling.generate(ckpt.model, ckpt.vocab, list(prompt), n_new, temperature, top_k, top_p, seed)


def mine() -> LearnerModel | None:
    """The learner's GPT in this session's store, or None."""
    return next(iter(store.models(LAB).values()), None)


@dataclass(frozen=True)
class Reader:
    """The model the page reads: the shipped GPT (cached traces and generations) or the learner's (not cached:
    it changes with every chunk, and is small)."""

    model: object
    vocab: object
    bigram: BigramLM
    own: LearnerModel | None = None

    def trace(self, prompt: str):
        return ui.trace(GPT_NAME, prompt) if self.own is None else model_trace(self.model, self.vocab, prompt)

    def generate(self, prompt: str, n_new: int, temperature: float, top_k: int, top_p: float, seed: int):
        if self.own is None:
            return shipped_generation(prompt, n_new, temperature, top_k, top_p, seed)
        return sampling.generate(self.model, self.vocab, list(prompt), n_new, temperature, top_k, top_p, seed)


def choose_model(ckpt) -> Reader:
    """The "Model" radio: the shipped GPT, or mine once it exists (otherwise one sentence, and the shipped one)."""
    own = mine()
    which = st.radio("Model", ["shipped", "mine"], key="gpt_model", bind="query-params", horizontal=True,
                     format_func={"shipped": "the shipped GPT", "mine": "my GPT (section 5)"}.get)
    if which == "mine" and own is None:
        st.info("You have not trained a model in this session yet (section 5), so the page shows the shipped one.")
    if which == "mine" and own is not None:
        return Reader(own.model, own.run.corpus.vocab, own.run.bigram, own)
    return Reader(ckpt.model, ckpt.vocab, builtin_bigram())


COPY_PROMPT = "dan and jade went to the river. jade gave dan a cup. dan gave the "
OBJECTS = {o[0]: o for o in lmtext.OBJECTS if sum(x[0] == o[0] for x in lmtext.OBJECTS) == 1}  # first letter names it


def copy_question(reader: Reader) -> None:
    """Predict, then reveal: does the shipped GPT copy the object of the sentence before? (Its answer and the
    bigram's, from the live models.)"""
    copy_probs = ui.trace(GPT_NAME, COPY_PROMPT).probs[-1]
    ix = reader.vocab.token_to_idx
    p_obj = {o: copy_probs[ix[c]] for c, o in OBJECTS.items()}
    best = max(p_obj, key=p_obj.get)
    after_space = reader.bigram.next_probs(ix[" "])[ix["c"]]
    predict_then_reveal(
        "gpt_q_copy", f"The prompt is “{COPY_PROMPT}”. Which object will the shipped GPT name next?",
        ["cup", "kite", "any of the seven objects, equally likely"],
        best if p_obj[best] > 0.5 and best in ("cup", "kite") else "any of the seven objects, equally likely",
        lambda: st.markdown(
            "The first letter decides the object here: "
            + ", ".join(f"p(**{c}**, {o}) = **{p_obj[o]:.3f}**" for c, o in OBJECTS.items())
            + ". The model must find the object of the earlier sentence and copy it: attention to that sentence "
            f"does it (pick layer 2 in section 3). The bigram after a space gives **c** only {after_space:.3f}: it "
            "cannot know what was given. What the shipped model has *not* learned: who gets it back. Type the prompt "
            "up to “back to ” and it spreads its probability over all twelve names, not the two in the story."))


@classroom.fragment
def inspect_generation(gen: sampling.Generation, n_layer: int, n_head: int) -> None:
    """Pick a generated character, a layer and a head: the probabilities and where that step attended."""
    n = len(gen.steps)
    ui.clamp_state("gpt_step", n)  # fewer characters must not leave the slider out of range
    k = st.slider("Generated character to inspect", 1, n, key="gpt_step", bind="query-params") if n > 1 else 1
    fig, table = figs.generation_figure(gen, k)
    ui.plot(fig, "gpt-generation", table, key="gpt_gen",
            caption=f"For each generated character, its probability under the model and after the filters; "
                    f"step {k} outlined.")
    step = gen.steps[k - 1]
    st.markdown(f"Step **{k}**: after “…{markdown_literal(''.join(step.context[-40:]))}” the model drew "
                f"**{markdown_literal(token_label(step.token))}** (p = {step.filtered.probs[step.token_id]:.3f} "
                f"after the filters, {step.filtered.raw[step.token_id]:.3f} under the model).")
    a1, a2 = st.columns(2)
    layer = a1.selectbox("Layer", list(range(n_layer)), format_func=lambda i: f"layer {i + 1}", key="gpt_layer",
                         bind="query-params")
    head = a2.selectbox("Head", list(range(n_head)), format_func=lambda i: f"head {i + 1}", key="gpt_head",
                        bind="query-params")
    layer, head = min(int(layer), n_layer - 1), min(int(head), n_head - 1)
    st.latex(r"\alpha_{t,s} = \operatorname{softmax}_s\!\Big(\frac{q_t \cdot k_s}{\sqrt{d}}\Big) \ \text{for } s \le t, "
             r"\qquad \alpha_{t,s} = 0 \ \text{for } s > t")
    fig, table = figs.context_attention(step.attention, step.context, layer, head, step.token)
    ui.plot(fig, f"gpt-attention-step-{k}", table, key="gpt_att", caption="Each row is one head: how the last "
            "position of the context spread its attention when the model chose the new character (rows sum to 1). "
            "The picked head is outlined.")
    fig, table = figs.head_bars(step.attention[layer, head], step.context, layer, head)
    ui.plot(fig, f"gpt-head-{layer + 1}-{head + 1}", table, key="gpt_head_bars",
            caption=f"Layer {layer + 1}, head {head + 1}; its three largest weights in orange.")
    ui.show_code(sampling.generate, sampling.draw)
    explain("Pick the step where the model writes the closing quote: in the shipped model, layer 2 head 1 puts "
            "most of its attention on the opening quote, however far back it is. That is how a model with no counter "
            "knows a quote is open.")


class _Refused(ValueError):
    """Pasted text that cannot be trained on; the message is one sentence."""


def your_gpt() -> LearnerModel | None:
    """Section 5: what to train on (fixed once the model exists), the shared training block, then the model's
    validation checks and samples. Returns the learner's model (None before the first chunk)."""
    own = mine()
    source = st.radio("Train on", ["built-in stories", "your text"], key="gpt_source", horizontal=True,
                      disabled=own is not None, help="Fixed once training has started; Start over to change it.")
    pasted = ""
    if source == "your text" and own is None:
        pasted = st.text_area(f"Your text (at most {lmtext.MAX_PASTED_CHARS:,} characters)", key="gpt_paste", height=150)
    label = own.label if own is not None else (
        "GPT: built-in stories" if source == "built-in stories" else f"GPT: your text, {len(pasted):,} characters")
    def start():
        if source == "your text":
            check = lmtext.check_pasted(pasted)
            if check.error:
                raise _Refused(check.error)
            if check.note:
                st.warning(check.note)
            corpus = LMCorpus.from_text(pasted)
        else:
            corpus = builtin_corpus()
        return gpt_run(corpus)

    def check(m: LearnerModel) -> None:  # after each chunk, still holding the trainer's slot
        m.extra.setdefault("checks", []).append(gpt_check(m.model, m.run.corpus, m.run.bigram, m.steps))

    before = own.steps if own is not None else 0
    try:
        m = training.train_your_own(LAB, label, start, key="gpt_own", steps=(25, 50, 100, 200), default=50,
                                    settings={"source": source}, after_chunk=check, refresh_every=10)
    except _Refused as err:
        st.error(str(err))
        return None
    if m is None or not m.run.history:
        st.caption("Nothing trained yet in this session: press the button to start.")
        return m
    if m.steps > before:
        st.rerun()  # the sections above were drawn before this chunk: draw them again with the trained model
    seconds = sum(c["seconds"] for c in m.extra.get("chunks", []))
    st.markdown(f"**My GPT:** {m.label[len('GPT: '):]}, **{m.steps:,} steps**, {seconds:.0f} s of training so far.")
    checks = m.extra.get("checks", [])
    fig, table = figs.training_figure([e.step for e in m.run.history], [e.loss for e in m.run.history], checks)
    ui.plot(fig, "gpt-own-training", table, key="gpt_own_curve",
            caption="Training loss of each batch, validation loss after each chunk, and the bigram's validation "
                    "loss (dashed): below it, the model uses more than one character of context.")
    if not checks:  # the last chunk was interrupted before its check
        return m
    last = checks[-1]
    if last["validation perplexity"] is not None:
        st.markdown(f"Validation perplexity after step {last['step']}: **{last['validation perplexity']:.2f}** "
                    f"(bigram on the same text: {last['bigram perplexity']:.2f}). Sample at τ = {SAMPLE_TEMPERATURE}:")
    st.code(last["sample"], language=None, wrap_lines=True)
    with st.expander("Every sample so far"):
        st.dataframe(table[["step", "validation perplexity", "sample"]], hide_index=True)
    return m


__all__ = ["CHECK_CHARS", "Reader", "builtin_bigram", "builtin_corpus", "choose_model", "copy_question",
           "inspect_generation", "mine", "shipped_generation", "your_gpt"]
