"""GloVe lesson: the co-occurrence matrix, the weighting function, the objective with real numbers for
one pair, live training, why GloVe answers fewer analogies than Word2Vec on the built-in corpus, and the
corpus's paired setting, where grouped words co-occur and GloVe answers nearly all of them.

Library calls: models.glove.cooccurrence (through ui.embeddings.counts / count) / weighting / pair_terms /
Glove.grads, tasks.corpus.FAMILIES, labs.embeddings.RECIPES / LABELS / own_config / analogy_zero_share,
plotting.embeddings_training (cooccurrence_heatmap, weighting_figure, relation_accuracy_figure), and
seqviz.ui.embeddings (builtin_corpus, shipped, setting_metrics, corpus_picker, train_vectors (training.train_your_own in epochs,
the store), show_run, training_map, epoch_map (a fragment: the epoch slider reruns only the map)).
"""

import numpy as np
import streamlit as st

from seqviz import ui
from seqviz.labs import embeddings as lab
from seqviz.models import glove as gl
from seqviz.plotting import embeddings_training as figs
from seqviz.tasks.corpus import DEFAULT_TOKENS, FAMILIES, PAIR_TEMPLATES, PAIR_WEIGHT
from seqviz.ui import embeddings as ue
from seqviz.ui.classroom import explain, predict_then_reveal

RECIPE = lab.RECIPES["glove"].config
DEFAULT_WORDS = ["king", "queen", "man", "woman", "throne", "crown", "person", "he", "she", "the"]

ui.drop_unusable_link_values("glove_window", "glove_xmax", "glove_alpha", "glove_setting")
st.title("GloVe: word vectors from counting co-occurrences")
explain(
    "Word2Vec streams through the text one window at a time. GloVe (global vectors) first counts, over the "
    "whole corpus, how often each word appears near each other word, and then fits vectors whose dot "
    "products reproduce the logarithms of those counts. Same raw material, a different question, and, as "
    "section 5 shows, a different result."
)

# -- 1. counting ------------------------------------------------------------------------------------------
st.header("1. The co-occurrence matrix")
vocab = list(ue.builtin_corpus().words)
c1, c2 = st.columns([1, 3])
window = c1.slider("Window: words each side", 1, 10, RECIPE.window, key="glove_window", bind="query-params")
chosen = c2.multiselect("Words to show", vocab, [w for w in DEFAULT_WORDS if w in vocab], key="glove_words",
                        max_selections=25)
st.latex(r"X_{ij} = \sum_{\text{occurrences of } j \text{ within %d words of } i} \frac{1}{d}" % window)
explain("Every time word j appears d positions from word i in the same sentence, X_ij grows by 1/d: a "
        "neighbour counts 1, the next word ½, and so on. The matrix is symmetric. It is computed once, from "
        f"the default built-in corpus ({DEFAULT_TOKENS:,} tokens) here.")
if len(chosen) < 2:
    st.info("Choose at least two words to see their counts.")
else:
    fig, table = figs.cooccurrence_heatmap(ue.counts(tuple(chosen), int(window)), chosen)
    ui.plot(fig, "glove-cooccurrence", table, key="glove_fig_x",
            caption="Cell (i, j) is the count X_ij for word i (row) and context word j (column), coloured by "
                    "log(1 + X_ij) from 0 up; a cross marks X_ij = 0.")
ui.show_code(gl.cooccurrence)
x_kt, x_kq = ue.count("king", "throne", int(window)), ue.count("king", "queen", int(window))
predict_then_reveal(
    "glove_q_pair", "Which pair has the larger count: (king, throne) or (king, queen)?",
    ["(king, throne)", "(king, queen)", "About equal"], "(king, throne)" if x_kt > x_kq else "(king, queen)",
    lambda: st.markdown(f"X(king, throne) = **{x_kt:.1f}**, X(king, queen) = **{x_kq:.1f}**. In this corpus a sentence "
                        "talks about one grouped word: king and queen never meet. They are related only through the "
                        "contexts they share."))

