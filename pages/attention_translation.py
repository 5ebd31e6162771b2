"""Translation with attention: a GRU encoder-decoder translates a toy English -> French-like pair.

Library calls: ui.shipped_checkpoint and ui.shipped_translation (cached Seq2Seq.trace, greedy or beam search)
for "translation-attention" and "translation-noattention", TranslationTask.check_text / parse / dataset,
seq2seq.attention_agreement, seqviz.plotting.translation (attention_heatmap, step_attention_figure,
step_vectors_figure, top_k_figure, beam_tree_figure, length_chart, weights_heatmap, training_curve), ui.plot
and ui.show_code; labs.attention.load_translation_snapshots (attention across training); a learner's own Seq2Seq trained
with seqviz.training.TrainingRun through ui.train_live, kept in st.session_state["tr_own"] (never cached).
"""

import time

import pandas as pd
import streamlit as st
import torch

from seqviz import ui, zoo

from seqviz import labs
from seqviz.models.recurrent import copy_model
from seqviz.models.seq2seq import Seq2Seq, Seq2SeqConfig, attention_agreement, evaluate_translation
from seqviz.plotting import loss_chart
from seqviz.plotting import translation as figs
from seqviz.tasks.translation import BUCKET_NAMES, length_bucket
from seqviz.training import TrainingRun
from seqviz.ui.classroom import explain, predict_then_reveal

SHIPPED = {"dot product": "translation-attention", "additive": "translation-additive"}  # scoring -> checkpoint
PLAIN = "translation-noattention"
MAX_BEAM = 8
MAX_CHARS = 600  # 40 words of the toy language fit easily; a longer text would be echoed in the error
OWN = "tr_own"  # session_state: the learner's run {"run", "label", "attention", "checks", "speed"}
CHECK_SENTENCES, CHECK_SEED = 100, 99  # held-out validation sentences scored after each chunk

st.title("Translation with attention")
explain(
    "An **encoder** reads the English-like sentence; a **decoder** writes the French-like one word by word. "
    "The toy language moves words around (adjectives follow the noun, object pronouns jump before the verb, "
    "*not* becomes *ne ... pas*), so the decoder must find the right source word at every step. With "
    "**attention** it looks back at all the source words and takes a weighted average of them; without it, "
    "the whole sentence must squeeze through one vector."
)
ui.drop_unusable_link_values("tr_scoring")
scoring = st.segmented_control("Shipped model's attention scoring", list(SHIPPED), default="dot product",
                               key="tr_scoring", bind="query-params", required=True,
                               help="Both trained 1,000 steps from the same seed; only the score e_ij differs.")
ATTN = SHIPPED[scoring]
ckpt, plain = ui.shipped_checkpoint(ATTN), ui.shipped_checkpoint(PLAIN)
if ckpt is None:
    st.stop()
task, vocab, cfg = ckpt.task, ckpt.vocab, ckpt.model.cfg

st.latex(r"a_j = [\overrightarrow{h}_j;\ \overleftarrow{h}_j], \qquad s_0 = \tanh(W_{init}\, m), \qquad "
         r"s_i = \mathrm{GRU}\big([E\,y_{i-1};\ \tilde h_{i-1}],\ s_{i-1}\big)")
if cfg.attention == "dot":
    st.latex(r"e_{ij} = \frac{s_i \cdot W_k\, a_j}{\sqrt{H}}, \qquad \alpha_{ij} = \frac{e^{e_{ij}}}{\sum_{j'} e^{e_{ij'}}}, "
             r"\qquad c_i = \sum_j \alpha_{ij}\, a_j")
else:
    st.latex(r"e_{ij} = v_a^\top \tanh(W_q\, s_i + W_k\, a_j), \qquad \alpha_{ij} = \frac{e^{e_{ij}}}{\sum_{j'} "
             r"e^{e_{ij'}}}, \qquad c_i = \sum_j \alpha_{ij}\, a_j")
st.latex(r"\tilde h_i = \tanh\big(W_c\, [c_i;\ s_i]\big), \qquad p(y_i \mid y_{<i}, x) = "
         r"\operatorname{softmax}(W_o\, \tilde h_i + b_o)")
