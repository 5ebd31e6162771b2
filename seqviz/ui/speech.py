"""Streamlit pieces of the speech lesson (pages/speech_recognition.py) that the generic loaders do not cover.

The shipped files load through `ui.shipped("speech-data" | "speech-las" | "speech-snapshots")` and the
shipped model's traces through `ui.trace("speech-las", features, beam)` (seqviz.labs.speech). Here:
- `listen(data, utt)`: section 1's sound: every utterance rebuilt from its log-mel features (seqviz.tasks.resynth,
  cached per utterance by `rebuilt_wav`), and the shipped recording beside it where one ships;
- `decoding(...)`: the alignment with its step slider and section 4 (one character at a time), an
  `classroom.fragment` (st.fragment that keeps the link to the view current), so moving the step reruns only these figures;
- `across_training(...)`: the snapshots' alignment with its own pickers, a fragment too;
- `your_model(...)`: the learner's own model, through the shared `training.train_your_own` and the store
  (lab "speech"; meta: the shipped model's vocabulary, so the checkpoint explorer downloads and reopens it).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from seqviz import ui
from seqviz.labs import speech as lab
from seqviz.models.las import REDUCTION
from seqviz.plotting import loss_chart
from seqviz.plotting import speech as figs
from seqviz.tasks import resynth, speech
from seqviz.ui import classroom, store, training
from seqviz.ui.classroom import explain, predict_then_reveal


@st.cache_data(max_entries=256, show_spinner=False)
def rebuilt_wav(index: int) -> tuple[bytes, np.ndarray]:
    """(WAV file bytes, waveform at resynth.RATE) of shipped utterance `index`, rebuilt from its log-mel features."""
    data = ui.load_shipped(speech.DATA_NAME)
    y = resynth.resynthesize(data.features[index], data.mel)
    return resynth.wav_bytes(y, resynth.RATE), y


def listen(data, utt) -> None:
    """The rebuilt sound of `utt` (every utterance has one), the shipped recording where one ships, and a waveform."""
    wav, y = rebuilt_wav(utt.index)
    a1, a2 = st.columns([1, 2])
    a1.markdown("**Rebuilt from the features the model sees**")
    a1.audio(wav, format="audio/wav")
    a1.caption(f"{len(y) / resynth.RATE:.2f} s, rebuilt from the {data.mel.n_mels} mel bands of section 2 by "
               "Griffin-Lim phase reconstruction. The bands keep where the energy lies, not the voice's pitch, so it "
               "sounds whispered; the level is normalised.")
    if utt.audio >= 0:
        real = data.audio[utt.audio]
        a1.markdown("**The shipped recording sounds like this**")
        a1.audio(real, sample_rate=data.audio_rate)
        a1.caption(f"{len(real) / data.audio_rate:.2f} s at {data.audio_rate:,} Hz (a playback copy; the model hears "
                   f"the {data.mel.sample_rate:,} Hz original through its spectrogram). Peak level {np.abs(real).max():.2f}.")
        wave, rate, what = real, data.audio_rate, "The shipped recording's waveform: amplitude against time."
    else:
        a1.caption(f"Only {len(data.audio)} of {len(data.utterances)} recordings ship, to keep the download small; switch "
                   "on *Only utterances with a recording* to compare the rebuilt sound with the real one.")
        wave, rate, what = y, resynth.RATE, "The rebuilt sound's waveform: amplitude against time."
    with a2:
        fig, table = figs.waveform_figure(wave, rate)
        ui.plot(fig, f"speech-wave-{utt.index}", table, key="sp_wave", caption=what)


@classroom.fragment
def decoding(trace, feats: np.ndarray, frame_seconds: float, centres: np.ndarray, metrics: dict) -> None:
    """The step slider, the alignment with that step outlined, and section 4 at that step."""
    L = len(trace.output_tokens)
    ui.clamp_state("sp_step", L)  # a shorter transcript must not leave the slider out of range
    step = st.slider("Decoding step i (output character)", 1, L, 1, key="sp_step", bind="query-params") if L > 1 else 1
    arg = trace.argmax[: len(trace.text)]
    forward = speech.monotonic(arg)
    fig, table = figs.alignment_figure(feats, trace.weights, trace.output_tokens, frame_seconds, REDUCTION, centres, step)
    ui.plot(fig, "speech-alignment", table, key="sp_align",
            caption="Top: the spectrogram. Below: row i holds the weights α_ij character i gave each 80 ms encoder frame "
                    "(each row sums to 1), drawn under the stretch of sound it covers; the outlined row is step i.")
    peaks = ", ".join(str(int(a) + 1) for a in arg[:40])
    st.markdown(f"The argmax of each row {'**moves forward monotonically**' if forward else '**steps back at least once**'}"
                f" across the {len(arg)} characters (frames {peaks}).")

    st.header(f"4. Step {step}: one character at a time")
    row, tops = trace.weights[step - 1], trace.top_probs[step - 1]
    peak = int(row.argmax())
    written = "".join(trace.output_tokens[: step - 1]).replace(" ", "␣")
    st.markdown(f"Written so far: `{written or '(nothing)'}`. The speller reads "
                f"**{figs.char_label(trace.output_tokens[step - 2]) if step > 1 else '<bos>'}**, updates $s_{{{step}}}$, "
                f"listens mostly around **{(peak + 0.5) * REDUCTION * frame_seconds:.2f} s** "
                f"($\\alpha = {row[peak]:.2f}$) and writes **{figs.char_label(trace.output_tokens[step - 1])}** with "
                f"$p = {tops[0]:.3f}$.")
    fig, table = figs.step_figure(row, frame_seconds, REDUCTION, trace.top_tokens[step - 1], tops, step)
    ui.plot(fig, f"speech-step-{step}", table, key="sp_stepfig",
            caption="Left: where character i listens. Right: the five likeliest characters at this step.")
    back = int(sum(np.diff(arg) < 0)) if len(arg) > 1 else 0
    answer = ("always forward in time (or stays)" if forward else "it jumps back at least once"
              if len(set(arg.tolist())) > 1 else "it stays in one place")
    predict_then_reveal(
        "speech_q_forward", "As the speller writes the characters of this utterance one after another, where does its "
        "attention peak go?", ["always forward in time (or stays)", "it jumps back at least once", "it stays in one place"],
        answer, lambda: st.markdown(
            f"The peak frames are {peaks}: {back} step(s) back. Over the whole test set, **{metrics['monotonic']:.0%}** "
            f"of utterances never step back and **{metrics['monotonic_within_1']:.0%}** never step back by more than "
            "one 80 ms frame: speech is read left to right, and the location features let the model learn it."))


@classroom.fragment
def across_training(snaps, data, centres: np.ndarray) -> None:
    """Section 5: the shipped model's own training played back, one utterance and step at a time."""
    explain(f"The shipped model's own training, paused at steps {', '.join(str(s) for s in snaps.steps)} to record the "
            f"attention of a few test utterances and the CER on {snaps.eval_utterances} test utterances.")
    names = [f"\"{r['text']}\" ({r['voice']}, {r['speed']} wpm)" for r in snaps.utterances]
    s1, s2 = st.columns([2, 3])
    pick = s1.selectbox("Test utterance", names, key="sp_snap_utt", bind="query-params")
    snap_step = s2.select_slider("Training step", snaps.steps, value=snaps.steps[len(snaps.steps) // 2],
                                 key="sp_snap_step", bind="query-params")
    rec, k = snaps.utterances[names.index(pick)], snaps.steps.index(snap_step)
    out, W = rec["outputs"][k], np.asarray(rec["weights"][k])
    said = "".join(t for t in out if t != "<eos>")
    st.markdown(f"**Step {snap_step}, greedy transcript:** `{said[:60] or '(nothing)'}` "
                + (":green[**right**]" if said == rec["text"] else f":red[**wrong**] (reference: `{rec['text']}`)"))
    h1, h2 = st.columns([3, 2])
    with h1:
        fig, table = figs.alignment_figure(data.features[rec["index"]], W, out, data.mel.frame_seconds, REDUCTION, centres)
        ui.plot(fig, f"speech-snapshot-{snap_step}", table, key="sp_snap_heat",
                caption="The same figure as in section 3, for the model as it was at this training step.")
    with h2:
        st.metric(f"CER at step {snap_step} ({snaps.eval_utterances} test utterances)", f"{snaps.cer[k]:.1%}")
        fig, table = figs.training_curve(snaps.steps, snaps.cer, snap_step)
        ui.plot(fig, "speech-snapshot-curve", table, key="sp_snap_curve",
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


def your_model(ckpt, data, feats: np.ndarray, reference: str, centres: np.ndarray) -> None:
    """Section 7's controls and results: start from random weights or a copy of the shipped model, train in
    chunks through the shared block, then the held-out CER and this model's alignment on the chosen utterance."""
    origin = st.radio("Start from", lab.ORIGINS, key="sp_own_start", bind="query-params", horizontal=True,
                      help="The shipped model: a copy; the cached original is never trained.")
    label = f"Speech: from {origin}"

    def check(m) -> None:  # after each chunk, still holding the trainer's slot
        m.extra.setdefault("checks", []).append((m.steps, lab.held_out_cer(m.model, data, ckpt.vocab)))

    before = getattr(store.get(label), "steps", 0)
    m = training.train_your_own("speech", label, lambda: lab.learner_run(ckpt, data, origin), key="sp_own",
                                steps=(10, 50, 100, 200), default=50, settings={"origin": origin}, after_chunk=check,
                                refresh_every=10)
    if m is None or not m.run.history:
        st.caption("Nothing trained yet: press the button to start.")
        return
    if m.steps > before:
        st.rerun()  # just trained: draw the section again without the live chart of the chunk
    st.markdown(f"**Your model:** {label[len('Speech: '):]}, **{m.steps} steps** taken.")
    l1, l2 = st.columns(2)
    l1.altair_chart(loss_chart([e.step for e in m.run.history], [e.loss for e in m.run.history]), width="stretch")
    l1.caption("Your model's training loss (cross-entropy per character) at each step.")
    if m.extra.get("checks"):
        step, cer = m.extra["checks"][-1]
        l2.metric(f"CER at step {step} ({lab.CHECK_UTTERANCES} held-out utterances)", f"{cer:.1%}")
    mine = m.model.trace(feats, ckpt.vocab)
    st.markdown(f"Your model on the utterance of section 1: `{mine.text[:60] or '(nothing)'}` (reference `{reference}`).")
    fig, table = figs.alignment_figure(feats, mine.weights, mine.output_tokens, data.mel.frame_seconds, REDUCTION, centres)
    ui.plot(fig, "speech-own-alignment", table, key="sp_own_align",
            caption="Your model's attention on the utterance picked in section 1.")