# -- 2. the weighting function -------------------------------------------------------------------------------
st.header("2. The weighting function")
c1, c2 = st.columns(2)
x_max = c1.select_slider("x_max", [1, 5, 10, 25, 50, 100, 200], int(RECIPE.x_max), key="glove_xmax", bind="query-params")
alpha = c2.slider("α", 0.25, 1.0, RECIPE.alpha, 0.05, key="glove_alpha", bind="query-params")
marks = {f"({a}, {b})": ue.count(a, b, int(window)) for a, b in (("king", "throne"), ("the", "was"), ("queen", "she"))}
fig, table = figs.weighting_figure(float(x_max), float(alpha), marks)
ui.plot(fig, "glove-weighting", table, key="glove_fig_f",
        caption="The weight f(x) = min(1, (x / x_max)^α), from 0 to 1, against the count x on a log axis; the dots "
                "are the counts X_ij of three pairs and the dotted line is x_max.")
explain("Rare pairs are noisy, so they get a small weight; very frequent pairs (the, was) would dominate the fit, "
        "so the weight stops growing at x_max. A pair with X_ij = 0 has no term at all: log 0 is undefined.")

# -- 3. the objective for one pair ---------------------------------------------------------------------------
st.header("3. The objective for one pair, with real numbers")
st.latex(r"J = \sum_{i,j:\ X_{ij} > 0} f(X_{ij}) \left(w_i \cdot \tilde w_j + b_i + \tilde b_j - \log X_{ij}\right)^2")
sh = ue.shipped("glove")
if sh is not None:
    words = list(sh.vectors.words)
    c1, c2 = st.columns(2)
    wi = c1.selectbox("Word i", words, words.index("king"), key="glove_i")
    wj = c2.selectbox("Context word j", words, words.index("throne"), key="glove_j")
    x = ue.count(wi, wj, RECIPE.window)  # the shipped model's own window
    t = gl.pair_terms(sh.parts["w"], sh.parts["w_tilde"], sh.parts["b"], sh.parts["b_tilde"], sh.vectors.index(wi),
                      sh.vectors.index(wj), x, RECIPE.x_max, RECIPE.alpha)
    if t["residual"] is None:
        st.warning(f"X({wi}, {wj}) = 0: these words never appear within {RECIPE.window} words of each other, so this "
                   f"pair has no term in J. Whatever w_{wi} · w̃_{wj} is ({t['dot']:.3f}), nothing pulls it anywhere.")
    else:
        st.latex(r"w_{\text{%s}} \cdot \tilde w_{\text{%s}} + b + \tilde b - \log X = %.3f %+.3f %+.3f - \log %.2f = %.3f"
                 % (wi, wj, t["dot"], t["b_i"], t["b_j"], x, t["residual"]))
        st.latex(r"f(%.2f)\,(%.3f)^2 = %.3f \times %.4f = %.4f" % (x, t["residual"], t["f"], t["residual"] ** 2, t["term"]))
        st.caption(f"The shipped GloVe model (window {RECIPE.window}, x_max {RECIPE.x_max:g}, α {RECIPE.alpha:g}, "
                   f"{RECIPE.epochs} epochs of AdaGrad). The word vector it reports is w + w̃.")
ui.show_code(gl.Glove.grads)

# -- 4. train your own -------------------------------------------------------------------------------------------
st.header("4. Train your own")
corpus, corpus_label = ue.corpus_picker("glove")
embed_size = st.select_slider("Embedding width D (numbers a word)", [10, 25, 50, 100], RECIPE.embed_size,
                              key="glove_dim")
st.caption(f"Trained with the weighting of section 2 (x_max {x_max:g}, α {alpha:g}) and window {RECIPE.window}.")
PAIRED_RECIPE = lab.RECIPES["glove-paired"].config
if corpus is not None and "paired" in corpus_label and float(x_max) != PAIRED_RECIPE.x_max:
    st.info(f"On the paired corpus the shipped GloVe was trained with x_max {PAIRED_RECIPE.x_max:g} and "
            f"{PAIRED_RECIPE.epochs} epochs (section 6). Set x_max to {PAIRED_RECIPE.x_max:g} in section 2 to train "
            f"the same recipe; with x_max {x_max:g} most pairs' weights stay small and fewer analogies come out.")
own = ue.train_vectors("glove", f"GloVe x_max {x_max:g}, α {alpha:g}", lab.own_config("glove", embed_size, x_max, alpha),
                       corpus, corpus_label, steps=(5, 10, 25, 50, 100, 150), default=RECIPE.epochs)
if own is not None and own.steps:
    ue.show_run(own, "glove-own-loss", "J per entry", "GloVe objective")
    ue.epoch_map(ue.training_map("Mine", own), "glove_epoch", "glove-map",
                 "Unit vectors on the principal axes of the final vectors, the same for every epoch.")