st.markdown(
    f"$a_j$: the bidirectional GRU's annotation of source word $j$ ({2 * cfg.encoder_hidden_size} numbers); "
    f"$m$: the last state of each direction. $s_i$: the decoder state ($H = {cfg.hidden_size}$) after it reads "
    r"the previous word $y_{i-1}$ and its own previous output $\tilde h_{i-1}$ (Luong's order: the GRU steps "
    r"first, then $s_i$ asks where to look). $\alpha_{ij}$: how much output word $i$ takes from source word $j$; "
    r"$c_i$: the context, the weighted average of the annotations."
)
ui.show_code(Seq2Seq._step, Seq2Seq._attend, Seq2Seq.score)

# -- the sentence ------------------------------------------------------------------------------------------
examples = {}
for p in task.dataset(80, 1234, split="test"):  # the recipe's test seed: sentences the models never trained on
    examples.setdefault(length_bucket(len(p.source)), " ".join(p.source))
EXAMPLES = [examples[b] for b in BUCKET_NAMES if b in examples]
DEFAULT = examples.get("7-12", EXAMPLES[0])


def _pick():
    st.session_state["tr_text"] = st.session_state["tr_pick"]


c1, c2 = st.columns(2)
c1.selectbox("Pick a test sentence", EXAMPLES, index=None, key="tr_pick", on_change=_pick,
             format_func=lambda s: f"{len(s.split())} words: {s}", placeholder="Sentences of different lengths")
text = c2.text_input("... or type your own (words of the toy language, separated by spaces)", DEFAULT,
                     key="tr_text", bind="query-params")
tokens = ui.tokens_or_example(task.check_text(text[:MAX_CHARS], vocab), text, MAX_CHARS, DEFAULT.split())
with st.expander("The toy language's words"):
    st.write(", ".join(vocab.to_list()[1:]))
sentence = " ".join(tokens)
ship = ui.shipped_translation(ATTN, sentence)
pair = task.parse(tokens)
own = st.session_state.get(OWN)


def words_of(tr):
    return tr.output_tokens[:-1] if tr.output_tokens[-1] == "<eos>" else tr.output_tokens


def verdict(tr) -> str:
    if pair is None:
        return "(no reference: the grammar does not make this sentence)"
    got = list(words_of(tr))
    if tuple(got) == pair.target:
        return ":green[**matches the reference**]"
    k = next((k for k, (a, b) in enumerate(zip(got, pair.target)) if a != b), min(len(got), len(pair.target)))
    return f":red[**differs from the reference from word {k + 1} on**]"


# -- 1. translation and attention map ---------------------------------------------------------------------------
st.header("1. The translation, and where the decoder looked")
mine = st.radio("Model", ["shipped model", "my model"], key="tr_model", bind="query-params", horizontal=True,
                help="The shipped model trained 1,000 steps; train your own in section 7.")
trace, who = ship, "Model (greedy)"
if mine == "my model":
    if own is None:
        st.info("You have not trained a model in this session yet (section 7), so this shows the shipped one.")
    elif own["attention"] == "none":
        st.info("Your model has no attention, so it has no weights to draw; this shows the shipped one. "
                "Start over in section 7 with dot or additive attention.")
    else:
        model = own["run"].model
        trace = model.trace(vocab.encode(tokens), tokens, ckpt.target_vocab, max_len=2 * len(tokens) + 5)
        who = f"Your model (step {own['run'].step}, greedy)"
correct = pair is not None and tuple(words_of(trace)) == pair.target
st.markdown(f"**Source:** {sentence}  \n**{who}:** {' '.join(words_of(trace))} {verdict(trace)}"
            + (f"  \n**Reference:** {' '.join(pair.target)}" if pair is not None and not correct else ""))
T = len(trace.output_tokens)
if st.session_state.get("tr_step", 1) > T:  # a shorter sentence must not leave the slider out of range
    st.session_state["tr_step"] = T
t = st.slider("Decoding step i (output word)", 1, T, 1, key="tr_step", bind="query-params") if T > 1 else 1
W = trace.weights[0, 0]
heat_df = pd.DataFrame(W, columns=[f"{j + 1}:{w}" for j, w in enumerate(trace.source_tokens)])
heat_df.insert(0, "output word", trace.output_tokens)
ui.plot(figs.attention_heatmap(trace, pair.alignment if correct else None, t), "translation-attention",
        heat_df, key="tr_heat",
        caption="Where the decoder looked: row i holds the weights $\\alpha_{ij}$ output word $i$ gave the source words "
                "(columns), on the fixed scale [0, 1] (each row sums to 1). The white outline is the step below."
                + (" Orange open squares: the gold alignment, the source word each output word translates." if correct else ""))
if correct:
    hits, counted = attention_agreement(W, pair.alignment)
    st.metric("Alignment agreement on this sentence (argmax of α is the gold source word)", f"{hits} / {counted}")
