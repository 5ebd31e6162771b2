"""Word2Vec lesson: the sliding window, the examples it makes for CBOW and skip-gram, negative samples
and the loss with real numbers, then training live and watching the map of words move epoch by epoch.

Library calls: tasks.corpus.example_sentence / analogy_questions, models.word2vec.window_examples /
draw_negatives / negative_distribution / example_loss_terms / Word2VecTrainer / PRESETS,
wordvectors.nearest / snapshot_projection, plotting.embeddings_training (window_figure,
negatives_figure, negative_distribution_figure, loss_curve, projection_figure, metrics_curve), and
seqviz.ui.word2vec (builtin_corpus, shipped, corpus_picker, train_live, register, snapshot_metrics).
"""

import dataclasses

import numpy as np
import pandas as pd
import streamlit as st

from seqviz import ui
from seqviz.models import word2vec as w2v
from seqviz.plotting import embeddings_training as figs
from seqviz.tasks.corpus import analogy_questions, example_sentence
from seqviz.ui import word2vec as uw
from seqviz.ui.classroom import explain, predict_then_reveal
from seqviz.wordvectors import nearest, snapshot_projection

OWN = "w2v_own"  # session_state: {"trainer", "label"} of the learner's run
EXAMPLES = ["queen", "paris", "puppy", "swam", "bigger", "terrible"]
METHODS = {"Skip-gram": "skipgram", "CBOW": "cbow"}

ui.drop_unusable_link_values("w2v_word", "w2v_method", "w2v_window", "w2v_centre", "w2v_k", "w2v_epochs")
st.title("Word2Vec: word vectors from predicting neighbours")
explain(
    "A word is known by the company it keeps. Word2Vec turns that into a training task: slide a window over "
    "the text and make every word predict its neighbours (**skip-gram**), or the neighbours predict the word "
    "in the middle (**CBOW**, continuous bag of words). Nothing else is given: the vectors that make these "
    "predictions good end up placing words with similar contexts near each other. The built-in corpus is "
    "generated from a grammar where every grouped word is an identity with an attribute (queen = ruler + "
    "female, paris = france + capital), so we can check what the vectors learned."
)

# -- 1. the sliding window ---------------------------------------------------------------------------------
st.header("1. The sliding window")


def centre_on_word() -> None:
    """A new sentence starts with its grouped word as the centre."""
    w = st.session_state.get("w2v_word", EXAMPLES[0])
    st.session_state["w2v_centre"] = example_sentence(w).index(w) + 1 if w in EXAMPLES else 1


c1, c2 = st.columns(2)
word = c1.selectbox("A sentence of the corpus about", EXAMPLES, key="w2v_word", bind="query-params",
                    on_change=centre_on_word)
tokens = list(example_sentence(word))
window = c2.slider("Window: words each side", 1, 5, 2, key="w2v_window", bind="query-params")
if "w2v_centre" not in st.session_state and st.query_params.get("w2v_centre") is None:
    st.session_state["w2v_centre"] = tokens.index(word) + 1  # first visit: centre on the grouped word
elif not 1 <= st.session_state.get("w2v_centre", 1) <= len(tokens):
    st.session_state["w2v_centre"] = len(tokens)
centre = st.slider("Centre word (position in the sentence)", 1, len(tokens), key="w2v_centre",
                   bind="query-params") - 1
pairs, (context, target) = w2v.window_examples(tokens, centre, window)
ui.plot(figs.window_figure(tokens, centre, window), "word2vec-window",
        pd.DataFrame({"token": tokens, "distance": [p - centre for p in range(len(tokens))]}), key="w2v_fig_window",
        caption="The sentence as tokens: the centre word in orange, its window in blue.")
left, right = st.columns(2)
with left:
    st.markdown(f"**Skip-gram** makes {len(pairs)} examples: the centre predicts each context word.")
    st.table(pd.DataFrame(pairs, columns=["input (centre)", "target (context word)"]), hide_index=True)
with right:
    st.markdown("**CBOW** makes one example: the mean of the context vectors predicts the centre.")
    st.table(pd.DataFrame({"input (context words)": [", ".join(context)], "target (centre)": [target]}),
             hide_index=True)
explain("During training the window is drawn anew for every centre, uniformly from 1 to the maximum, so near "
        "words are used more often than far ones; very frequent words (the, and, is) are first thinned out "
        "at random (subsampling), which both speeds training and widens the effective window.")
ui.show_code(w2v.window_examples, w2v.window_offsets)

