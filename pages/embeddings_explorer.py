"""Embedding explorer: the geometry of word vectors, as maps, neighbours, analogies and similarities.

Library calls: ui.explorer.sources / projection / group_purity (cached by plain values), projection.
choose_words / parse_words, wordvectors.nearest / analogy / analogy_accuracy / similarity_matrix / unit_rows,
tasks.corpus.analogy_questions, plotting.embeddings.word_map / side_by_side / similarity_heatmap /
map_frame / neighbours_frame / similarity_frame.
"""

import pandas as pd
import streamlit as st

from seqviz import projection as proj
from seqviz import ui
from seqviz import wordvectors as wvm
from seqviz.plotting import embeddings as ep
from seqviz.tasks.corpus import analogy_questions
from seqviz.ui import explorer as ex
from seqviz.ui.classroom import explain, predict_then_reveal

st.title("Embedding explorer: the geometry of meaning")
explain(
    "A word vector $e_w$ is one row of numbers per word. Word2Vec and GloVe place words that occur in "
    "similar contexts at similar places, so directions and neighbourhoods start to mean something. "
    "Here you look at that geometry: a map of the words, each word's nearest neighbours, analogies "
    "by vector arithmetic, and how alike chosen words are.")

vectors, labels, problems = ex.sources()
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
    if st.session_state.get("explorer_points", 0) > top:  # another source or method allows fewer: start over
        del st.session_state["explorer_points"]
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
    st.warning(f"Not in these vectors: {', '.join(repr(proj.shorten(w)) for w in missing[:5])}"
               + (f" and {len(missing) - 5} more" if len(missing) > 5 else "") + ".")

# -- 1. the map --------------------------------------------------------------------------------------
st.header("1. The map")
words = proj.choose_words(wv, n_points, must=found, method=method)
groups = [(wv.groups or {}).get(w) for w in words]
p = ex.projection(source, wv, words, method, dims)
titles = p.axis_titles()
st.caption(f"{len(words):,} of {len(wv.words):,} words projected ({wv.source}), "
           + ("grouped words first, then in the file's order" if wv.groups else "in the file's order")
           + f"; the cap for {proj.METHODS[method]} is {proj.MAX_POINTS[method]:,} to keep the page responsive. "
           + (f"Labels are drawn for up to {ep.MAX_LABELS} words; hover for the others." if len(words) > ep.MAX_LABELS
              and show_labels else "Hover a point for its word and group."))
