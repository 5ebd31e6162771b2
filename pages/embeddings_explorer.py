"""Embedding explorer: the geometry of word vectors, as maps, neighbours, analogies and similarities.

Library calls: ui.embeddings.sources (shipped vectors, the learner's trained vectors from the store, loaded
files) / projection / side_by_side / analogy_metrics / purities (cached by plain values), the fragments
ui.embeddings.neighbours (wordvectors.nearest) / analogy (wordvectors.analogy) / similarity (wordvectors.
similarity_matrix, plotting.embeddings.similarity_heatmap), projection.choose_words / parse_words,
wordvectors.analogy, plotting.embeddings.word_map / side_by_side, ui.embeddings.setting_metrics / settings_frame
(the three methods on both corpus settings).
"""

import streamlit as st

from seqviz import projection as proj
from seqviz import ui
from seqviz import wordvectors as wvm
from seqviz.plotting import embeddings as ep
from seqviz.ui import embeddings as ue
from seqviz.ui.classroom import explain, predict_then_reveal

st.title("Embedding explorer: the geometry of meaning")
explain(
    "A word vector $e_w$ is one row of numbers per word. Word2Vec and GloVe place words that occur in "
    "similar contexts at similar places, so directions and neighbourhoods start to mean something. "
    "Here you look at that geometry: a map of the words, each word's nearest neighbours, analogies "
    "by vector arithmetic, and how alike chosen words are.")

vectors, labels, problems = ue.sources()
if not vectors:
    st.error("No word vectors are available: " + " ".join(problems) if problems else "No word vectors are available.")
    st.page_link("pages/embeddings_pretrained.py", label="Load a vectors file", icon=":material/upload_file:")
    st.stop()
for problem in problems:
    st.caption(problem)

# -- which vectors, how to draw them -----------------------------------------------------------------
ui.drop_unusable_link_values("explorer_method", "explorer_dims")
c1, c2, c3 = st.columns([2, 1, 1], vertical_alignment="bottom")
source = c1.selectbox("Vectors", list(vectors), format_func=labels.get, key="explorer_source", bind="query-params")
method = c2.segmented_control("Projection", list(proj.METHODS), format_func=proj.METHODS.get, default="pca",
                              required=True, key="explorer_method", bind="query-params")
dims = c3.segmented_control("Dimensions", [2, 3], format_func=lambda d: f"{d}-D", default=2, required=True,
                            key="explorer_dims", bind="query-params")
wv = vectors[source]
if not any(k.startswith("mine:") for k in vectors):
    st.caption("Vectors you train on the Word2Vec or GloVe page, or load on the Pretrained vectors page, "
               "appear in this list too; none yet in this session.")

top = min(proj.MAX_POINTS[method], len(wv.words))
c4, c5, c6 = st.columns([2, 2, 1], vertical_alignment="bottom")
if top > 2:
    ui.clamp_state("explorer_points", top, 2)  # another source or method may allow fewer
    n_points = c4.slider(f"Words to project (at most {top:,})", 2, top, min(proj.DEFAULT_POINTS, top), step=1,
                         key="explorer_points", bind="query-params")
else:
    n_points = top
search = c5.text_input("Search: words to ring on the map", "queen, king", key="explorer_search",
                       bind="query-params", max_chars=400)
show_labels = c6.toggle("Labels", True, key="explorer_labels", bind="query-params")
found, missing, problem = proj.parse_words(search, wv)
if problem:
    st.warning(problem)
elif missing:
    st.warning(proj.not_found(missing))

# -- 1. the map --------------------------------------------------------------------------------------
st.header("1. The map")
words = proj.choose_words(wv, n_points, must=found, method=method)
groups = [(wv.groups or {}).get(w) for w in words]
p = ue.projection(source, wv, words, method, dims)
titles = p.axis_titles()
st.caption(f"{len(words):,} of {len(wv.words):,} words projected ({wv.source}), "
           + ("grouped words first, then in the file's order" if wv.groups else "in the file's order")
           + f"; the cap for {proj.METHODS[method]} is {proj.MAX_POINTS[method]:,} to keep the page responsive. "
           + (f"Labels are drawn for up to {ep.MAX_LABELS} words; hover for the others." if len(words) > ep.MAX_LABELS
              and show_labels else "Hover a point for its word and group."))
fig, table = ep.word_map(p.coords, words, groups, titles, highlight=found, labels=show_labels)
ui.plot(fig, f"explorer-map-{method}-{dims}d", table, key="map",
        caption=f"Each point is one word's vector $e_w$ projected to {dims}-D by {proj.METHODS[method]} (axes as "
                "labelled); colour is the word's group, and the searched words are ringed.")
if method == "pca":
    explain(f"**PCA** rotates the {wv.vectors.shape[1]}-dimensional vectors and keeps the {dims} directions "
            f"along which they vary most; together they hold **{p.explained.sum():.0%}** of the variance, "
            "so the rest is hidden. It is linear: a direction on the map, such as male to female, is one "
            "direction in the vectors too.")
else:
    explain(f"**t-SNE** places the words so that each one's near neighbours (by cosine) stay near; it reached a "
            f"KL divergence of {p.kl_divergence:.2f} (perplexity {proj.perplexity_for(len(words)):.0f}, seed "
            f"{proj.SEED}). Clusters mean something; distances *between* clusters and the axes do not, and "
            "another seed or another number of words gives another picture.")

