"""Speech recognition with attention: a listen-attend-spell model spells out spoken number words.

Library calls: seqviz.ui.speech (speech_data, speech_model, shipped_trace, snapshots: cached, validated
loaders of assets/speech-data.*, speech-las.* and speech-snapshots.json), seqviz.tasks.speech (band
centres, edit_distance, cer, monotonic, batches), seqviz.models.las (LAS.trace, evaluate_speech),
seqviz.plotting.speech (waveform_figure, spectrogram_figure, alignment_figure, step_figure, cer_bars,
training_curve), ui.plot, ui.show_code, ui.train_live; the learner's own model is a
seqviz.training.TrainingRun kept in st.session_state["sp_own"] (never cached).
"""

import numpy as np
import pandas as pd
import streamlit as st
import torch

from seqviz import ui, zoo_speech
from seqviz.models.las import LAS, REDUCTION, evaluate_speech
from seqviz.models.recurrent import copy_model
from seqviz.plotting import loss_chart
from seqviz.plotting import speech as figs
from seqviz.tasks import speech
from seqviz.training import TrainingRun
from seqviz.ui import speech as sui
from seqviz.ui.classroom import explain, predict_then_reveal

OWN = "sp_own"  # session_state: {"run", "label", "checks": [(step, cer)]}
CHECK_UTTERANCES = 40  # held-out utterances transcribed after each chunk of live training
SPLITS = {"new voices": "test-voice", "new speed": "test-speed", "training": "train"}  # held out: never trained on
ANY = "any"

st.title("Speech recognition with attention")
explain("A **listener** turns the sound into a sequence of encoder frames; a **speller** writes the transcript "
        "one character at a time and, before each character, decides where in the recording to listen: its "
        "**attention** weights over the frames. The utterances are number words spoken by espeak-ng in several "
        "voices, speeds and pitches; the test utterances use voices or a speaking rate the model never heard.")
st.latex(r"x_t(m) = \log\Big(\sum_k F_{mk}\, |X_t(k)|^2 + \varepsilon\Big), \qquad "
         r"\hat x_t = \frac{x_t - \mu}{\sigma}")
st.latex(r"h_j = [\overrightarrow{h}_j;\ \overleftarrow{h}_j] = "
         r"\mathrm{BiGRU}\Big(\mathrm{ReLU}\big(\mathrm{Conv}_{k=3,s=2}(\mathrm{ReLU}(\mathrm{Conv}_{k=5,s=2}(\hat x)))\big)\Big)_j")
st.latex(r"s_i = \mathrm{GRU}\big([E\,y_{i-1};\ c_{i-1}],\ s_{i-1}\big), \qquad f_i = \Phi * \alpha_{i-1}, \qquad "
         r"e_{ij} = v^\top \tanh(W_s\, s_i + W_h\, h_j + W_f\, f_{ij} + b)")
st.latex(r"\alpha_{ij} = \frac{e^{e_{ij}}}{\sum_{j'} e^{e_{ij'}}}, \qquad c_i = \sum_j \alpha_{ij}\, h_j, \qquad "
         r"\tilde h_i = \tanh(W_c [c_i;\ s_i]), \qquad p(y_i \mid y_{<i}, x) = \operatorname{softmax}(W_o\, \tilde h_i + b_o)")
explain(f"$x_t(m)$: log power of mel band $m$ in frame $t$ (20 ms apart; $F$: triangular mel filters; $X_t$: the "
        f"short-time Fourier transform). Two stride-2 convolutions shorten time {REDUCTION}x, so one encoder frame "
        r"$h_j$ covers 80 ms. $f_i$: **location features**, filters $\Phi$ slid over the previous step's weights "
        r"$\alpha_{i-1}$; they let the speller learn *move a little to the right of where I was*.")
ui.show_code(LAS.encode, LAS.score, LAS._step)

