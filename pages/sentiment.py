"""Sentiment: why word order matters. A bag of embeddings against RNN, LSTM, GRU and BiLSTM readers.

Library calls: seqviz.ui.sentiment (shipped / shipped_models / shipped_probs / shipped_trace /
shipped_attribution / shipped_test_probs / test_reviews / own_models / check / own_probs /
embedding_vectors), SentimentTask.check_text, tasks.sentiment.shown_tokens / score, BagOfEmbeddings.trace,
RecurrentNet.trace, attribution.attribute, zoo_sentiment.build_model, models.bag.init_from_vectors,
seqviz.plotting.sentiment (predictions_figure, reading_figure, attribution_figure, accuracy_figure,
confusion_figure, curve_figure), ui.train_live, ui.plot, ui.show_code, classroom.predict_then_reveal.
"""

import pandas as pd
import streamlit as st

from seqviz import ui
from seqviz import zoo_sentiment as zs
from seqviz.attribution import attribute, integrated_gradients
from seqviz.models.bag import BagOfEmbeddings, init_from_vectors
from seqviz.models.recurrent import RecurrentNet
from seqviz.plotting import sentiment as figs
from seqviz.tasks.sentiment import PHENOMENA, SentimentTask, shown_tokens
from seqviz.training import TrainingRun
from seqviz.ui import sentiment as us
from seqviz.ui.classroom import explain, predict_then_reveal

EXAMPLES = ["the plot was not bad at all", "i did not think the acting was good",
            "the music was great but the ending was very dull", "the ending was dull but the music was great",
            "i never found the story boring", "what a wonderful film", "the cast is somewhat poor"]
METHODS = ["integrated gradients", "gradient x input"]
CHUNKS = [50, 100, 200]  # steps a press of the button trains (an LSTM does ~10 steps/s on one thread)

st.title("Sentiment: why word order matters")
explain(
    "Five small models read short film reviews and say **negative** or **positive**. The reviews come from a "
    "grammar with labelled phenomena: plain opinions (*the plot was great*), intensifiers and downtoners "
    "(*very*, *somewhat*), negation next to the adjective (*not bad*) or four words away (*i did not think the "
    "plot was good*), contrast (*good **but** dull*: the part after *but* decides), and neutral filler. "
    "A **bag of embeddings** averages its word vectors, so it knows which words appear but not in which order; "
    "the **recurrent** models read word by word and can let *not* flip what follows.")
models = us.shipped_models()
if not models:
    st.stop()
bag_label, task = "Bag of embeddings", SentimentTask()
vocab = next(iter(models.values())).vocab
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


def _use_example():
    st.session_state["sentiment_text"] = st.session_state["sentiment_example"]


c1, c2 = st.columns([3, 2], vertical_alignment="bottom")
text = c1.text_input("Your review (lower or upper case; words outside the vocabulary are read as <unk>)",
                     EXAMPLES[0], key="sentiment_text", bind="query-params", max_chars=None)
c2.selectbox("Or pick an example", EXAMPLES, index=None, key="sentiment_example", on_change=_use_example,
             placeholder="Examples...")
checked = task.check_text(text, vocab)
own = us.own_models()
tokens = None
if checked.error:
    st.error(checked.error)
else:
    if checked.note:
        st.warning(checked.note)
    tokens = tuple(checked.tokens)
    shown = shown_tokens(list(tokens), vocab)
    probs = {label: us.shipped_probs(ckpt.name, tokens) for label, ckpt in models.items()}
    probs.update({f"Mine: {k}": us.own_probs(m, tokens) for k, m in own.items()})
    st.caption("p(positive) of every model for the words " + " · ".join(f"`{w}`" for w in shown[:60])
               + ". Right of the dashed line: positive.")
    ui.plot(figs.predictions_figure(probs, task.class_names), "sentiment-predictions",
            figs.predictions_frame(probs, task.class_names), key="predictions",
            caption=f"One bar per model: its probability p({task.class_names[1]}) for this review on a scale from 0 "
                    "to 1, the dashed line at 0.5.")

