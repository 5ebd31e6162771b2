"""Word2Vec lesson: the sliding window, the examples it makes for CBOW and skip-gram, negative samples
and the loss with real numbers, then training live and watching the map of words move epoch by epoch.

Library calls: tasks.corpus.example_sentence, models.word2vec.window_examples / PRESETS,
labs.embeddings.negative_example / own_config, wordvectors.nearest / similarity_matrix,
plotting.embeddings_training (window_figure, window_tables, negatives_figure, negative_distribution_figure),
and seqviz.ui.embeddings (centre_on_word, shipped, corpus_picker, train_vectors (training.train_your_own in
epochs, the store), show_run, latest, training_map, epoch_map (a fragment: the epoch slider reruns only the map)).
"""

import streamlit as st

from seqviz import ui
from seqviz import wordvectors as wvm
from seqviz.labs import embeddings as lab
from seqviz.models import word2vec as w2v
from seqviz.plotting import embeddings_training as figs
from seqviz.tasks.corpus import example_sentence
from seqviz.ui import embeddings as ue
from seqviz.ui.classroom import explain, predict_then_reveal

EXAMPLES = ["queen", "paris", "puppy", "swam", "bigger", "terrible"]
METHODS = {"Skip-gram": "skipgram", "CBOW": "cbow"}

ui.drop_unusable_link_values("w2v_word", "w2v_method", "w2v_window", "w2v_centre", "w2v_k")
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
c1, c2 = st.columns(2)
word = c1.selectbox("A sentence of the corpus about", EXAMPLES, key="w2v_word", bind="query-params",
                    on_change=ue.centre_on_word, args=("w2v_word", "w2v_centre"))  # a new sentence: centre on its word
tokens = list(example_sentence(word))
window = c2.slider("Window: words each side", 1, 5, 2, key="w2v_window", bind="query-params")
ue.centre_on_word("w2v_word", "w2v_centre", first_visit=True)
centre = st.slider("Centre word (position in the sentence)", 1, len(tokens), key="w2v_centre", bind="query-params") - 1
pairs, (context, target) = w2v.window_examples(tokens, centre, window)
fig, table = figs.window_figure(tokens, centre, window)
ui.plot(fig, "word2vec-window", table, key="w2v_fig_window",
        caption="The sentence as tokens: the centre word in orange, its window in blue.")
left, right = st.columns(2)
skipgram_table, cbow_table = figs.window_tables(pairs, context, target)
left.markdown(f"**Skip-gram** makes {len(pairs)} examples: the centre predicts each context word.")
left.table(skipgram_table, hide_index=True)
right.markdown("**CBOW** makes one example: the mean of the context vectors predicts the centre.")
right.table(cbow_table, hide_index=True)
explain("During training the window is drawn anew for every centre, uniformly from 1 to the maximum, so near "
        "words are used more often than far ones; very frequent words (the, and, is) are first thinned out "
        "at random (subsampling), which both speeds training and widens the effective window.")
ui.show_code(w2v.window_examples, w2v.window_offsets)