elif pair is not None:
    st.caption("The model's words differ from the reference, so the gold alignment would not line up; it is not drawn.")

# -- 2. one step -----------------------------------------------------------------------------------------------
st.header(f"2. Step {t}: scores, weights, context, next word")
prev = "<bos>" if t == 1 else trace.output_tokens[t - 2]
j = int(W[t - 1].argmax())
source_names = [f"{k}: {w}" for k, w in enumerate(trace.source_tokens, start=1)]
predict_then_reveal(
    "translation_q_look", f"Before looking below: to write output word {t}, **{trace.output_tokens[t - 1]}**, which "
                          "source word gets the largest weight?", source_names, source_names[j],
    lambda: st.markdown(f"$\\alpha_{{{t}j}}$: " + ", ".join(f"{name} **{a:.3f}**" for name, a in zip(source_names, W[t - 1]))
                        + ". Usually the word it translates; a determiner or an adjective that moves may look elsewhere."))
st.markdown(f"The decoder reads **{prev}** and updates its state $s_{{{t}}}$; $s_{{{t}}}$ scores every source "
            f"word; the softmax turns the scores into weights (largest: **{trace.source_tokens[j]}**, "
            f"$\\alpha = {W[t - 1, j]:.3f}$); the context mixes the annotations by those weights, and the "
            f"read-out picks **{trace.output_tokens[t - 1]}** with $p = {trace.top_probs[t - 1].max():.3f}$.")
st.latex(rf"\alpha_{{{t}j}} = \operatorname{{softmax}}_j(e_{{{t}j}}), \qquad c_{{{t}}} = \sum_j \alpha_{{{t}j}}\, a_j")
step_df = pd.DataFrame({"j": range(1, len(tokens) + 1), "source word": trace.source_tokens,
                        "e_ij": trace.scores[t - 1], "alpha_ij": W[t - 1]})
ui.plot(figs.step_attention_figure(trace, t), f"translation-step-{t}", step_df, key="tr_stepfig",
        caption=f"Step {t}: the score $e_{{{t}j}}$ of every source word and its weight $\\alpha_{{{t}j}}$ after the softmax.")
left, right = st.columns([3, 2])
with left:
    vec_df = pd.DataFrame({"unit": range(cfg.hidden_size), "s_i": trace.decoder_states[t - 1],
                           "h_tilde_i": trace.attentional[t - 1]})
    vec_df = vec_df.join(pd.DataFrame({"c_i": trace.contexts[t - 1]}), how="outer")
    ui.plot(figs.step_vectors_figure(trace, t), f"translation-vectors-{t}", vec_df, key="tr_vec",
            caption=f"Step {t}'s vectors unit by unit: the decoder state $s_{{{t}}}$, the context $c_{{{t}}}$ and the "
                    "attentional state, on a diverging scale.")
with right:
    top_df = pd.DataFrame({"word": trace.top_tokens[t - 1], "p": trace.top_probs[t - 1]})
    ui.plot(figs.top_k_figure(trace, t), f"translation-top5-{t}", top_df, key="tr_top",
            caption=f"The five likeliest output words at step {t} and their probabilities.")

# -- 3. greedy against beam search -------------------------------------------------------------------------------
st.header("3. Greedy decoding against beam search")
st.markdown("Greedy decoding keeps only the likeliest word at each step. **Beam search** keeps the $k$ likeliest "
            "partial translations by total log-probability $\\sum_i \\log p(y_i \\mid y_{<i}, x)$ and stops when "
            "the best finished one beats every open one. Width 1 is greedy.")
raw = st.query_params.get("tr_beam")
try:
    asked = int(float(raw)) if raw is not None else None
except (ValueError, OverflowError):  # "abc", "nan", "inf": streamlit drops those for the default
    asked = None
if asked is not None and not 1 <= asked <= MAX_BEAM:  # streamlit would drop it for the default: clamp instead
    st.session_state["tr_beam"] = min(max(asked, 1), MAX_BEAM)
beam = st.slider("Beam width k", 1, MAX_BEAM, 3, key="tr_beam", bind="query-params")
if asked is not None and not 1 <= asked <= MAX_BEAM:
    st.info(f"The link asked for beam width {asked}; widths run from 1 to {MAX_BEAM}, so this uses {beam}.")