# -- 2. reading word by word ---------------------------------------------------------------------------
st.header("2. Reading, word by word")
readers = {label: models[label] for label in ("LSTM", "GRU", "Vanilla RNN") if label in models}
mine_readers = {f"Mine: {k}": m for k, m in own.items() if m.arch in ("rnn", "lstm", "gru")}
reader = st.selectbox("Model that reads", [*readers, *mine_readers], key="sentiment_reader", bind="query-params")
explain("After each word $t$ the recurrent model's state $h_t$ already holds the review so far, so "
        "$\\operatorname{softmax}(W_{hy} h_t + b_y)$ is the answer it would give if the review ended there. "
        "The bag's answer after word $t$ uses the mean of the first $t$ vectors. Watch the lines at *not* and "
        "at *but*. (The BiLSTM has no such reading: its right-to-left half must read the whole review first.)")
if tokens is not None and reader is not None:
    if reader in readers:
        trace = us.shipped_trace(readers[reader].name, tokens)
    else:
        trace = mine_readers[reader].run.model.trace(vocab.encode(tokens), list(tokens), task.class_names)
    bag_trace = us.shipped_trace(models[bag_label].name, tokens) if bag_label in models else None
    lines = {reader: trace.step_probs[:, 1]}
    if bag_trace is not None:
        lines[bag_label] = bag_trace.step_probs[:, 1]
    ui.plot(figs.reading_figure(shown, lines, trace.hidden), "sentiment-reading",
            figs.reading_frame(shown, lines, trace.hidden), key="reading",
            caption="Top: p(positive) if the review ended after word $t$ (x axis: the words read). Bottom: the "
                    "reader's hidden state $h_t$, one row per unit, on the fixed scale [-1, 1] (red positive, blue "
                    "negative).")

# -- 3. attribution --------------------------------------------------------------------------------------
st.header("3. Which words pushed the answer?")
ui.drop_unusable_link_values("sentiment_method")
method = st.segmented_control("Method", METHODS, default=METHODS[0], key="sentiment_method",
                              bind="query-params", required=True)
st.latex(r"F(u) = z_{\mathrm{pos}}(u) - z_{\mathrm{neg}}(u), \qquad "
         + (r"a_t = \sum_d u_{td}\, \frac{1}{m}\sum_{k=1}^{m} \frac{\partial F}{\partial u_{td}}\Big(\tfrac{k - 1/2}{m}\, u\Big),"
            r"\qquad \sum_t a_t \approx F(u) - F(0)" if method == METHODS[0]
            else r"a_t = \sum_d u_{td}\, \frac{\partial F}{\partial u_{td}}(u)"))
explain("$u_t$ is what the model reads for word $t$: the bag's vector $e_t$, a recurrent net's one-hot $x_t$. "
        "$a_t > 0$ (red) pushed towards positive, $a_t < 0$ (blue) towards negative; each row is scaled by its "
        "own largest $|a_t|$ (hover for the raw numbers), since the models' scores differ in size. Integrated gradients "
        "adds the gradient along the straight path from no input at all ($u = 0$) to the review, so the "
        "$a_t$ add up to the change in $F$; for the bag, whose $F$ is linear, both methods give exactly each "
        "word's vote $(W_{\\mathrm{pos}} - W_{\\mathrm{neg}})\\, e_t / T$.")
if tokens is not None:
    atts = {label: us.shipped_attribution(ckpt.name, tokens, method) for label, ckpt in models.items()}
    for k, m in own.items():
        atts[f"Mine: {k}"] = attribute(m.run.model, vocab.encode(tokens), list(tokens), method)
    rows = {label: a.values for label, a in atts.items()}
    ui.plot(figs.attribution_figure(shown, rows), "sentiment-attribution", figs.attribution_frame(shown, rows),
            key="attribution",
            caption=f"One row per model, one cell per word $t$: its attribution $a_t$ ({method}) divided by the "
                    "row's largest $|a_t|$, from −1 (blue, towards negative) to 1 (red, towards positive).")
    gaps = pd.DataFrame([{"model": k, "F(u)": a.score, "F(0)": a.baseline_score, "sum of a_t": float(a.values.sum()),
                          "sum - (F(u) - F(0))": a.gap} for k, a in atts.items()])
    with st.expander("Do the attributions add up? (completeness)"):
        st.dataframe(gaps, hide_index=True)
    ui.show_code(integrated_gradients)

