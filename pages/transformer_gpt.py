"""A tiny GPT: the next-character distribution, temperature / top-k / top-p, generation one character
at a time with its attention, perplexity against a bigram, and training your own in chunks.

Library calls: ui.shipped / ui.trace ("lm-gpt": TransformerLM.trace, seqviz.labs.transformers),
seqviz.ui.gpt (choose_model -> Reader.trace / .generate, copy_question; inspect_generation, a fragment;
your_gpt: training.train_your_own into the store, lab "transformers"), seqviz.tasks.lmtext.check_prompt,
seqviz.sampling (filter_logits, apply_temperature, top_k_filter, top_p_filter, generate), seqviz.plotting.gpt
(next_token_bars, stages_figure, perplexity_bars: figure and table), ui.plot, ui.show_code,
classroom.predict_then_reveal / explain.
"""

import streamlit as st

from seqviz import sampling, ui
from seqviz.labs.transformers import GPT_NAME
from seqviz.models.bigram import BigramLM
from seqviz.plotting import gpt as figs
from seqviz.plotting import token_label
from seqviz.tasks import lmtext
from seqviz.ui import gpt as gui
from seqviz.ui.classroom import explain, predict_then_reveal

DEFAULT_PROMPT = 'eva and leo went to the hill. leo gave eva a kite. eva said "the '

st.title("A tiny GPT: predicting the next character")
ckpt = ui.shipped(GPT_NAME)
if ckpt is None:
    st.stop()
meta = ckpt.meta["metrics"]
explain(
    "A **language model** reads a text and gives a probability to every possible next character. This one is a "
    f"decoder-only transformer (a tiny GPT: {ckpt.model.cfg.n_layer} layers, {ckpt.model.cfg.n_head} heads, "
    f"{meta['parameters']:,} parameters) trained on short stories generated in code. They hold patterns that need "
    "more than the last character: an object that has to be **copied** from an earlier sentence, a verb that "
    "**agrees** with its subject, a quote or bracket that must be **closed**. Masked self-attention lets each position look back at "
    "every earlier character, never ahead. It works on **characters**: about 33 symbols, so a prompt can stop "
    "in the middle of a word, and any text can be learned without unknown words.")

ui.drop_unusable_link_values("gpt_seed", "gpt_topk", "gpt_temp")
reader = gui.choose_model(ckpt)
vocab, model = reader.vocab, reader.model
L, H = model.cfg.n_layer, model.cfg.n_head

# -- 1. the next character ---------------------------------------------------------------------------
st.header("1. The next character")
prompt_raw = st.text_input(f"Prompt (at most {lmtext.MAX_PROMPT_CHARS} characters)", DEFAULT_PROMPT,
                           key="gpt_prompt", bind="query-params")
check = lmtext.check_prompt(prompt_raw, vocab)
prompt = None
if check.error:
    st.error(check.error)
else:
    prompt = "".join(check.tokens)
    if check.note:
        st.warning(check.note)
    if len(prompt) > model.cfg.block_size:
        st.caption(f"The model reads only the last {model.cfg.block_size} characters of the prompt (its block size).")
    trace = reader.trace(prompt)
    st.latex(r"p(x_{t+1} = i \mid x_{\le t}) = \operatorname{softmax}(z)_i = \frac{e^{z_i}}{\sum_j e^{z_j}}, \qquad "
             r"z = W_{out}\, \mathrm{LN}_f(x^{(L)}_t) + b_{out}")
    c1, c2 = st.columns(2)
    with c1:
        fig, table = figs.next_token_bars(trace.probs[-1], vocab.idx_to_token)
        ui.plot(fig, "gpt-next", table, key="gpt_next",
                caption="The transformer: the ten likeliest next characters after the whole prompt (␣ is a space).")
    with c2:
        fig, table = figs.next_token_bars(reader.bigram.next_probs(vocab.token_to_idx[prompt[-1]]), vocab.idx_to_token)
        ui.plot(fig, "gpt-next-bigram", table, key="gpt_next_bigram",
                caption=f"The bigram: it sees only the last character, '{token_label(prompt[-1])}'.")
    st.latex(r"\text{bigram:}\quad p(b \mid a) = \frac{C[a, b] + k}{C[a] + k V}, \qquad k = "
             f"{reader.bigram.k:g},\\ V = {len(vocab)}")
    ui.show_code(BigramLM, label="Show the code of the bigram")

if reader.own is None:
    gui.copy_question(reader)

# -- 2. temperature, top-k, top-p --------------------------------------------------------------------
st.header("2. Choosing a character: temperature, top-k, top-p")
explain("Generation draws the next character from the distribution, after three optional filters, in this order.")
st.latex(r"p_i = \frac{e^{z_i / \tau}}{\sum_j e^{z_j / \tau}} \quad (\tau = 0:\ p = \text{one-hot of } \arg\max_i z_i)")
st.latex(r"\text{top-}k:\ K = \{k \text{ largest } p_i\},\qquad "
         r"\text{top-}p:\ K = \{\text{the } m \text{ largest } p_i\},\ m = \min\{m : p_{(1)} + \dots + p_{(m)} \ge p\}")