beam_trace = ui.shipped_translation(ATTN, sentence, beam) if beam > 1 else ship
if beam > 1:
    same = beam_trace.output_tokens == ship.output_tokens
    predict_then_reveal(
        "translation_q_beam", f"Will beam search with k = {beam} choose a different translation from greedy decoding?",
        ["yes, a different one", "no, the same"], "no, the same" if same else "yes, a different one",
        lambda: st.markdown(f"Greedy: {' '.join(words_of(ship))} (log-probability {ship.log_prob:.4f}); beam: "
                            f"{' '.join(words_of(beam_trace))} ({beam_trace.log_prob:.4f}). A model this sure of each "
                            "word leaves beam search little to find."))
b1, b2 = st.columns(2)
b1.metric("Greedy: log-probability", f"{ship.log_prob:.4f}")
b2.metric(f"Beam (k = {beam}): log-probability", f"{beam_trace.log_prob:.4f}")
if beam_trace.output_tokens != ship.output_tokens:
    st.warning(f"Beam search and greedy disagree. Beam: {' '.join(words_of(beam_trace))} {verdict(beam_trace)}")
else:
    st.success("Beam search chose the same translation as greedy decoding.")
if beam_trace.beam:
    st.caption("Each dot is a hypothesis beam search kept, at its output position, ranked by total log-probability "
               "(colour; hover for the number and the word: long trees label only the chosen one); lines join it "
               "to the hypothesis it extends; squares finished with <eos>. Orange: the chosen translation.")
    tree_df = pd.DataFrame([{"step": s + 1, "rank": r, "word": n.token, "log_p": n.score, "parent_rank": n.parent,
                             "finished": n.finished} for s, lv in enumerate(beam_trace.beam) for r, n in enumerate(lv)])
    ui.plot(figs.beam_tree_figure(beam_trace.beam, beam_trace.output_tokens), f"translation-beam-{beam}", tree_df,
            key="tr_beamfig",
            caption=f"The beam search tree at k = {beam}: hypotheses by output position and rank; orange, the chosen translation.")
else:
    st.caption("With width 1 there is one hypothesis at every step: nothing to draw. Widen the beam.")

# -- 4. without attention ----------------------------------------------------------------------------------------------
st.header("4. The same sentence without attention")
if plain is not None:
    plain_trace = ui.shipped_translation(PLAIN, sentence)
    st.markdown("The baseline is the same network with $c_i = m$ at every step: no weights to draw, only one "
                "summary vector of the whole sentence.")
    a_col, p_col = st.columns([3, 2])
    with a_col:
        st.markdown(f"**With attention:** {' '.join(words_of(ship))}  \n{verdict(ship)}")
        ui.plot(figs.attention_heatmap(ship), "translation-attention-side", None, key="tr_heat_side",
                caption="The attention weights of the model with attention on this sentence (rows: output words).")
    with p_col:
        st.markdown(f"**Without attention:** {' '.join(words_of(plain_trace))}  \n{verdict(plain_trace)}")
        st.latex(r"c_i = m \quad \text{for every } i")
        bucket = length_bucket(len(tokens))
        by_len = [m["metrics"]["exact_match_by_length"].get(bucket) for m in (ckpt.meta, plain.meta)]
        if None not in by_len:
            st.markdown(f"On test sentences of {bucket} words, whole translations right: **{by_len[0]:.0%}** with "
                        f"attention, **{by_len[1]:.0%}** without."
                        + (" Pick a longer sentence above to see the baseline fail." if by_len[1] > 0.9 else ""))

# -- 5. recorded metrics -------------------------------------------------------------------------------------------------
st.header("5. Longer sentences need attention")
models = {"with attention": ckpt.meta["metrics"]}
if plain is not None:
    models["without attention"] = plain.meta["metrics"]
st.caption(f"Exact match (the whole greedy translation right) on {ckpt.meta['metrics']['sentences']:,} test sentences, "
           "by source length, as recorded when the shipped models were trained.")
len_df = pd.DataFrame([{"model": m, "length": b, "exact_match": v["exact_match_by_length"].get(b),
                        "sentences": v["sentences_by_length"].get(b)} for m, v in models.items() for b in BUCKET_NAMES])
ui.plot(figs.length_chart(models), "translation-by-length", len_df, key="tr_len",
        caption="Exact match by source length, with and without attention.")
tok = {m: ui.shipped_token_accuracy_by_length(name) for m, name in
       [("with attention", ATTN)] + ([("without attention", PLAIN)] if plain is not None else [])}
st.caption(f"Token accuracy by source length: with the reference's previous words given (teacher forcing), how often "
           f"the next word is right; first {sum(next(iter(tok.values()))['sentences_by_length'].values()):,} test "
           "sentences. It stays high without attention longer than exact match does: one wrong word sinks a sentence.")
