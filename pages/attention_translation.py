"""Translation with attention: a GRU encoder-decoder translates a toy English -> French-like pair.

Library calls: ui.shipped and ui.trace (the attention lab's loader and cached Seq2Seq trace, greedy or beam
search) for "translation-attention", "translation-additive", "translation-noattention" and the training
snapshots; TranslationTask.parse; labs.attention.trace_sentence (the learner's model); seqviz.plotting.translation
(attention_map, length_figure; each returns the figure and its table); seqviz.ui.translation (sentence_input,
verdict, step_view, beam_view, snapshots_view: fragments; without_attention_view; token_accuracy_by_length; train_own: the shared
training block, the learner's model in the store under the lab "attention"), ui.plot and ui.show_code.
"""

import streamlit as st

from seqviz import labs, ui
from seqviz.models.seq2seq import Seq2Seq
from seqviz.plotting import translation as figs
from seqviz.ui import translation as tui
from seqviz.ui.classroom import explain

SHIPPED = {"dot product": "translation-attention", "additive": "translation-additive"}  # scoring -> checkpoint
PLAIN = "translation-noattention"

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
ckpt, plain = ui.shipped(ATTN), ui.shipped(PLAIN)
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
tokens = tui.sentence_input(task, vocab)
sentence = " ".join(tokens)
ship = ui.trace(ATTN, sentence)
pair = task.parse(tokens)

# -- 1. translation and attention map ---------------------------------------------------------------------------
st.header("1. The translation, and where the decoder looked")
mine = st.radio("Model", ["shipped model", "my model"], key="tr_model", bind="query-params", horizontal=True,
                help="The shipped model trained 1,000 steps; train your own in section 7.")
own = tui.latest_model()
trace, who = ship, "Model (greedy)"
if mine == "my model" and own is None:
    st.info("You have not trained a model in this session yet (section 7), so this shows the shipped one.")
elif mine == "my model" and own.model.cfg.attention == "none":
    st.info("Your model has no attention, so it has no weights to draw; this shows the shipped one. "
            "Start over in section 7 with dot or additive attention.")
elif mine == "my model":
    trace = labs.attention.trace_sentence(own.model, vocab, ckpt.target_vocab, sentence)
    who = f"Your model (step {own.steps}, greedy)"
correct = pair is not None and tuple(trace.words) == pair.target
st.markdown(f"**Source:** {sentence}  \n**{who}:** {' '.join(trace.words)} {tui.verdict(trace, pair)}"
            + (f"  \n**Reference:** {' '.join(pair.target)}" if pair is not None and not correct else ""))
tui.step_view(trace, pair, correct)  # the step slider, this map, and section 2

# -- 3. greedy against beam search -------------------------------------------------------------------------------
st.header("3. Greedy decoding against beam search")
st.markdown("Greedy decoding keeps only the likeliest word at each step. **Beam search** keeps the $k$ likeliest "
            "partial translations by total log-probability $\\sum_i \\log p(y_i \\mid y_{<i}, x)$ and stops when "
            "the best finished one beats every open one. Width 1 is greedy.")
tui.beam_view(ATTN, sentence, ship, pair)

# -- 4. without attention ----------------------------------------------------------------------------------------------
st.header("4. The same sentence without attention")
if plain is not None:
    tui.without_attention_view(ship, ui.trace(PLAIN, sentence), ckpt.meta, plain.meta, pair, len(tokens))

# -- 5. recorded metrics -------------------------------------------------------------------------------------------------
st.header("5. Longer sentences need attention")
names = {"with attention": ATTN} | ({"without attention": PLAIN} if plain is not None else {})
models = {m: ui.shipped(name).meta["metrics"] for m, name in names.items()}
st.caption(f"Exact match (the whole greedy translation right) on {ckpt.meta['metrics']['sentences']:,} test sentences, "
           "by source length, as recorded when the shipped models were trained.")
fig, table = figs.length_figure(models)
ui.plot(fig, "translation-by-length", table, key="tr_len", caption="Exact match by source length, with and without attention.")
tok = {m: tui.token_accuracy_by_length(name) for m, name in names.items()}
st.caption(f"Token accuracy by source length: with the reference's previous words given (teacher forcing), how often "
           f"the next word is right; first {sum(tok['with attention']['sentences_by_length'].values()):,} test "
           "sentences. It stays high without attention longer than exact match does: one wrong word sinks a sentence.")
fig, table = figs.length_figure(tok, "token_accuracy_by_length", "token accuracy")
ui.plot(fig, "translation-tokens-by-length", table, key="tr_tok_len",
        caption="Token accuracy (teacher forcing) by source length, with and without attention.")
cols = st.columns(len(models) + 1)
for col, (m, v) in zip(cols, models.items()):
    col.metric(f"Exact match, {m}", f"{v['exact_match']:.1%}")
cols[-1].metric("Alignment agreement", f"{ckpt.meta['metrics']['alignment_agreement']:.1%}",
                help="Teacher-forced on the test sentences: how often argmax_j α_ij is the gold source word.")
st.markdown("Short sentences fit in one vector; long ones do not, and the model without attention loses words, "
            "agreement and order as the length grows. Attention keeps every source word within reach at every step.")

# -- 6. attention across training -----------------------------------------------------------------------------------
st.header("6. Attention across training")
snaps = ui.shipped(labs.attention.SNAPSHOTS_NAME)
if snaps is not None:
    st.markdown(f"The shipped model's own training, replayed with the same seed and the same batches and paused at "
                f"steps {', '.join(f'{k:,}' for k in snaps.steps)} to record the attention map of a few test "
                f"sentences and the exact match on {snaps.eval_sentences} test sentences. The last step is the "
                f"shipped model.")
    tui.snapshots_view(snaps)
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
            f"{labs.attention.CHECK_SENTENCES} validation sentences it never trained on. Your model lives in this "
            f"browser session only; pick **my model** in section 1 to see its attention map.")
tui.train_own(ckpt)
