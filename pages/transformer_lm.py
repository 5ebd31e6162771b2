"""A tiny GPT: the next-character distribution, temperature / top-k / top-p, generation one character
at a time with its attention, perplexity against a bigram, and training your own in chunks.

Library calls: seqviz.ui.lm (shipped_lm, shipped_trace, shipped_generation, builtin_bigram, own_lm,
start_own, train_chunk, own_trace, own_generation), seqviz.tasks.lmtext (check_prompt, check_pasted,
LMCorpus), seqviz.sampling (filter_logits, apply_temperature, top_k_filter, top_p_filter, generate),
seqviz.plotting.lm (next_token_bars, stages_figure, generation_figure, context_attention, head_bars,
perplexity_bars, training_figure), ui.plot, ui.show_code, classroom.predict_then_reveal / explain.
"""

import pandas as pd
import streamlit as st

from seqviz import sampling, ui, zoo_lm
from seqviz.models.bigram import BigramLM
from seqviz.plotting import lm as figs
from seqviz.plotting import token_label
from seqviz.plotting.attention import markdown_literal
from seqviz.tasks import lmtext
from seqviz.ui import lm as lmui
from seqviz.ui.classroom import explain, predict_then_reveal

NAME = zoo_lm.NAME
DEFAULT_PROMPT = 'eva and leo went to the hill. leo gave eva a kite. eva said "the '
COPY_PROMPT = "dan and jade went to the river. jade gave dan a cup. dan gave the "
OBJECTS = {o[0]: o for o in lmtext.OBJECTS if sum(x[0] == o[0] for x in lmtext.OBJECTS) == 1}  # first letter names it
CHUNKS = [25, 50, 100, 200]

st.title("A tiny GPT: predicting the next character")
ckpt = lmui.shipped_lm()
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

own = lmui.own_lm()
ui.drop_unusable_link_values("gpt_seed", "gpt_topk", "gpt_temp")
which = st.radio("Model", ["shipped", "mine"], key="gpt_model", bind="query-params", horizontal=True,
                 format_func={"shipped": "the shipped GPT", "mine": "my GPT (section 5)"}.get)
if which == "mine" and own is None:
    st.info("You have not trained a model in this session yet (section 5), so the page shows the shipped one.")
use_own = which == "mine" and own is not None
vocab = own.corpus.vocab if use_own else ckpt.vocab
model = own.model if use_own else ckpt.model
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
    trace = lmui.own_trace(own, prompt) if use_own else lmui.shipped_trace(NAME, prompt)
    p_model = trace.probs[-1]
    st.latex(r"p(x_{t+1} = i \mid x_{\le t}) = \operatorname{softmax}(z)_i = \frac{e^{z_i}}{\sum_j e^{z_j}}, \qquad "
             r"z = W_{out}\, \mathrm{LN}_f(x^{(L)}_t) + b_{out}")
    c1, c2 = st.columns(2)
    with c1:
        ui.plot(figs.next_token_bars(p_model, vocab.idx_to_token), "gpt-next",
                figs.next_token_frame(p_model, vocab.idx_to_token), key="gpt_next",
                caption=f"The transformer: the ten likeliest next characters after the whole prompt (␣ is a space).")
    bigram = own.bigram if use_own else lmui.builtin_bigram()
    p_bigram = bigram.next_probs(vocab.token_to_idx[prompt[-1]])
    with c2:
        ui.plot(figs.next_token_bars(p_bigram, vocab.idx_to_token), "gpt-next-bigram",
                figs.next_token_frame(p_bigram, vocab.idx_to_token), key="gpt_next_bigram",
                caption=f"The bigram: it sees only the last character, '{token_label(prompt[-1])}'.")
    st.latex(r"\text{bigram:}\quad p(b \mid a) = \frac{C[a, b] + k}{C[a] + k V}, \qquad k = "
             f"{bigram.k:g},\\ V = {len(vocab)}")
    ui.show_code(BigramLM, label="Show the code of the bigram")