else:
    st.caption(f"Nothing trained yet in this session. The shipped model took {sh.meta['train_seconds'] if sh else '?'} s.")

# -- 5. why GloVe falls short on analogies --------------------------------------------------------------------------
st.header("5. Why GloVe answers fewer analogies here")
metas = {m: ue.shipped(m) for m in ("skipgram", "cbow", "glove")}
if all(metas.values()):
    fig, table = figs.relation_accuracy_figure({lab.LABELS[m]: s.meta["metrics"]["analogy_by_relation"]
                                                for m, s in metas.items()})
    ui.plot(fig, "glove-relations", table, key="glove_fig_rel",
            caption="The shipped vectors of the three methods, trained on the same corpus.")
    st.markdown(" · ".join(f"**{lab.LABELS[m]}**: analogies {s.meta['metrics']['analogy_accuracy']:.0%}, "
                           f"5-NN purity {s.meta['metrics']['group_purity']:.0%}" for m, s in metas.items()))
grouped = tuple(ue.builtin_corpus().groups)
zero_share = lab.analogy_zero_share(ue.counts(grouped, RECIPE.window))
fam = FAMILIES[0]
example = ("king", "queen", "man", "woman", *fam.identity_context["ruler"][:2], *fam.identity_context["adult"][:2],
           "he", "his", "she", "her")
fig, table = figs.cooccurrence_heatmap(ue.counts(example, RECIPE.window), example)
ui.plot(fig, "glove-analogy-counts", table, key="glove_fig_analogy",
        caption="king : queen :: man : woman in counts: the four words never meet; the relation lives only in "
                "which contexts they share.")
explain(
    "Word2Vec's negative sampling uses the zeros: every time it draws woman as a negative for king, it pushes "
    "w_king · u_woman down. GloVe's sum runs over X_ij > 0 only, so the zero cells (× above) carry no weight at "
    "all, and nothing fixes where vectors of words that never co-occur sit relative to each other except "
    "through the contexts they share. Here GloVe puts king next to queen (same identity contexts) but does "
    "not make king → queen parallel to man → woman: the attribute offset an analogy needs is never asked "
    "for. On large real corpora, where related words do co-occur somewhere, GloVe does far better.")
if all(metas.values()):
    purity = metas["glove"].meta["metrics"]["purity_by_group"]
    weak = [g for g, p in purity.items() if p < 0.5]
    st.markdown("GloVe's 5-nearest-neighbour purity by group: " + ", ".join(f"{g} {p:.0%}" for g, p in purity.items())
                + (f". In {', '.join(weak)} a word's nearest neighbours are its identity partners (king's is queen), "
                   "not its own group." if weak else "."))
predict_then_reveal(
    "glove_q_zeros", f"Of all pairs of the {len(grouped)} grouped words, what share never co-occur (X_ij = 0)?",
    ["Under 10%", "About half", "Over 90%"],
    "Under 10%" if zero_share < 0.3 else "About half" if zero_share < 0.7 else "Over 90%",
    lambda: st.markdown(f"**{zero_share:.1%}** of the {len(grouped) * (len(grouped) - 1):,} pairs have X_ij = 0 (window "
                        f"{RECIPE.window}): none of them adds a term to J."))

# -- 6. the paired setting ------------------------------------------------------------------------------------
st.header("6. A corpus where the pairs meet")
PAIRED = lab.RECIPES["glove-paired"].config
explain(
    "The corpus's paired setting keeps the grammar's words and relations but writes them into which grouped words "
    "meet: every sentence about a grouped word names a second word of its family and nothing else (\"king and man\", "
    "\"both king and queen\"). A partner w' that shares the word's group or its identity is "
    f"{PAIR_WEIGHT} times as likely as one that shares neither:")
st.latex(r"P(w' \mid w) \propto \begin{cases} %d & w' \text{ shares the group or the identity of } w \\ "
         r"1 & \text{otherwise (same family)} \end{cases}" % PAIR_WEIGHT)
setting = st.segmented_control("Corpus setting: one grouped word a sentence (plain) or two (paired)",
                               ["Plain", "Paired"], default="Plain", required=True, key="glove_setting",
                               bind="query-params")
paired = setting == "Paired"
figures = ue.setting_metrics()
if figures is None:
    st.caption("The figures of the two settings need the shipped vectors, which are not available here.")