ckpt = sui.speech_model()
data = sui.speech_data()
if data is None or ckpt is None:
    if ckpt is not None:
        m = ckpt.meta["metrics"]
        st.markdown(f"Recorded when the shipped model was trained: CER **{m['by_split']['test-voice']['cer']:.1%}** on "
                    f"held-out voices and **{m['by_split']['test-speed']['cer']:.1%}** at the held-out speed.")
    st.stop()
model, vocab, mel = ckpt.model, ckpt.vocab, data.mel
centres = figs.band_centres(mel.n_mels, mel.f_min, mel.f_max)
metrics = ckpt.meta["metrics"]

# -- 1. pick an utterance ---------------------------------------------------------------------------
st.header("1. Pick an utterance and listen")
ui.drop_unusable_link_values("sp_split", "sp_words", "sp_beam", "sp_step")
c1, c2, c3, c4 = st.columns([3, 2, 2, 3])
split_name = c1.segmented_control("Utterances", list(SPLITS), default="new voices", key="sp_split",
                                  bind="query-params", required=True,
                                  help="New voices and new speed: held out, never heard in training.")
pool = data.split(SPLITS[split_name])
voice = c2.selectbox("Voice", [ANY] + sorted({u.voice for u in pool}), key="sp_voice", bind="query-params")
speed = c3.selectbox("Speed (words per minute)", [ANY] + sorted({str(u.speed) for u in pool}), key="sp_speed",
                     bind="query-params")
words = c4.segmented_control("Words", [ANY, "1", "2", "3", "4", "5"], default=ANY, key="sp_words",
                             bind="query-params", required=True)
only_audio = st.toggle("Only utterances with sound", key="sp_audio", bind="query-params",
                       help=f"Only {len(data.audio)} utterances ship with their waveform (a few of each split), "
                            "to keep the download small; every utterance has its spectrogram.")
chosen = [u for u in pool if (voice == ANY or u.voice == voice) and (speed == ANY or str(u.speed) == speed)
          and (words == ANY or u.words == int(words)) and (not only_audio or u.audio >= 0)]
if not chosen:
    st.info("No utterance matches all these filters; showing the first utterance of the split instead.")
    chosen = pool[:1]
by_label = {u.label: u for u in chosen[:300]}
label = st.selectbox(f"Utterance ({len(chosen)} match)", list(by_label), key="sp_utt", bind="query-params")
utt = by_label[label]
feats = data.features[utt.index]
if utt.audio >= 0:
    wave = data.audio[utt.audio]
    a1, a2 = st.columns([1, 2])
    a1.audio(wave, sample_rate=data.audio_rate)
    a1.caption(f"{len(wave) / data.audio_rate:.2f} s at {data.audio_rate:,} Hz (a playback copy; the model hears "
               f"the {mel.sample_rate:,} Hz original through its spectrogram). Peak level {np.abs(wave).max():.2f}.")
    with a2:
        ui.plot(figs.waveform_figure(wave, data.audio_rate), f"speech-wave-{utt.index}", None, key="sp_wave",
                caption="The waveform: amplitude against time.")
else:
    st.caption(f"No sound ships for this utterance (only {len(data.audio)} of {len(data.utterances)} have it, to keep "
               "the download small): switch on *Only utterances with sound* to hear one. Its spectrogram is below.")

# -- 2. spectrogram --------------------------------------------------------------------------------------
st.header("2. What the model hears: the log-mel spectrogram")
spec_df = pd.DataFrame(feats, columns=[f"{c:.0f} Hz" for c in centres])
spec_df.insert(0, "time_s", (np.arange(len(feats)) + 0.5) * mel.frame_seconds)
ui.plot(figs.spectrogram_figure(feats, mel.frame_seconds, centres), f"speech-spectrogram-{utt.index}", spec_df,
        key="sp_spec", caption=f"{len(feats)} frames x {mel.n_mels} mel bands; bright: loud. Vowels show as bands "
        "of energy at low frequencies (formants); s, f, x as noise high up; gaps are silence between words.")