if not use_own:
    copy_probs = lmui.shipped_trace(NAME, COPY_PROMPT).probs[-1]
    p_obj = {o: copy_probs[ckpt.vocab.token_to_idx[c]] for c, o in OBJECTS.items()}
    best = max(p_obj, key=p_obj.get)
    bigram_after_space = lmui.builtin_bigram().next_probs(ckpt.vocab.token_to_idx[" "])
    predict_then_reveal(
        "gpt_q_copy", f"The prompt is “{COPY_PROMPT}”. Which object will the shipped GPT name next?",
        ["cup", "kite", "any of the seven objects, equally likely"],
        best if p_obj[best] > 0.5 and best in ("cup", "kite") else "any of the seven objects, equally likely",
        lambda: st.markdown(
            "The first letter decides the object here: "
            + ", ".join(f"p(**{c}**, {o}) = **{p_obj[o]:.3f}**" for c, o in OBJECTS.items())
            + ". The model must find the object of the earlier sentence and copy it: attention to that sentence "
            f"does it (pick layer 2 in section 3). The bigram after a space gives **c** only "
            f"{bigram_after_space[ckpt.vocab.token_to_idx['c']]:.3f}: it cannot know what was given. What the shipped "
            "model has *not* learned: who gets it back. Type the prompt up to “back to ” and it spreads its "
            "probability over all twelve names, not the two in the story."))

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
    kept = int((filtered.probs > 0).sum())
    ui.plot(figs.stages_figure(filtered, vocab.idx_to_token), "gpt-sampling-stages",
            figs.stages_frame(filtered, vocab.idx_to_token), key="gpt_stages",
            caption=f"Grey: what each filter receives; blue: what it returns. After all three, {kept} of "
                    f"{len(vocab)} characters can be drawn.")
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
    gen = (lmui.own_generation(own, prompt, n_new, tau, top_k, top_p, seed) if use_own
           else lmui.shipped_generation(NAME, prompt, n_new, tau, top_k, top_p, seed))
    st.markdown("**The prompt, then what the model wrote** (the same seed and settings write it again):")
    st.code(gen.text, language=None, wrap_lines=True)
    n = len(gen.steps)
    if st.session_state.get("gpt_step", 1) > n:  # fewer characters must not leave the slider out of range
        st.session_state["gpt_step"] = n
    k = st.slider("Generated character to inspect", 1, n, key="gpt_step", bind="query-params") if n > 1 else 1
    ui.plot(figs.generation_figure(gen, k), "gpt-generation", figs.generation_frame(gen), key="gpt_gen",
            caption="For each generated character, its probability under the model and after the filters; "
                    f"step {k} outlined.")
    step = gen.steps[k - 1]
    tail = "".join(step.context[-40:])
    st.markdown(f"Step **{k}**: after “…{markdown_literal(tail)}” the model drew "
                f"**{markdown_literal(token_label(step.token))}** (p = {step.filtered.probs[step.token_id]:.3f} "
                f"after the filters, {step.filtered.raw[step.token_id]:.3f} under the model).")
    a1, a2 = st.columns(2)
    layer = a1.selectbox("Layer", list(range(L)), format_func=lambda i: f"layer {i + 1}", key="gpt_layer",
                         bind="query-params")
    head = a2.selectbox("Head", list(range(H)), format_func=lambda i: f"head {i + 1}", key="gpt_head",
                        bind="query-params")
    layer, head = min(int(layer), L - 1), min(int(head), H - 1)
    st.latex(r"\alpha_{t,s} = \operatorname{softmax}_s\!\Big(\frac{q_t \cdot k_s}{\sqrt{d}}\Big) \ \text{for } s \le t, "
             r"\qquad \alpha_{t,s} = 0 \ \text{for } s > t")
    att_df = pd.DataFrame(step.attention.reshape(L * H, -1), columns=[f"{i + 1}:{c}" for i, c in enumerate(step.context)])
    att_df.insert(0, "layer, head", [f"L{l + 1} H{h + 1}" for l in range(L) for h in range(H)])
    ui.plot(figs.context_attention(step.attention, step.context, layer, head, step.token), f"gpt-attention-step-{k}",
            att_df, key="gpt_att", caption="Each row is one head: how the last position of the context spread its "
            "attention when the model chose the new character (rows sum to 1). The picked head is outlined.")
    ui.plot(figs.head_bars(step.attention[layer, head], step.context, layer, head), f"gpt-head-{layer + 1}-{head + 1}",
            key="gpt_head_bars", caption=f"Layer {layer + 1}, head {head + 1}; its three largest weights in orange.")
    ui.show_code(sampling.generate, sampling.draw)
    explain("Pick the step where the model writes the closing quote: in the shipped model, layer 2 head 1 puts "
            "most of its attention on the opening quote, however far back it is. That is how a model with no counter "
            "knows a quote is open.")
    greedy = None  # generated only once the learner has answered (two more generations on every run otherwise)
    if st.session_state.get("gpt_q_greedy_guess") is not None:
        greedy = [lmui.own_generation(own, prompt, 30, 0.0, 0, 1.0, s).text if use_own
                  else lmui.shipped_generation(NAME, prompt, 30, 0.0, 0, 1.0, s).text for s in (1, 2)]

    def reveal_greedy() -> None:
        st.markdown("From your prompt, τ = 0, the last 40 characters with seed 1 and with seed 2:")
        st.code(greedy[0][-40:] + "\n" + greedy[1][-40:], language=None)
        st.markdown("At τ = 0 every step puts probability 1 on the arg-max, so the random number drawn with the "
                    "seed never matters: greedy decoding has no randomness.")

    predict_then_reveal(
        "gpt_q_greedy", "Set τ = 0 and generate 30 characters with seed 1, then with seed 2. The two texts are:",
        ["the same", "different"], "different" if greedy and greedy[0] != greedy[1] else "the same", reveal_greedy)