ui.plot(ep.word_map(p.coords, words, groups, titles, highlight=found, labels=show_labels),
        f"explorer-map-{method}-{dims}d", ep.map_frame(p.coords, words, groups, titles), key="map",
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
n1, n2 = st.columns([2, 1])
word = n1.text_input("Word", "queen", key="explorer_word", bind="query-params", max_chars=100).strip()
k = n2.slider("How many neighbours", 1, 30, 10, key="explorer_k", bind="query-params")
if not word:
    st.info("Type a word to see its nearest neighbours.")
elif (hit := proj.parse_words(word, wv)[0]) and len(hit) == 1:
    table = ep.neighbours_frame(wvm.nearest(wv, hit[0], k), wv.groups)
    st.dataframe(table, hide_index=True, width="stretch")
    st.caption(f"The {k} words with the highest cosine similarity to {hit[0]!r}; 1 means the same direction.")
else:
    st.warning(f"{proj.shorten(word)!r} is not one word of these vectors; try for example "
               + ", ".join(repr(w) for w in words[:5]) + ".")
ui.show_code(wvm.nearest)

# -- 3. analogies --------------------------------------------------------------------------------------
st.header("3. Analogies: x − y + z")
explain("Start from $x$, take away what $y$ has, add what $z$ has: *king − man + woman* asks for the word "
            "that is to *woman* what *king* is to *man*. With unit vectors $\\hat e = e / \\lVert e \\rVert$:")
st.latex(r"\hat d = \arg\max_{w \notin \{x,\, y,\, z\}} \cos\big(e_w,\; \hat e_x - \hat e_y + \hat e_z\big)")
a1, a2, a3, a4 = st.columns([1, 1, 1, 1.3], vertical_alignment="bottom")
x = a1.text_input("x", "king", key="explorer_x", bind="query-params", max_chars=100).strip()
y = a2.text_input("− y", "man", key="explorer_y", bind="query-params", max_chars=100).strip()
z = a3.text_input("+ z", "woman", key="explorer_z", bind="query-params", max_chars=100).strip()
exclude = a4.toggle("Exclude the input words", True, key="explorer_exclude", bind="query-params")
unknown = [w for w in (x, y, z) if w not in wv]
if unknown:
    st.warning(f"Not in these vectors: {', '.join(repr(proj.shorten(w)) for w in unknown)}; type three words "
               "of the vocabulary." if all(unknown) else "Type three words.")
else:
    answers = wvm.analogy(wv, y, x, z, k=5, exclude_inputs=exclude)  # analogy(a, b, c) is b - a + c
    other = wvm.analogy(wv, y, x, z, k=1, exclude_inputs=not exclude)[0]
    st.dataframe(ep.neighbours_frame(answers, wv.groups), hide_index=True, width="stretch")
    st.markdown(f"{'Without' if exclude else 'With'} the exclusion the top answer would be **{other[0]}** "
                f"(cos {other[1]:.3f}).")
    explain("Why it matters: $\\hat e_x - \\hat e_y + \\hat e_z$ is built from the inputs, "
            "so it can stay closer to $x$ or $z$ than to any other word, and the question answers itself. "
            "word2vec's and gensim's analogy tests leave the three inputs out, and so do the accuracies reported "
            "on these pages; the two figures below show what that changes for these vectors.")
    if wv.groups:
        questions = list(analogy_questions())
        acc_in = wvm.analogy_accuracy(wv, questions, exclude_inputs=True)
        acc_all = wvm.analogy_accuracy(wv, questions, exclude_inputs=False)
        m1, m2 = st.columns(2)
        m1.metric(f"Built-in analogies right, inputs excluded ({len(questions)} questions)", f"{acc_in:.0%}")
        m2.metric("Same questions, inputs allowed", f"{acc_all:.0%}", delta=f"{100 * (acc_all - acc_in):+.1f} points",
                  delta_color="off" if acc_all == acc_in else "normal")
ui.show_code(wvm.analogy)

# -- 4. similarity heatmap -------------------------------------------------------------------------------
st.header("4. How alike are these words?")
chosen_text = st.text_input("Words (up to 40, separated by commas or spaces)",
                            "king queen man woman prince princess france paris", key="explorer_words",
                            bind="query-params", max_chars=1000)
chosen, missing_h, problem_h = proj.parse_words(chosen_text, wv)
if problem_h or missing_h:
    st.warning(problem_h or f"Not in these vectors: {', '.join(repr(proj.shorten(w)) for w in missing_h[:5])}.")
if len(chosen) >= 2:
    sims = wvm.similarity_matrix(wv, chosen)
    ui.plot(ep.similarity_heatmap(chosen, sims), "explorer-similarity", ep.similarity_frame(chosen, sims), key="sims",
            caption="Cell (u, v) is $\\cos(e_u, e_v)$ on a scale from −1 to 1: red for the same direction, white for "
                    "unrelated (0), blue for opposite; the diagonal is each word with itself (1).")
else:
    st.info("Type at least two words of the vocabulary to compare them.")

# -- 5. the three methods side by side ---------------------------------------------------------------------
st.header("5. CBOW, skip-gram and GloVe side by side")
shipped = {m: vectors[m] for m in ex.SHIPPED if m in vectors}
if len(shipped) < 2:
    st.info("The side-by-side view needs the shipped vectors, which are not available here.")
else:
    common = [w for w in next(iter(shipped.values())).words
              if all(w in s and (s.groups or {}).get(w) for s in shipped.values())][:300]
    panels = []
    for m, s in shipped.items():
        pm = ex.projection(m, s, common, method, 2)
        panels.append((ex.SHIPPED[m], pm.coords, common, [s.groups[w] for w in common]))
    ui.plot(ep.side_by_side(panels, highlight=found), f"explorer-side-by-side-{method}",
            pd.concat([ep.map_frame(c, w, g, ["x", "y"]).assign(vectors=t) for t, c, w, g in panels]), key="side",
            caption=f"The same {len(common)} grouped words of the built-in corpus, {proj.METHODS[method]} in 2-D, one "
                    "projection per method (so the orientation of each panel is arbitrary); colours are the groups.")
    purity = {m: ex.group_purity(m, s) for m, s in shipped.items()}
    st.markdown("Share of grouped words whose 5 nearest neighbours all lie in their own group: "
                + ", ".join(f"{ex.SHIPPED[m]} **{v:.0%}**" for m, v in purity.items()) + ".")

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
    purity = {m: ex.group_purity(m, s) for m, s in shipped.items()}
    best = max(purity, key=purity.get)
    predict_then_reveal(
        "explorer_q_purity", "Which method puts the 5 nearest neighbours of the most grouped words inside their own group?",
        list(ex.SHIPPED.values()), ex.SHIPPED[best],
        lambda: st.markdown(", ".join(f"{ex.SHIPPED[m]}: {v:.1%}" for m, v in purity.items()) + ". GloVe learns only "
                            "from how often pairs of words occur together, weighted by f(x); words that share "
                            "contexts but never meet get no direct pull towards each other."))