st.latex(r"p'_i = \frac{p_i\, [i \in K]}{\sum_{j \in K} p_j}")
s1, s2, s3 = st.columns(3)
tau = s1.number_input("Temperature τ (0 = greedy)", min_value=0.0, max_value=1000.0, value=1.0, step=0.1,
                      key="gpt_temp", bind="query-params", help=f"Values above {sampling.MAX_TEMPERATURE:g} are clamped.")
top_k = int(s2.number_input("top-k (0 = off)", min_value=0, max_value=1000, value=0, step=1, key="gpt_topk",
                            bind="query-params", help=f"The vocabulary has {len(vocab)} characters; a larger k keeps all."))
top_p = s3.slider("top-p (1 = off)", 0.0, 1.0, 1.0, 0.01, key="gpt_topp", bind="query-params")
if prompt is not None:
    filtered = sampling.filter_logits(trace.logits[-1], tau, top_k, top_p)
    for note in filtered.notes:
        st.caption(note)
    fig, table = figs.stages_figure(filtered, vocab.idx_to_token)
    ui.plot(fig, "gpt-sampling-stages", table, key="gpt_stages",
            caption=f"Grey: what each filter receives; blue: what it returns. After all three, "
                    f"{filtered.n_kept} of {len(vocab)} characters can be drawn.")
    ui.show_code(sampling.apply_temperature, sampling.top_k_filter, sampling.top_p_filter)

# -- 3. generation -----------------------------------------------------------------------------------
st.header("3. Generating, one character at a time")
g1, g2 = st.columns(2)
seed = int(g1.number_input("Seed", min_value=0, max_value=1_000_000, value=0, step=1, key="gpt_seed",
                           bind="query-params", help="The same seed and settings give the same text."))
n_new = g2.slider("Characters to generate", 1, 200, 80, key="gpt_n", bind="query-params")
if prompt is None:
    st.caption("Type a valid prompt in section 1 to generate.")
else:
    gen = reader.generate(prompt, n_new, tau, top_k, top_p, seed)
    st.markdown("**The prompt, then what the model wrote** (the same seed and settings write it again):")
    st.code(gen.text, language=None, wrap_lines=True)
    gui.inspect_generation(gen, L, H)
    answered = st.session_state.get("gpt_q_greedy_guess") is not None  # generate the answer only once asked
    greedy = [reader.generate(prompt, 30, 0.0, 0, 1.0, s).text for s in (1, 2)] if answered else None
    predict_then_reveal(
        "gpt_q_greedy", "Set τ = 0 and generate 30 characters with seed 1, then with seed 2. The two texts are:",
        ["the same", "different"], "different" if greedy and greedy[0] != greedy[1] else "the same",
        lambda: (st.markdown("From your prompt, τ = 0, the last 40 characters with seed 1 and with seed 2:"),
                 st.code(greedy[0][-40:] + "\n" + greedy[1][-40:], language=None),
                 st.markdown("At τ = 0 every step puts probability 1 on the arg-max, so the random number drawn with "
                             "the seed never matters: greedy decoding has no randomness.")))

# -- 4. perplexity -----------------------------------------------------------------------------------
st.header("4. How good is it? Perplexity")
st.latex(r"\mathrm{PPL} = \exp\Big(-\frac{1}{N}\sum_{t=1}^{N} \log p(x_t \mid x_{<t})\Big)")
explain("Perplexity is the number of equally likely characters the model is, on average, choosing between on text "
        "it never trained on: a uniform guess over V characters scores V, a perfect model 1. Both models below "
        "are scored on exactly the same validation characters.")
values = {f"uniform guess (V = {len(ckpt.vocab)})": meta["uniform_perplexity"],
          "bigram (add-k counts)": meta["bigram_perplexity"], "shipped GPT": meta["model_perplexity"]}
own = gui.mine()
checks = own.extra.get("checks", []) if own is not None else []
if checks and checks[-1]["validation perplexity"] is not None:
    values[f"my GPT, step {checks[-1]['step']} ({own.label[len('GPT: '):]})"] = checks[-1]["validation perplexity"]
fig, table = figs.perplexity_bars(values)
ui.plot(fig, "gpt-perplexity", table, key="gpt_ppl",
        caption=f"Validation perplexity on {meta['characters']:,} held-out characters (yours: on the first "
                f"{gui.CHECK_CHARS:,} of its own validation text). The shipped GPT trained "
                f"{ckpt.meta['recipe']['steps']:,} steps on one CPU thread: {ckpt.meta['train_cpu_seconds']:.0f} s of "
                f"CPU time ({ckpt.meta['train_seconds']:.0f} s on the clock of a busy build machine).")

# -- 5. train your own --------------------------------------------------------------------------------
st.header("5. Train your own")
explain(f"A fresh GPT of the same shape, trained here in chunks on the built-in stories or on your own text "
        f"({lmtext.MIN_PASTED_CHARS:,} to {lmtext.MAX_PASTED_CHARS:,} characters; the last 10% is kept for validation). "
        "After each chunk it writes a sample, so you can watch it learn spaces, then words, then names. It lives in "
        "this browser session only; pick **my GPT** at the top to explore it, or download it from the checkpoint "
        "explorer.")
gui.your_gpt()