# -- 4. perplexity -----------------------------------------------------------------------------------
st.header("4. How good is it? Perplexity")
st.latex(r"\mathrm{PPL} = \exp\Big(-\frac{1}{N}\sum_{t=1}^{N} \log p(x_t \mid x_{<t})\Big)")
explain("Perplexity is the number of equally likely characters the model is, on average, choosing between on text "
        "it never trained on: a uniform guess over V characters scores V, a perfect model 1. Both models below "
        "are scored on exactly the same validation characters.")
values = {f"uniform guess (V = {len(ckpt.vocab)})": meta["uniform_perplexity"],
          "bigram (add-k counts)": meta["bigram_perplexity"], "shipped GPT": meta["model_perplexity"]}
checks = own.checks if own is not None else []
if checks and checks[-1]["validation perplexity"] is not None:
    values[f"my GPT, step {checks[-1]['step']} ({own.label})"] = checks[-1]["validation perplexity"]
ui.plot(figs.perplexity_bars(values), "gpt-perplexity", pd.DataFrame({"model": list(values), "perplexity": list(values.values())}),
        key="gpt_ppl", caption=f"Validation perplexity on {meta['characters']:,} held-out characters (yours: on the first "
        f"{lmui.CHECK_CHARS:,} of its own validation text). The shipped GPT trained {ckpt.meta['recipe']['steps']:,} steps "
        f"on one CPU thread: {ckpt.meta['train_cpu_seconds']:.0f} s of CPU time ({ckpt.meta['train_seconds']:.0f} s "
        "on the clock of a busy build machine).")

# -- 5. train your own --------------------------------------------------------------------------------
st.header("5. Train your own")
explain(f"A fresh GPT of the same shape, trained here in chunks on the built-in stories or on your own text "
        f"({lmtext.MIN_PASTED_CHARS:,} to {lmtext.MAX_PASTED_CHARS:,} characters; the last 10% is kept for validation). "
        "After each chunk it writes a sample, so you can watch it learn spaces, then words, then names. It lives in "
        "this browser session only; pick **my GPT** at the top to explore it.")
source = st.radio("Train on", ["built-in stories", "your text"], key="gpt_source", horizontal=True,
                  disabled=own is not None, help="Fixed once training has started; Start over to change it.")
pasted = ""
if source == "your text" and own is None:
    pasted = st.text_area(f"Your text (at most {lmtext.MAX_PASTED_CHARS:,} characters)", key="gpt_paste", height=150)
t1, t2, t3 = st.columns([1, 1, 1], vertical_alignment="bottom")
chunk = t1.selectbox("Steps per chunk", CHUNKS, index=1, key="gpt_chunk")
train = t2.button(f"Train {chunk} more steps", key="gpt_train", type="primary", icon=":material/play_arrow:")
t3.button("Start over", key="gpt_reset", disabled=own is None, icon=":material/restart_alt:",
          on_click=lambda: st.session_state.pop(lmui.OWN, None))
if train and own is None:
    if source == "your text":
        pc = lmtext.check_pasted(pasted)
        if pc.error:
            st.error(pc.error)
        else:
            if pc.note:
                st.warning(pc.note)
            own = lmui.start_own(lmtext.LMCorpus.from_text(pasted), f"your text, {len(pasted):,} characters")
    else:
        own = lmui.start_own(lmui.builtin_corpus(), "built-in stories")
if own is not None:
    if train:
        lmui.train_chunk(own, chunk)
        st.rerun()  # the sections above were drawn before this chunk: draw them again with the trained model
    st.markdown(f"**My GPT:** {own.label}, **{own.run.step:,} steps**, {own.seconds:.0f} s of training so far.")
    if own.checks:
        last = own.checks[-1]
        ui.plot(figs.training_figure([e.step for e in own.run.history], [e.loss for e in own.run.history],
                                     [c["step"] for c in own.checks], [c["validation loss"] for c in own.checks],
                                     last["bigram loss"]),
                "gpt-own-training", pd.DataFrame(own.checks), key="gpt_own_curve",
                caption="Training loss of each batch, validation loss after each chunk, and the bigram's validation "
                        "loss (dashed): below it, the model uses more than one character of context.")
        st.markdown(f"Validation perplexity after step {last['step']}: **{last['validation perplexity']:.2f}** "
                    f"(bigram on the same text: {last['bigram perplexity']:.2f}). Sample at τ = 0.8:")
        st.code(last["sample"], language=None, wrap_lines=True)
        with st.expander("Every sample so far"):
            st.dataframe(pd.DataFrame(own.checks)[["step", "validation perplexity", "sample"]], hide_index=True)
else:
    st.caption("Nothing trained yet in this session: press the button to start.")