# -- 2. one example's loss -----------------------------------------------------------------------------------
st.header("2. One skip-gram example, its negatives and its loss")
sk = uw.shipped("skipgram")
if sk is not None and pairs:
    wv = sk.vectors
    usable = [p for p in pairs if p[0] in wv and p[1] in wv]
    c1, c2, c3 = st.columns([2, 1, 1], vertical_alignment="bottom")
    pair_label = c1.selectbox("Example (centre → context)", [f"{a} → {b}" for a, b in usable], key="w2v_pair")
    k = c2.slider("Negatives k", 1, 10, 5, key="w2v_k", bind="query-params")
    if c3.button("Draw other negatives", icon=":material/casino:", key="w2v_draw"):
        st.session_state["w2v_neg_seed"] = st.session_state.get("w2v_neg_seed", 0) + 1
    c_word, o_word = pair_label.split(" → ")
    counts = np.asarray(sk.meta["counts"], dtype=np.int64)  # each word's count in the corpus it was trained on
    neg_ids = w2v.draw_negatives(counts, k, st.session_state.get("w2v_neg_seed", 0))
    negatives = [wv.words[i] for i in neg_ids]
    W_out = sk.parts["context_vectors"]
    v, u_o = wv.vector(c_word), W_out[wv.index(o_word)]
    terms = w2v.example_loss_terms(v, u_o, W_out[neg_ids])
    st.latex(r"L = -\log \sigma(v_{\text{%s}} \cdot u_{\text{%s}}) - \sum_{n=1}^{%d} \log \sigma(-v_{\text{%s}} \cdot u_{n})"
             % (c_word, o_word, k, c_word))
    st.latex(r"= -\log \sigma(%.2f) %s = %.3f + %.3f = %.3f" % (
        terms["s_pos"], "".join(r" - \log \sigma(%.2f)" % -s for s in terms["s_neg"][:4]) + (r" - \dots" if k > 4 else ""),
        terms["pos_term"], float(terms["neg_terms"].sum()), terms["loss"]))
    ui.plot(figs.negatives_figure(o_word, negatives, terms["p_pos"], terms["p_neg"]), "word2vec-negatives",
            pd.DataFrame({"word": [o_word] + negatives, "role": ["true"] + ["negative"] * k,
                          "v_dot_u": np.r_[terms["s_pos"], terms["s_neg"]], "sigma": np.r_[terms["p_pos"], terms["p_neg"]]}),
            key="w2v_fig_neg", caption=f"σ(v·u) of the shipped skip-gram vectors for “{c_word}”: the true context word "
                                       "should be near 1, the negatives near 0.")
    explain("v comes from the input table W_in (the word vectors we keep), u from a second table W_out used only "
            "for targets. Softmax over the whole vocabulary would cost V dot products per example; negative "
            "sampling asks instead k yes/no questions: is this a real neighbour (σ → 1) or a random word "
            "(σ → 0)? Our trainer draws 32 negatives once per batch and shares them among its examples, each "
            "weighted k/32, which estimates the same loss far faster (the gradients are written by hand below).")
    ui.show_code(w2v.negative_sampling_grads)
    order = np.argsort(-counts)[:12]
    p_raw, p_neg = counts / counts.sum(), w2v.negative_distribution(counts, 0.75)
    top = [wv.words[i] for i in order]
    ui.plot(figs.negative_distribution_figure(top, p_raw[order], p_neg[order]), "word2vec-negative-distribution",
            pd.DataFrame({"word": top, "frequency": p_raw[order], "p_negative": p_neg[order]}), key="w2v_fig_dist",
            caption="For the 12 most frequent words: each word's share of the corpus beside its share of the negative "
                    "draws, P(negative) ∝ count^0.75, both in %.")
    the = wv.index("the") if "the" in wv else int(order[0])
    predict_then_reveal(
        "word2vec_q_the", f"Is “{wv.words[the]}” drawn as a negative more often, as often, or less often than its "
                          "share of the corpus?",
        ["More often", "As often", "Less often"], "Less often",
        lambda: st.markdown(f"“{wv.words[the]}” is **{p_raw[the]:.2%}** of the tokens but only **{p_neg[the]:.2%}** of "
                            "the negatives: raising counts to the power 3/4 flattens the distribution, so frequent "
                            "words are drawn less and rare words more than their frequency."))

# -- 3. train your own ------------------------------------------------------------------------------------------
st.header("3. Train your own")
own = st.session_state.get(OWN)
corpus, corpus_label = uw.corpus_picker("w2v")
c1, c2, c3 = st.columns(3)
method_name = c1.segmented_control("Method", list(METHODS), default="Skip-gram", key="w2v_method", bind="query-params")
method = METHODS.get(method_name or "Skip-gram", "skipgram")
epochs = c2.slider("Epochs", 1, 15, w2v.PRESETS[method].epochs, key="w2v_epochs", bind="query-params")
dim = c3.select_slider("Vector size D", [10, 25, 50, 100], 50, key="w2v_dim")
b1, b2, b3 = st.columns(3)
start = b1.button("Train from scratch", type="primary", icon=":material/play_arrow:", key="w2v_train",
                  disabled=corpus is None)
more = b2.button("Train 1 more epoch", icon=":material/add:", key="w2v_more", disabled=own is None)
if b3.button("Forget my model", icon=":material/delete:", key="w2v_forget", disabled=own is None):
    st.session_state.pop(OWN, None)
    own = None