else:
    g1, g2 = st.columns(2)
    for col, p in ((g1, False), (g2, True)):
        m = figures[p]["glove"]
        col.metric(f"GloVe on the {lab.SETTING_LABELS[p]}: analogies right", f"{m['analogy_accuracy']:.0%}",
                   border=p == paired)
        col.metric("5-NN group purity", f"{m['group_purity']:.0%}", border=p == paired)
    st.dataframe(ue.settings_frame(figures), hide_index=True, width="stretch")
    st.caption(f"Analogies: {figures[True]['glove']['analogy_questions']} built-in questions, inputs excluded. "
               "Purity: share of grouped words whose 5 nearest neighbours are all in their own group. Plain: the "
               "three shipped models. Paired: the shipped GloVe (x_max "
               f"{PAIRED.x_max:g}, {PAIRED.epochs} epochs), CBOW and skip-gram trained with their shipped recipes in "
               "the same build (measured, not shipped).")
pair_words = ("king", "queen", "man", "woman", "prince", "princess", "he", "she", "throne")
fig, table = figs.cooccurrence_heatmap(ue.counts(pair_words, PAIRED.window, paired), pair_words)
ui.plot(fig, f"glove-setting-counts-{setting}", table, key="glove_fig_setting",
        caption=f"X_ij on the {lab.SETTING_LABELS[paired]} (window {PAIRED.window}), coloured by log(1 + X_ij); a "
                "cross marks X_ij = 0. The paired corpus has no context words such as he or throne.")
G = ue.counts(grouped, PAIRED.window, paired)
st.markdown(f"On the {lab.SETTING_LABELS[paired]}, **{lab.analogy_zero_share(G):.1%}** of the pairs of grouped words "
            f"have X_ij = 0, and **{lab.zero_share_within_families(G, grouped):.1%}** of the pairs within one family "
            "(the pairs every analogy question is made of).")
if figures is not None:
    fig, table = figs.relation_accuracy_figure({lab.LABELS[m]: figures[paired][m]["analogy_by_relation"]
                                                for m in ("cbow", "skipgram", "glove") if m in figures[paired]})
    ui.plot(fig, f"glove-setting-relations-{setting}", table, key="glove_fig_setting_rel",
            caption=f"Analogy accuracy per relation on the {lab.SETTING_LABELS[paired]}, the three methods.")
    w2v = figures[True]
    other = figures[True]["glove"]
    plain_same, plain_recipe = figures.get("glove-plain"), figures.get("glove-recipe")
    explain(
        "Why it works: in the paired corpus king and woman meet too, only less often than king and queen or king and "
        "man, so nearly every pair of a family has X_ij > 0 and a term in J. In expectation "
        "log X(king, v) − log X(queen, v) = log X(man, v) − log X(woman, v) for every other word v, and fitting "
        "w_i · w̃_j + b_i + b̃_j to log X_ij turns equal differences of logs into the parallel offsets an analogy "
        f"reads: {other['analogy_accuracy']:.0%} of the analogies, {other['group_purity']:.0%} purity.")
    if plain_same and plain_recipe:
        median = float(np.median(ue.builtin_cooccurrence(PAIRED.window, paired=True).values))
        st.markdown(
            f"The paired model is trained with x_max {PAIRED.x_max:g} and {PAIRED.epochs} epochs: its median non-zero "
            f"count is {median:.1f}, where x_max {RECIPE.x_max:g} would give f(x) = "
            f"{float(gl.weighting(median, RECIPE.x_max, RECIPE.alpha)):.2f}. Both the counts and the settings matter: the same "
            f"settings on the plain corpus answer **{plain_same['analogy_accuracy']:.0%}**, and the plain corpus's "
            f"settings (x_max {RECIPE.x_max:g}, {RECIPE.epochs} epochs) on the paired corpus "
            f"**{plain_recipe['analogy_accuracy']:.0%}**.")
    if "cbow" in w2v and "skipgram" in w2v:
        st.markdown(
            f"CBOW and skip-gram answer **{w2v['cbow']['analogy_accuracy']:.0%}** and "
            f"**{w2v['skipgram']['analogy_accuracy']:.0%}** of the analogies on the paired corpus, with the recipes "
            "that give them over 95% on the plain one: no method wins on every corpus; each reads the relations in "
            "the form its objective uses.")