# -- 2. one example's loss -----------------------------------------------------------------------------------
st.header("2. One skip-gram example, its negatives and its loss")
sk = ue.shipped("skipgram")
if sk is not None and pairs:
    usable = [f"{a} → {b}" for a, b in pairs if a in sk.vectors and b in sk.vectors]
    c1, c2, c3 = st.columns([2, 1, 1], vertical_alignment="bottom")
    c_word, o_word = c1.selectbox("Example (centre → context)", usable, key="w2v_pair").split(" → ")
    k = c2.slider("Negatives k", 1, 10, 5, key="w2v_k", bind="query-params")
    if c3.button("Draw other negatives", icon=":material/casino:", key="w2v_draw"):
        st.session_state["w2v_neg_seed"] = st.session_state.get("w2v_neg_seed", 0) + 1
    ex = lab.negative_example(sk, c_word, o_word, k, st.session_state.get("w2v_neg_seed", 0))
    t = ex.terms
    st.latex(r"L = -\log \sigma(v_{\text{%s}} \cdot u_{\text{%s}}) - \sum_{n=1}^{%d} \log \sigma(-v_{\text{%s}} \cdot u_{n})"
             % (c_word, o_word, k, c_word))
    st.latex(r"= -\log \sigma(%.2f) %s = %.3f + %.3f = %.3f" % (
        t["s_pos"], "".join(r" - \log \sigma(%.2f)" % -s for s in t["s_neg"][:4]) + (r" - \dots" if k > 4 else ""),
        t["pos_term"], float(t["neg_terms"].sum()), t["loss"]))
    fig, table = figs.negatives_figure(ex)
    ui.plot(fig, "word2vec-negatives", table, key="w2v_fig_neg",
            caption=f"σ(v·u) of the shipped skip-gram vectors for “{c_word}”: the true context word should be near 1, "
                    "the negatives near 0.")
    explain("v comes from the input table W_in (the word vectors we keep), u from a second table W_out used only "
            "for targets. Softmax over the whole vocabulary would cost V dot products per example; negative "
            "sampling asks instead k yes/no questions: is this a real neighbour (σ → 1) or a random word "
            "(σ → 0)? Our trainer draws 32 negatives once per batch and shares them among its examples, each "
            "weighted k/32, which estimates the same loss far faster (the gradients are written by hand below).")
    ui.show_code(w2v.negative_sampling_grads)
    fig, table = figs.negative_distribution_figure(ex)
    ui.plot(fig, "word2vec-negative-distribution", table, key="w2v_fig_dist",
            caption="For the 12 most frequent words: each word's share of the corpus beside its share of the negative "
                    "draws, P(negative) ∝ count^0.75, both in %.")
    the = ex.top_words.index("the") if "the" in ex.top_words else 0
    predict_then_reveal(
        "word2vec_q_the", f"Is “{ex.top_words[the]}” drawn as a negative more often, as often, or less often than its "
                          "share of the corpus?",
        ["More often", "As often", "Less often"], "Less often",
        lambda: st.markdown(f"“{ex.top_words[the]}” is **{ex.p_corpus[the]:.2%}** of the tokens but only "
                            f"**{ex.p_negative[the]:.2%}** of the negatives: raising counts to the power 3/4 flattens "
                            "the distribution, so frequent words are drawn less and rare words more than their frequency."))

# -- 3. train your own ------------------------------------------------------------------------------------------
st.header("3. Train your own")
corpus, corpus_label = ue.corpus_picker("w2v")
c1, c2 = st.columns(2)
method_name = c1.segmented_control("Method", list(METHODS), default="Skip-gram", key="w2v_method",
                                   bind="query-params") or "Skip-gram"
embed_size = c2.select_slider("Embedding width D (numbers a word)", [10, 25, 50, 100], 50, key="w2v_dim")
st.caption("The first click's epochs are the run's plan: the learning rate decays over them, as word2vec does; "
           "later clicks go on at the last rate.")
own = ue.train_vectors("w2v", f"Word2Vec {method_name}", lab.own_config(METHODS[method_name], embed_size), corpus,
                       corpus_label, steps=(1, 2, 5, 10, 15), default=w2v.PRESETS[METHODS[method_name]].epochs)
if own is not None and own.steps:
    ue.show_run(own, "word2vec-own-loss")
else:
    st.caption("Nothing trained yet in this session: section 4 shows the shipped vectors' training instead.")

# -- 4. the map moving, epoch by epoch -----------------------------------------------------------------------------
st.header("4. Watch the words find their places")
options = (["Mine"] if own is not None and own.steps else []) + ["Shipped skip-gram", "Shipped CBOW"]
view = st.radio("Vectors", options, horizontal=True, key="w2v_view")
tm = ue.training_map(view, own)
if tm is None:
    st.stop()
ue.epoch_map(tm, "w2v_epoch", "word2vec-map",
             "Unit vectors projected on the two principal axes of the final vectors, the same axes for every epoch, "
             "so you see each word travel to its final place.",
             "Measured among the grouped words: analogies a : b :: c : ? answered by the nearest word to b − a + c "
             "(a, b, c excluded), and words whose 5 nearest neighbours share their group.")
if "queen" in tm.final:
    candidates = [c for c in ("king", "princess", "woman", "throne") if c in tm.final]
    sims = dict(zip(candidates, wvm.similarity_matrix(tm.final, ["queen", *candidates])[0, 1:]))
    predict_then_reveal(
        "word2vec_q_queen", f"In these vectors ({view.lower()}), which of these is closest to “queen”?",
        candidates, max(sims, key=sims.get),
        lambda: st.markdown("Cosine similarity with queen: " + ", ".join(f"{c} **{s:.3f}**" for c, s in sims.items())
                            + ". Its 5 nearest words overall: " + ", ".join(
                                f"{w} ({s:.2f})" for w, s in wvm.nearest(tm.final, "queen", 5))
                            + ". Queen shares its identity's contexts (throne, crown) with king and its attribute's "
                              "contexts (she, her) with every female word."))