# -- 3. transcription and alignment ----------------------------------------------------------------------
st.header("3. The transcript, and where the speller listened")
beam = st.slider("Beam width k (1 = greedy)", 1, 5, 1, key="sp_beam", bind="query-params",
                 help="Beam search keeps the k likeliest partial transcripts by total log-probability.")
trace = sui.shipped_trace(utt.index, beam)
errors = speech.edit_distance(trace.text, utt.text)
m1, m2, m3 = st.columns(3)
m1.metric("Transcript", trace.text or "(nothing)")
m2.metric("Reference", utt.text)
m3.metric("Character error rate (this utterance)", f"{errors / len(utt.text):.1%}",
          help=f"{errors} edits (substitutions, insertions, deletions) over {len(utt.text)} reference characters.")
L = len(trace.output_tokens)
if st.session_state.get("sp_step", 1) > L:  # a shorter transcript must not leave the slider out of range
    st.session_state["sp_step"] = L
step = st.slider("Decoding step i (output character)", 1, L, 1, key="sp_step", bind="query-params") if L > 1 else 1
arg = trace.argmax[: len(trace.text)]
forward = speech.monotonic(arg)
align_df = pd.DataFrame(trace.weights, columns=[f"frame {j + 1}" for j in range(trace.weights.shape[1])])
align_df.insert(0, "character", trace.output_tokens)
ui.plot(figs.alignment_figure(feats, trace.weights, trace.output_tokens, mel.frame_seconds, REDUCTION, centres, step),
        f"speech-alignment-{utt.index}", align_df, key="sp_align",
        caption="Top: the spectrogram. Below: row i holds the weights α_ij character i gave each 80 ms encoder frame "
                "(each row sums to 1), drawn under the stretch of sound it covers; the outlined row is step i.")
st.markdown(f"The argmax of each row {'**moves forward monotonically**' if forward else '**steps back at least once**'}"
            f" across the {len(arg)} characters (frames {', '.join(str(int(a) + 1) for a in arg[:40])}).")

# -- 4. one character at a time --------------------------------------------------------------------------
st.header(f"4. Step {step}: one character at a time")
tok = trace.output_tokens[step - 1]
peak = int(trace.weights[step - 1].argmax())
written = "".join(trace.output_tokens[: step - 1]).replace(" ", "␣")
st.markdown(f"Written so far: `{written or '(nothing)'}`. The speller reads "
            f"**{figs.char_label(trace.output_tokens[step - 2]) if step > 1 else '<bos>'}**, updates $s_{{{step}}}$, "
            f"listens mostly around **{(peak + 0.5) * REDUCTION * mel.frame_seconds:.2f} s** "
            f"($\\alpha = {trace.weights[step - 1, peak]:.2f}$) and writes **{figs.char_label(tok)}** with "
            f"$p = {trace.top_probs[step - 1][0]:.3f}$.")
step_df = pd.DataFrame({"time_s": (np.arange(trace.weights.shape[1]) + 0.5) * REDUCTION * mel.frame_seconds,
                        "alpha": trace.weights[step - 1]})
ui.plot(figs.step_figure(trace.weights[step - 1], mel.frame_seconds, REDUCTION, trace.top_tokens[step - 1],
                         trace.top_probs[step - 1], step), f"speech-step-{step}", step_df, key="sp_stepfig",
        caption="Left: where character i listens. Right: the five likeliest characters at this step.")
back = int(sum(np.diff(arg) < 0)) if len(arg) > 1 else 0
predict_then_reveal(
    "speech_q_forward", "As the speller writes the characters of this utterance one after another, where does its "
    "attention peak go?", ["always forward in time (or stays)", "it jumps back at least once", "it stays in one place"],
    "always forward in time (or stays)" if forward else "it jumps back at least once" if len(set(arg.tolist())) > 1
    else "it stays in one place",
    lambda: st.markdown(f"The peak frames are {', '.join(str(int(a) + 1) for a in arg[:40])}: {back} step(s) back. "
                        f"Over the whole test set, **{metrics['monotonic']:.0%}** of utterances never step back and "
                        f"**{metrics['monotonic_within_1']:.0%}** never step back by more than one 80 ms frame: "
                        "speech is read left to right, and the location features let the model learn it."))

