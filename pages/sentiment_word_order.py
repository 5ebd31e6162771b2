"""Sentiment: why word order matters. A bag of embeddings against RNN, LSTM, GRU and BiLSTM readers.

Library calls: seqviz.ui.sentiment (shipped_models, own_models, review_tokens, answers, last_checks,
embedding_vectors; the fragments reading_view, attribution_view, mistakes_view; train_own, own_progress), ui.trace
(the lab's trace), labs.sentiment (accuracy_table, by_seed, gap_sentence), tasks.sentiment.shown_tokens,
seqviz.plotting.sentiment (predictions_figure, accuracy_figure, confusion_figure, seeds_figure), ui.plot,
ui.show_code, classroom.predict_then_reveal.
"""

import streamlit as st

from seqviz import ui
from seqviz.labs import sentiment as lab
from seqviz.models.bag import BagOfEmbeddings
from seqviz.models.recurrent import RecurrentNet
from seqviz.plotting import sentiment as figs
from seqviz.tasks.sentiment import shown_tokens
from seqviz.ui import sentiment as us
from seqviz.ui.classroom import explain, predict_then_reveal

EXAMPLES = ["the plot was not bad at all", "i did not think the acting was good",
            "the music was great but the ending was very dull", "the ending was dull but the music was great",
            "i never found the story boring", "what a wonderful film", "the cast is somewhat poor"]

st.title("Sentiment: why word order matters")
explain(
    "Five small models read short film reviews and say **negative** or **positive**. The reviews come from a "
    "grammar with labelled phenomena: plain opinions (*the plot was great*), intensifiers and downtoners "
    "(*very*, *somewhat*), negation next to the adjective (*not bad*) or four words away (*i did not think the "
    "plot was good*), contrast (*good **but** dull*: the part after *but* decides), and neutral filler, "
    "sometimes three or four sentences of it after the verdict. "
    "A **bag of embeddings** averages its word vectors, so it knows which words appear but not in which order; "
    "the **recurrent** models read word by word and can let *not* flip what follows.")
models, own, task = us.shipped_models(), us.own_models(), lab.TASK
if not models:
    st.stop()
bag_label, vocab = lab.ARCHS["bag"][0], task.vocab()
st.latex(r"\text{bag:}\quad e_t = E[x_t], \qquad m = \frac{1}{T}\sum_{t=1}^{T} e_t, \qquad z = W m + b, "
         r"\qquad p = \operatorname{softmax}(z)")
st.latex(r"\text{recurrent:}\quad h_t = \mathrm{cell}(x_t, h_{t-1}), \qquad z = W_{hy}\, h_T + b_y "
         r"\quad\big(\text{BiLSTM: } z = W_{hy} [\overrightarrow{h}_T;\ \overleftarrow{h}_1] + b_y\big)")
explain("$x_t$ is word $t$ of $T$; $E$ holds one vector $e_t$ per word (16 numbers, learned); the recurrent "
        "cells are the LSTM, GRU and tanh RNN of the recurrent lab, fed one-hot words, 32 units each. Because "
        "$W$ is linear, the bag's $z = \\frac{1}{T}\\sum_t W e_t + b$: every word casts a fixed vote wherever it "
        "stands, and no word can change another's vote.")
ui.show_code(BagOfEmbeddings.classify, RecurrentNet.read_out)

# -- 1. type a review -----------------------------------------------------------------------------------
st.header("1. Type a review")
c1, c2 = st.columns([3, 2], vertical_alignment="bottom")
text = c1.text_input("Your review (lower or upper case; words outside the vocabulary are read as <unk>)",
                     EXAMPLES[0], key="sentiment_text", bind="query-params", max_chars=None)
c2.selectbox("Or pick an example", EXAMPLES, index=None, key="sentiment_example", placeholder="Examples...",
             on_change=lambda: st.session_state.update(sentiment_text=st.session_state["sentiment_example"]))
tokens, shown = us.review_tokens(text), None
if tokens is not None:
    shown = shown_tokens(list(tokens), vocab)
    st.caption("p(positive) of every model for the words " + " · ".join(f"`{w}`" for w in shown[:60])
               + ". Right of the dashed line: positive.")
    fig, table = figs.predictions_figure(us.answers(models, own, tokens), task.class_names)
    ui.plot(fig, "sentiment-predictions", table, key="predictions",
            caption=f"One bar per model: its probability p({task.class_names[1]}) for this review on a scale from 0 "
                    "to 1, the dashed line at 0.5.")

# -- 2. reading word by word ---------------------------------------------------------------------------
st.header("2. Reading, word by word")
explain("After each word $t$ the recurrent model's state $h_t$ already holds the review so far, so "
        "$\\operatorname{softmax}(W_{hy} h_t + b_y)$ is the answer it would give if the review ended there. "
        "The bag's answer after word $t$ uses the mean of the first $t$ vectors. Watch the lines at *not* and "
        "at *but*. (The BiLSTM has no such reading: its right-to-left half must read the whole review first.)")