tok_df = pd.DataFrame([{"model": m, "length": b, "token_accuracy": v["token_accuracy_by_length"].get(b),
                        "sentences": v["sentences_by_length"].get(b)} for m, v in tok.items() for b in BUCKET_NAMES])
ui.plot(figs.length_chart(tok, "token_accuracy_by_length", "token accuracy"), "translation-tokens-by-length",
        tok_df, key="tr_tok_len", caption="Token accuracy (teacher forcing) by source length, with and without attention.")
cols = st.columns(len(models) + 1)
for col, (m, v) in zip(cols, models.items()):
    col.metric(f"Exact match, {m}", f"{v['exact_match']:.1%}")
cols[-1].metric("Alignment agreement", f"{ckpt.meta['metrics']['alignment_agreement']:.1%}",
               help="Teacher-forced on the test sentences: how often argmax_j α_ij is the gold source word.")
st.markdown("Short sentences fit in one vector; long ones do not, and the model without attention loses words, "
            "agreement and order as the length grows. Attention keeps every source word within reach at every step.")

# -- 6. attention across training -----------------------------------------------------------------------------------
st.header("6. Attention across training")
try:
    snaps = labs.attention.load_translation_snapshots()
except labs.attention.SnapshotError as err:
    snaps = None
    st.warning(f"{err} The rest of the page does not need it.")