# -- 2. nearest neighbours ---------------------------------------------------------------------------
st.header("2. Nearest neighbours")
st.latex(r"\cos(e_u, e_v) = \frac{e_u \cdot e_v}{\lVert e_u \rVert \, \lVert e_v \rVert}")
ue.neighbours(wv, words)  # a fragment: the word and k rerun only the table
ui.show_code(wvm.nearest)

# -- 3. analogies --------------------------------------------------------------------------------------
st.header("3. Analogies: x − y + z")
explain("Start from $x$, take away what $y$ has, add what $z$ has: *king − man + woman* asks for the word "
            "that is to *woman* what *king* is to *man*. With unit vectors $\\hat e = e / \\lVert e \\rVert$:")
st.latex(r"\hat d = \arg\max_{w \notin \{x,\, y,\, z\}} \cos\big(e_w,\; \hat e_x - \hat e_y + \hat e_z\big)")
ue.analogy(wv)  # a fragment: the three words and the switch rerun only the answers
explain("Why the exclusion matters: $\\hat e_x - \\hat e_y + \\hat e_z$ is built from the inputs, so it can stay "
        "closer to $x$ or $z$ than to any other word, and the question answers itself. word2vec's and gensim's "
        "analogy tests leave the three inputs out, and so do the accuracies reported on these pages; the two "
        "figures below show what that changes for these vectors.")
ue.analogy_metrics(source, wv)  # the built-in questions with inputs excluded and allowed (cached)
ui.show_code(wvm.analogy)

# -- 4. similarity heatmap -------------------------------------------------------------------------------
st.header("4. How alike are these words?")
ue.similarity(wv)  # a fragment: the words rerun only the heatmap

# -- 5. the three methods side by side ---------------------------------------------------------------------
st.header("5. CBOW, skip-gram and GloVe side by side")
shipped = {m: vectors[m] for m in ue.SHIPPED if m in vectors}
if len(shipped) < 2:
    st.info("The side-by-side view needs the shipped vectors, which are not available here.")
else:
    fig, table = ue.side_by_side_figure(vectors, method, found)  # built once per method and search
    ui.plot(fig, f"explorer-side-by-side-{method}", table, key="side",
            caption=f"The same {table['word'].nunique()} grouped words of the built-in corpus, {proj.METHODS[method]} in 2-D, one "
                    "projection per method (so the orientation of each panel is arbitrary); colours are the groups.")
    purity = ue.purities(vectors)
    st.markdown("Share of grouped words whose 5 nearest neighbours all lie in their own group: "
                + ", ".join(f"{ue.SHIPPED[m]} **{v:.0%}**" for m, v in purity.items()) + ".")
    figures = ue.setting_metrics()
    if figures is not None:
        st.subheader("The three methods on both corpus settings")
        st.dataframe(ue.settings_frame(figures), hide_index=True, width="stretch")
        st.caption("Analogies (inputs excluded) and 5-NN group purity of each method on the plain built-in corpus "
                   "(one grouped word a sentence, with its context words) and its paired setting (two grouped words "
                   "of one family a sentence, nothing else), same size and seed; train s: seconds of training on "
                   "one CPU thread when each file was built. Plain: the shipped vectors. Paired: the shipped GloVe "
                   "(in the Vectors list above), and CBOW and skip-gram measured with their shipped recipes when it "
                   "was built.")
        explain("Word2Vec reads the plain corpus well and GloVe the paired one. In the plain corpus grouped words "
                "never meet, so the relations live in which contexts words share and in the pairs that never "
                "co-occur, which negative sampling uses and GloVe's sum over X_ij > 0 leaves out. In the paired "
                "corpus they live in how often grouped words meet, which is what GloVe fits. The GloVe page shows "
                "the counts of both.")
        st.page_link("pages/embeddings_glove.py", label="Compare the counts on the GloVe page",
                     icon=":material/grid_on:", query_params={"glove_setting": "Paired"})

# -- predict, then reveal -------------------------------------------------------------------------------------
st.header("Predict, then reveal")
if all(w in wv for w in ("king", "man", "woman", "queen")):
    top_all = wvm.analogy(wv, "man", "king", "woman", k=3, exclude_inputs=False)
    predict_then_reveal(
        "explorer_q_inputs", "Compute king − man + woman but **allow** the input words as answers. Which word comes "
        f"out on top in {labels[source]}?", ["queen", "king", "woman", "man"], top_all[0][0],
        lambda: st.markdown("The three best with the inputs allowed: " + ", ".join(
            f"**{w}** (cos {s:.3f})" for w, s in top_all) + "."))
else:
    st.caption("The first question needs king, man, woman and queen, which these vectors lack.")
if len(shipped) == 3:
    purity = ue.purities(vectors)
    best = max(purity, key=purity.get)
    predict_then_reveal(
        "explorer_q_purity", "Which method puts the 5 nearest neighbours of the most grouped words inside their own group?",
        list(ue.SHIPPED.values()), ue.SHIPPED[best],
        lambda: st.markdown(", ".join(f"{ue.SHIPPED[m]}: {v:.1%}" for m, v in purity.items()) + ". GloVe learns only "
                            "from how often pairs of words occur together, weighted by f(x); words that share "
                            "contexts but never meet get no direct pull towards each other."))