us.reading_view(models, own, tokens, shown)

# -- 3. attribution --------------------------------------------------------------------------------------
st.header("3. Which words pushed the answer?")
explain("$u_t$ is what the model reads for word $t$: the bag's vector $e_t$, a recurrent net's one-hot $x_t$. "
        "$a_t > 0$ (red) pushed towards positive, $a_t < 0$ (blue) towards negative; each row is scaled by its "
        "own largest $|a_t|$ (hover for the raw numbers), since the models' scores differ in size. Integrated gradients "
        "adds the gradient along the straight path from no input at all ($u = 0$) to the review, so the "
        "$a_t$ add up to the change in $F$; for the bag, whose $F$ is linear, both methods give exactly each "
        "word's vote $(W_{\\mathrm{pos}} - W_{\\mathrm{neg}})\\, e_t / T$.")
us.attribution_view(models, own, tokens, shown)

# -- 4. accuracy by phenomenon --------------------------------------------------------------------------------
st.header("4. Accuracy by phenomenon")
recorded = {label: ckpt.meta.get("metrics", {}) for label, ckpt in models.items()}
acc, counts = lab.accuracy_table(recorded, us.last_checks(own))
st.markdown(f"Every shipped model on the same {counts['overall']:,} test reviews (never seen in training), as "
            "recorded when it was built; your own models on the first "
            f"{lab.CHECK_REVIEWS} of them. *Held-out template*: {counts['held-out template']} reviews shaped *i never "
            "found the N ADJ*, a negation no model saw in training.")
fig, table = figs.accuracy_figure(acc, counts)
ui.plot(fig, "sentiment-accuracy", table, key="accuracy",
        caption="Test accuracy (0 to 100%) of every model, one bar colour each, on the test reviews with each "
                "phenomenon (how many under its name); the dashed line is chance, 50%.")
fig, table = figs.confusion_figure({k: m["confusion"] for k, m in recorded.items() if "confusion" in m},
                                   task.class_names)
ui.plot(fig, "sentiment-confusion", table, key="confusion",
        caption="One panel per shipped model: each cell counts the test reviews of a true class (row) given a "
                "predicted class (column), coloured by its share of the row from 0 to 100%.")

st.subheader("Why gates help: the verdict first, then 20-30 neutral words")
rows = lab.by_seed({label: ckpt.meta for label, ckpt in models.items()})
if rows:
    explain("A review with the verdict early (*the plot was not great . it runs two hours . we went to the cinema "
            ". ...*) asks a model to carry its answer across every neutral word after it. Each recurrent recipe was "
            "trained from three seeds (weights and training reviews); the shipped model is seed 0.")
    st.markdown(lab.gap_sentence(rows))
    fig, table = figs.seeds_figure(rows)
    ui.plot(fig, "sentiment-seeds", table, key="seeds",
            caption="Test accuracy (0 to 100%) of each recurrent model on three groups of test reviews: one dot per "
                    "seed, the bar at their mean; the dashed line is chance, 50%.")

# -- questions ----------------------------------------------------------------------------------------------
probe = ("the", "plot", "was", "not", "good")
if bag_label in models:
    bag_p = ui.trace(models[bag_label].name, probe).probs
    predict_then_reveal(
        "sentiment_q1", "The bag of embeddings reads *the plot was not good*. What does it answer?",
        task.class_names, task.class_names[int(bag_p.argmax())],
        lambda: st.markdown(f"p(positive) = {bag_p[1]:.3f}. The vote of *good* is large and positive; the vote of "
                            "*not* cannot flip it, it can only add its own fixed amount, the same as in *not bad*."))
if "LSTM" in recorded:
    held = recorded["LSTM"].get("held_out_template") or 0.0
    predict_then_reveal(
        "sentiment_q2", "The LSTM is right on nearly every test review, negations included. On the held-out "
        "template *i never found the N ADJ*, never seen in training, is it right more than half the time?",
        ["yes", "no"], "yes" if held > 0.5 else "no",
        lambda: st.markdown(f"It is right on {held:.0%} of those reviews. It learned *not* and *never* in the "
                            "places training put them, not a rule that works in any sentence shape."))

# -- 5. mistakes ----------------------------------------------------------------------------------------
st.header("5. Browse the mistakes")
us.mistakes_view(models)

# -- 6. train your own ---------------------------------------------------------------------------------
st.header("6. Train your own")
explain("Train any of the five models from scratch on fresh reviews from the training split, a chunk of steps "
        f"of {lab.OWN_BATCH} reviews at a time (Adam, learning rate {lab.OWN_LR}). After each chunk it is scored on "
        f"{lab.CHECK_REVIEWS} test reviews; it joins every view above, and the checkpoint explorer offers it for "
        "download. One model per choice below; the shipped recipe: 600 steps.")
mine = us.train_own(us.embedding_vectors())
if mine is not None:
    us.own_progress(mine)
else:
    st.caption("No model of yours with these settings yet in this session: press Train.")