if snaps is not None:
    st.markdown(f"The shipped model's own training, replayed with the same seed and the same batches and paused at "
                f"steps {', '.join(f'{k:,}' for k in snaps.steps)} to record the attention map of a few test "
                f"sentences and the exact match on {snaps.eval_sentences} test sentences. The last step is the "
                f"shipped model.")
    by_text = {" ".join(s.source): s for s in snaps.sentences}
    s1, s2 = st.columns([2, 3])
    snap_text = s1.selectbox("Sentence (one of each length)", list(by_text), index=min(1, len(by_text) - 1),
                             key="tr_snap_text", bind="query-params")
    snap_step = s2.select_slider("Training step", snaps.steps, value=snaps.steps[len(snaps.steps) // 2],
                                 key="tr_snap_step", bind="query-params")
    rec, k = by_text[snap_text], snaps.steps.index(snap_step)
    out = rec.outputs[k]
    words = out[:-1] if out and out[-1] == "<eos>" else out
    right = words == rec.reference
    st.markdown(f"**Step {snap_step}, greedy output:** {' '.join(words) or '(nothing)'} "
                + (":green[**matches the reference**]" if right else
                   f":red[**wrong**]  \n**Reference:** {' '.join(rec.reference)}"))
    h1, h2 = st.columns([3, 2])
    with h1:
        snap_df = pd.DataFrame(rec.weights[k], columns=[f"{j + 1}:{w}" for j, w in enumerate(rec.source)])
        snap_df.insert(0, "output word", out)
        ui.plot(figs.weights_heatmap(rec.weights[k], rec.source, out, tuple(rec.alignment) if right else None),
                f"translation-snapshot-{snap_step}", snap_df, key="tr_snap_heat",
                caption=f"The attention weights of the shipped model's training run at step {snap_step}.")
    with h2:
        st.metric(f"Exact match at step {snap_step} ({snaps.eval_sentences} test sentences)",
                  f"{snaps.exact_match[k]:.1%}")
        ui.plot(figs.training_curve(snaps.steps, snaps.exact_match, snap_step), "translation-snapshot-curve",
                pd.DataFrame({"step": snaps.steps, "exact_match": snaps.exact_match}), key="tr_snap_curve",
                caption=f"Exact match against the training step; step {snap_step} marked.")
    explain("At step 0 every row is spread almost evenly over the source words (about $1/S$ each) and the "
                "untrained decoder repeats random words without stopping. By step 25-50 it writes French-shaped "
                "sentences while still looking around vaguely; by step 100-200 each output word's weight gathers on "
                "the source word it translates (the orange squares, drawn once the output is right) and exact match "
                "climbs with it.")

# -- 7. train your own ------------------------------------------------------------------------------------------------
st.header("7. Train your own")
st.markdown(f"Train the same network yourself, in chunks. It trains on one CPU thread at roughly 5-20 steps a second "
            f"here, depending on how busy the server is (measured: ~23 on an idle machine), and reaching 95% exact match "
            f"takes roughly 300-1,000 steps: a few chunks of a few hundred. After each chunk the model translates "
            f"{CHECK_SENTENCES} validation sentences it never trained on. Your model lives in this browser session "
            f"only; pick **my model** in section 1 to see its attention map.")
recipe = labs.attention.TRANSLATION_RECIPES[SHIPPED["dot product"]]  # the seed and settings the snapshots replay
o1, o2, o3 = st.columns(3)
origin = o1.radio("Start from", ["random weights", "the shipped model"], key="tr_own_start", bind="query-params",
                  help="The shipped model: a copy of it; the cached original is never trained.")
attention = o2.selectbox("Attention", ["dot", "additive", "none"], key="tr_own_attention", bind="query-params",
                         disabled=origin == "the shipped model", help="The shipped model uses dot-product attention.")
seed = int(o3.number_input("Seed (random weights and batches)", 0, 9999, 0, key="tr_own_seed"))
n = st.slider("Steps per chunk N", 10, 300, 100, step=10, key="tr_own_n")
t1, t2 = st.columns(2)
train = t1.button(f"Train {n} more steps", key="tr_own_train", type="primary", icon=":material/play_arrow:")
t2.button("Start over", key="tr_own_reset", disabled=own is None, icon=":material/restart_alt:",
          on_click=lambda: st.session_state.pop(OWN, None))  # before the rerun, so section 1 forgets it too
if train and own is None:
    if origin == "the shipped model":
        model, attention, label = copy_model(ckpt.model), ckpt.model.cfg.attention, "a copy of the shipped model"
        batches = task.batches(seed + 1001, recipe.batch_size, vocab, ckpt.target_vocab)  # sentences past its own
    else:
        with torch.random.fork_rng():  # seeded weights without moving the server's global random state
            torch.manual_seed(seed)
            model = Seq2Seq(Seq2SeqConfig(len(vocab), len(ckpt.target_vocab), attention))
        label = f"random weights (seed {seed}), {attention} attention"
        batches = task.batches(seed + 1, recipe.batch_size, vocab, ckpt.target_vocab)  # seed 0 + dot: the recipe
    own = {"run": TrainingRun.start(model, batches, lr=recipe.lr, origin=ATTN if origin == "the shipped model" else "scratch"), "label": label,
           "attention": attention, "checks": [], "speed": None}
    st.session_state[OWN] = own
if own is not None:
    run = own["run"]
    if train:
        begin, first = time.perf_counter(), run.step
        ui.train_live(run, n)
        own["speed"] = (run.step - first) / (time.perf_counter() - begin)
        with st.spinner(f"Translating {CHECK_SENTENCES} validation sentences..."):
            checks = evaluate_translation(run.model, task.dataset(CHECK_SENTENCES, CHECK_SEED, split="validation"),
                                          vocab, ckpt.target_vocab)
        own["checks"].append((run.step, checks["exact_match"]))
        st.rerun()  # section 1 above was drawn before this chunk: draw the page again with the trained model
    st.markdown(f"**Your model:** {own['label']}, **{run.step:,} steps** taken"
                + (f" (last chunk: {own['speed']:.0f} steps/s)" if own["speed"] else "") + ".")
    if own["checks"] and own["checks"][-1][0] != run.step:
        st.caption(f"Training was interrupted: the model kept all {run.step} steps, but the last exact match was "
                   f"measured at step {own['checks'][-1][0]}.")
    if run.history:
        l1, l2 = st.columns(2)
        with l1:
            loss_df = pd.DataFrame({"step": [e.step for e in run.history], "loss": [e.loss for e in run.history]})
            ui.altair_plot(loss_chart(loss_df["step"].tolist(), loss_df["loss"].tolist()), "translation-own-loss",
                           loss_df, key="tr_own_loss",
                           caption="Your model's training loss (cross-entropy per output word, nats) at every step.")
        with l2:
            if own["checks"]:
                steps_done, ems = zip(*own["checks"])
                st.metric(f"Exact match at step {steps_done[-1]} ({CHECK_SENTENCES} validation sentences)",
                          f"{ems[-1]:.1%}")
                ui.plot(figs.training_curve(list(steps_done), list(ems), steps_done[-1],
                                            "exact match (validation sentences)"), "translation-own-curve",
                        pd.DataFrame({"step": steps_done, "exact_match": ems}), key="tr_own_curve",
                        caption="Your model's exact match on the validation sentences against the training step.")
else:
    st.caption("Nothing trained yet: press the button to start from the settings above. They are fixed once a "
               "model exists; Start over to change them.")