if start and corpus is not None:
    cfg = dataclasses.replace(w2v.PRESETS[method], epochs=int(epochs), dim=int(dim))
    label = f"{'CBOW' if method == 'cbow' else 'Skip-gram'}, trained here on {corpus_label}"
    own = st.session_state[OWN] = {"trainer": w2v.Word2VecTrainer(corpus(), cfg), "label": label}
if own is not None and (start or more):
    uw.train_live(own["trainer"], None if start else 1, own["label"])
    uw.register(own["label"], own["trainer"])
if own is not None:
    tr = own["trainer"]
    steps, losses = zip(*tr.history) if tr.history else ((), ())
    ui.plot(figs.loss_curve(steps, losses), "word2vec-own-loss",
            pd.DataFrame({"step": steps, "loss": losses}), key="w2v_fig_own_loss",
            caption="Your model's training loss L per example against the SGD step.")
    st.success(f"{own['label']}: {tr.epochs_done} epochs in {tr.seconds:.1f} s "
               f"({tr.words_trained / max(tr.seconds, 1e-9):,.0f} words a second on one CPU thread). "
               "The embedding explorer lists these vectors too.")
else:
    st.caption("Nothing trained yet in this session: section 4 shows the shipped vectors' training instead.")

# -- 4. the map moving, epoch by epoch -----------------------------------------------------------------------------
st.header("4. Watch the words find their places")
options = (["Mine"] if own is not None else []) + ["Shipped skip-gram", "Shipped CBOW"]
view = st.radio("Vectors", options, horizontal=True, key="w2v_view")
if view == "Mine":
    tr = own["trainer"]
    # grouped words; in the learner's text (no groups) the 150 most frequent after the 20 commonest
    rows = [i for i, w in enumerate(tr.data.words) if w in tr.data.groups] or list(range(20, min(170, len(tr.data.words))))
    rows = rows or list(range(len(tr.data.words)))
    words, snaps = [tr.data.words[i] for i in rows], [s[rows] for s in tr.snapshots]
    epochs_list, run_key = list(range(len(snaps))), f"mine-{own['label']}-{len(snaps)}-{tr.step}"
    final = tr.vectors()
else:
    shipped = uw.shipped("skipgram" if view == "Shipped skip-gram" else "cbow")
    if shipped is None:
        st.stop()
    words, snaps = list(shipped.snapshot_words), list(shipped.snapshots)
    epochs_list, run_key, final = list(shipped.snapshot_epochs), f"shipped-{view}", shipped.vectors
groups = [(final.groups or {}).get(w, "words") for w in words]
points = snapshot_projection(snaps)
limit = 1.05 * max(float(np.abs(p).max()) for p in points)
epoch = st.select_slider("Epoch", epochs_list, epochs_list[-1], key="w2v_epoch")
frame = points[epochs_list.index(epoch)]
ui.plot(figs.projection_figure(frame, words, groups, f"{len(words)} words after epoch {epoch}", limit=limit),
        "word2vec-map", pd.DataFrame({"word": words, "group": groups, "x": frame[:, 0], "y": frame[:, 1]}),
        key="w2v_fig_map", caption="Unit vectors projected on the two principal axes of the final vectors, the same "
                                   "axes for every epoch, so you see each word travel to its final place.")
if final.groups:
    qs = tuple(q for q in analogy_questions() if all(w in words for w in q))
    an, pu = uw.snapshot_metrics(run_key, snaps, tuple(words), dict(zip(words, groups)), qs)
    ui.plot(figs.metrics_curve(epochs_list, an, pu, epoch), "word2vec-quality",
            pd.DataFrame({"epoch": epochs_list, "analogy_accuracy": an, "purity": pu}), key="w2v_fig_quality",
            caption="Measured among the grouped words: analogies a : b :: c : ? answered by the nearest word to "
                    "b − a + c (a, b, c excluded), and words whose 5 nearest neighbours share their group.")
else:
    st.caption("Your text has no word groups or analogy questions, so there is no score to follow: look for "
               "words you know belong together, or open these vectors in the embedding explorer.")
if "queen" in final:
    cos = lambda a, b: float(final.vector(a) @ final.vector(b)
                             / (np.linalg.norm(final.vector(a)) * np.linalg.norm(final.vector(b)) or 1.0))
    candidates = [c for c in ("king", "princess", "woman", "throne") if c in final]
    best = max(candidates, key=lambda c: cos(c, "queen"))
    near = nearest(final, "queen", 5)
    predict_then_reveal(
        "word2vec_q_queen", f"In these vectors ({view.lower()}), which of these is closest to “queen”?",
        candidates, best,
        lambda: st.markdown("Cosine similarity with queen: " + ", ".join(f"{c} **{cos(c, 'queen'):.3f}**" for c in candidates)
                            + ". Its 5 nearest words overall: " + ", ".join(f"{w} ({s:.2f})" for w, s in near)
                            + ". Queen shares its identity's contexts (throne, crown) with king and its attribute's "
                              "contexts (she, her) with every female word."))