# -- 4. accuracy by phenomenon --------------------------------------------------------------------------------
st.header("4. Accuracy by phenomenon")
recorded = {label: ckpt.meta.get("metrics", {}) for label, ckpt in models.items()}
first = next(iter(recorded.values()))
counts = {"overall": first.get("n", 0), **first.get("counts", {}), "held-out template": zs.SENTIMENT_RECIPES[zs.NAMES[0]].held_out_size}
acc = {label: {"overall": m.get("accuracy"), **{ph: m.get("per_phenomenon", {}).get(ph) for ph in PHENOMENA},
               "held-out template": m.get("held_out_template")} for label, m in recorded.items()}
for k, m in own.items():
    if m.checks:
        last = m.checks[-1]
        acc[f"Mine: {k}"] = {"overall": last["accuracy"], **{ph: last["per_phenomenon"][ph] for ph in PHENOMENA},
                             "held-out template": None}
st.markdown(f"Every shipped model on the same {counts['overall']:,} test reviews (never seen in training), as "
            "recorded when it was built; your own models on the first "
            f"{us.CHECK_REVIEWS} of them. *Held-out template*: {counts['held-out template']} reviews shaped *i never "
            "found the N ADJ*, a negation no model saw in training.")
ui.plot(figs.accuracy_figure(acc, counts), "sentiment-accuracy", figs.accuracy_frame(acc, counts), key="accuracy",
        caption="Test accuracy (0 to 100%) of every model, one bar colour each, on the test reviews with each "
                "phenomenon (how many under its name); the dashed line is chance, 50%.")
matrices = {label: m["confusion"] for label, m in recorded.items() if "confusion" in m}
ui.plot(figs.confusion_figure(matrices, task.class_names), "sentiment-confusion",
        figs.confusion_frame(matrices, task.class_names), key="confusion",
        caption="One panel per shipped model: each cell counts the test reviews of a true class (row) given a "
                "predicted class (column), coloured by its share of the row from 0 to 100%.")

# -- questions ----------------------------------------------------------------------------------------------
probe = ("the", "plot", "was", "not", "good")
if bag_label in models:
    bag_p = us.shipped_probs(models[bag_label].name, probe)
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
m1, m2 = st.columns(2)
who = m1.selectbox("Model", list(models), key="sentiment_mistakes_model", bind="query-params")
phen = m2.selectbox("Only reviews with", ["any phenomenon", *PHENOMENA], key="sentiment_phenomenon",
                    bind="query-params")
if who is not None and phen is not None:
    reviews, p = us.test_reviews(), us.shipped_test_probs(models[who].name)
    wrong = [(r, q) for r, q in zip(reviews, p) if int(q.argmax()) != r.label
             and (phen == "any phenomenon" or phen in r.tags)]
    st.markdown(f"**{len(wrong)}** of {len(reviews):,} test reviews misclassified by the {who}"
                + ("" if phen == "any phenomenon" else f" with {phen}") + ".")
    if wrong:
        table = pd.DataFrame([{"review": r.text, "true": task.class_names[r.label], "p(positive)": round(float(q[1]), 3),
                               "phenomena": ", ".join(r.tags)} for r, q in wrong[:200]])
        st.dataframe(table, hide_index=True, height=260)
        pick = st.selectbox("Read one of them above", [r.text for r, _ in wrong[:200]], key="sentiment_pick")

        def _read():
            st.session_state["sentiment_text"] = st.session_state["sentiment_pick"]
        st.button("Put it in the review box", on_click=_read, icon=":material/north:")