# -- 5. alignment across training ---------------------------------------------------------------------------
st.header("5. Alignment across training: from diffuse to monotonic")
snaps = sui.snapshots()
if snaps is not None:
    explain(f"The shipped model's own training, paused at steps {', '.join(str(s) for s in snaps.steps)} to record the "
            f"attention of a few test utterances and the CER on {snaps.eval_utterances} test utterances.")
    names = [f"\"{r['text']}\" ({r['voice']}, {r['speed']} wpm)" for r in snaps.utterances]
    s1, s2 = st.columns([2, 3])
    pick = s1.selectbox("Test utterance", names, key="sp_snap_utt", bind="query-params")
    snap_step = s2.select_slider("Training step", snaps.steps, value=snaps.steps[len(snaps.steps) // 2], key="sp_snap_step",
                                 bind="query-params")
    rec, k = snaps.utterances[names.index(pick)], snaps.steps.index(snap_step)
    out, W = rec["outputs"][k], np.asarray(rec["weights"][k])
    said = "".join(t for t in out if t != "<eos>")
    st.markdown(f"**Step {snap_step}, greedy transcript:** `{said[:60] or '(nothing)'}` "
                + (":green[**right**]" if said == rec["text"] else f":red[**wrong**] (reference: `{rec['text']}`)"))
    h1, h2 = st.columns([3, 2])
    with h1:
        snap_df = pd.DataFrame(W, columns=[f"frame {j + 1}" for j in range(W.shape[1])])
        snap_df.insert(0, "character", out)
        ui.plot(figs.alignment_figure(data.features[rec["index"]], W, out, mel.frame_seconds, REDUCTION, centres),
                f"speech-snapshot-{snap_step}", snap_df, key="sp_snap_heat",
                caption="The same figure as in section 3, for the model as it was at this training step.")
    with h2:
        st.metric(f"CER at step {snap_step} ({snaps.eval_utterances} test utterances)", f"{snaps.cer[k]:.1%}")
        ui.plot(figs.training_curve(snaps.steps, snaps.cer, snap_step), "speech-snapshot-curve",
                pd.DataFrame({"step": snaps.steps, "cer": snaps.cer}), key="sp_snap_curve",
                caption="CER on the test subset as training goes on; the orange dot is the step shown.")
    first = np.asarray(snaps.utterances[0]["weights"][0])
    spread = float(first.max(axis=1).mean())
    predict_then_reveal(
        "speech_q_untrained", "Before any training (step 0), how does a character's attention look?",
        ["all on one frame", "spread over many frames", "already a clean diagonal"],
        "all on one frame" if spread > 0.8 else "spread over many frames",
        lambda: st.markdown(f"At step 0 the largest weight of a row is **{spread:.2f}** on average (1 would be one "
                            f"frame; 1/S = {1 / first.shape[1]:.2f} would be perfectly even). Slide to the last step: "
                            "each character's weight gathers on the stretch of sound that spells it."))

# -- 6. test-set CER per voice and speed -----------------------------------------------------------------------
st.header("6. How well it hears new voices and a new speed")
t1, t2, t3, t4 = st.columns(4)
t1.metric("CER, held-out voices", f"{metrics['by_split']['test-voice']['cer']:.1%}")
t2.metric("CER, held-out speed", f"{metrics['by_split']['test-speed']['cer']:.1%}")
t3.metric("Utterances exactly right", f"{metrics['utterance_accuracy']:.1%}")
t4.metric("Monotonic alignments", f"{metrics['monotonic']:.1%}",
          help="Share of test utterances whose attention argmax (one encoder frame per character, <eos> excluded, "
               "greedy transcript) never moves back from one character to the next.")
st.latex(r"\mathrm{CER} = \frac{\sum_u \mathrm{edits}(\hat y_u, y_u)}{\sum_u |y_u|}")
held = data.held_out
b1, b2 = st.columns(2)
with b1:
    ui.plot(figs.cer_bars(metrics["by_voice"], held["voices"], "voice"), "speech-cer-voice",
            pd.DataFrame([{"voice": k, **v} for k, v in metrics["by_voice"].items()]), key="sp_cer_voice",
            caption=f"Test CER per voice; orange: voices never heard in training ({', '.join(held['voices'])}). "
                    f"The blue bars are heard voices speaking at the held-out rate.")
with b2:
    ui.plot(figs.cer_bars(metrics["by_speed"], [str(s) for s in held["speeds"]], "words per minute"), "speech-cer-speed",
            pd.DataFrame([{"speed": k, **v} for k, v in metrics["by_speed"].items()]), key="sp_cer_speed",
            caption="Test CER per speaking rate; orange: the rate never heard in training. The blue bars are "
                    "held-out voices speaking at heard rates.")

# -- 7. fine-tune live -----------------------------------------------------------------------------------------
st.header("7. Train it yourself")
explain(f"Train in chunks on the {len(data.split('train'))} training utterances (each one stretched in time and warped "
        f"in frequency a little every time it is used). After each chunk your model transcribes {CHECK_UTTERANCES} "
        "held-out utterances. From random weights, expect the loss to fall in the first 200 steps and the "
        "alignment to become a diagonal after a few hundred; each step takes a fraction of a second on this server.")
o1, o2 = st.columns(2)
origin = o1.radio("Start from", ["random weights", "the shipped model"], key="sp_own_start", bind="query-params",
                  help="The shipped model: a copy; the cached original is never trained.")
n = o2.slider("Steps per chunk", 10, 200, 50, step=10, key="sp_own_n")
own = st.session_state.get(OWN)
b1, b2 = st.columns(2)
train = b1.button(f"Train {n} more steps", key="sp_own_train", type="primary", icon=":material/play_arrow:")
b2.button("Start over", key="sp_own_reset", disabled=own is None, icon=":material/restart_alt:",
          on_click=lambda: st.session_state.pop(OWN, None))
if train and own is None:
    recipe = zoo_speech.RECIPE
    if origin == "the shipped model":
        mine, what = copy_model(model), "a copy of the shipped model"
    else:
        with torch.random.fork_rng():  # seeded weights without moving the server's random state
            torch.manual_seed(recipe.seed)
            mine, what = LAS(model.cfg), "random weights"
    own = {"run": TrainingRun.start(mine, speech.batches(data, 1000, recipe.batch_size, vocab), lr=recipe.lr),
           "label": what, "checks": []}
    st.session_state[OWN] = own
if own is not None:
    run = own["run"]
    if train:
        ui.train_live(run, n, refresh_every=10)
        checks = zoo_speech.test_items(data)[:CHECK_UTTERANCES]
        own["checks"].append((run.step, evaluate_speech(run.model, data, checks, vocab)["cer"]))
        st.rerun()  # draw the section again without the live chart of the chunk just trained
    st.markdown(f"**Your model:** {own['label']}, **{run.step} steps** taken.")
    if run.history:
        l1, l2 = st.columns(2)
        l1.altair_chart(loss_chart([e.step for e in run.history], [e.loss for e in run.history]), width="stretch")
        if own["checks"]:
            steps_done, cers = zip(*own["checks"])
            l2.metric(f"CER at step {steps_done[-1]} ({CHECK_UTTERANCES} held-out utterances)", f"{cers[-1]:.1%}")
        mine_trace = run.model.trace(feats, vocab)
        st.markdown(f"Your model on the utterance of section 1: `{mine_trace.text[:60] or '(nothing)'}` "
                    f"(reference `{utt.text}`).")
        ui.plot(figs.alignment_figure(feats, mine_trace.weights, mine_trace.output_tokens, mel.frame_seconds, REDUCTION,
                                      centres), "speech-own-alignment", None, key="sp_own_align",
                caption="Your model's attention on the utterance picked in section 1.")
else:
    st.caption("Nothing trained yet: press the button to start.")