# -- 6. train your own ---------------------------------------------------------------------------------
st.header("6. Train your own")
explain("Train any of the five models from scratch on fresh reviews from the training split, a chunk of steps "
        f"of 64 reviews at a time (Adam, learning rate 0.01). After each chunk it is scored on {us.CHECK_REVIEWS} "
        "test reviews; it joins every view above. The shipped recipe: 600 steps.")
vectors = us.embedding_vectors()
with st.form("sentiment_new"):
    f1, f2, f3 = st.columns(3)
    arch = f1.selectbox("Model", list(zs.ARCHS), format_func=lambda a: zs.ARCHS[a][0], key="sentiment_arch")
    init = f2.radio("Bag's word vectors start", ["random", "from the embeddings lab (skip-gram)"],
                    key="sentiment_init", disabled=vectors is None,
                    help=None if vectors is not None else "The embeddings lab's vectors are not available here.")
    freeze = f3.checkbox("Freeze the bag's vectors", key="sentiment_freeze",
                         help="Frozen: E stays as it started (random or the lab's); only W and b learn.")
    create = st.form_submit_button("New model", icon=":material/add:")
if create:
    from_lab = arch == "bag" and init != "random" and vectors is not None
    size = int(vectors.vectors.shape[1]) if from_lab else (16 if arch == "bag" else 32)
    model = zs.build_model(arch, size, seed=len(own), freeze=freeze and arch == "bag")
    note = "random"
    if from_lab:
        missing = init_from_vectors(model, vocab.idx_to_token, vectors.words, vectors.vectors)
        note = f"skip-gram, {len(vocab) - 2 - len(missing)} of {len(vocab) - 2} words found"
    label = f"{zs.ARCHS[arch][0]} #{len(own) + 1}" + (" (frozen)" if freeze and arch == "bag" else "")
    own[label] = us.OwnModel(label, arch, TrainingRun.start(model, task.batches(100 + len(own), 64, vocab), lr=1e-2), note)
    us.check(own[label])  # step 0: where the curve starts (about chance)
    st.session_state["sentiment_current"] = label
if own:
    current = st.selectbox("Your model", list(own), key="sentiment_current")
    m = own[current]
    st.caption(f"{current}: {m.run.step} steps so far; vectors: {m.init}.")
    b1, b2 = st.columns([1, 3], vertical_alignment="bottom")
    chunk = b1.segmented_control("Steps a chunk", CHUNKS, default=100, key="sentiment_chunk", required=True)
    if b2.button(f"Train {chunk} more steps", icon=":material/play_arrow:", key="sentiment_train"):
        ui.train_live(m.run, chunk)
        us.check(m)
        st.rerun()
    if m.checks:
        last = m.checks[-1]
        k1, k2, k3 = st.columns(3)
        k1.metric("test accuracy", f"{last['accuracy']:.1%}")
        k2.metric("on negation", f"{(last['per_phenomenon']['negation'] or 0):.1%}")
        k3.metric("on contrast", f"{(last['per_phenomenon']['contrast'] or 0):.1%}")
        steps = [c["step"] for c in m.checks]
        ui.plot(figs.curve_figure(steps, [c["accuracy"] for c in m.checks],
                                  [c["per_phenomenon"]["negation"] or 0 for c in m.checks],
                                  [c["per_phenomenon"]["contrast"] or 0 for c in m.checks]), "sentiment-own-curve",
                pd.DataFrame([{"step": c["step"], "accuracy": c["accuracy"], **c["per_phenomenon"]} for c in m.checks]),
                key="own-curve",
                caption="Test accuracy of your model (0 to 100%) after each chunk, against training steps: overall, "
                        f"on negation and on contrast, scored on {us.CHECK_REVIEWS} test reviews.")
    if m.run.history:
        from seqviz.plotting import loss_chart
        st.altair_chart(loss_chart([e.step for e in m.run.history], [e.loss for e in m.run.history]), width="stretch")
else:
    st.caption("No model of yours yet in this session: press New model.")
