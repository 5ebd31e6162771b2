"""Speech recognition with attention: a listen-attend-spell model spells out spoken number words.

Library calls: ui.shipped ("speech-data", "speech-las", "speech-snapshots": cached, validated by
seqviz.labs.speech.load), ui.trace("speech-las", features, beam) (LAS.trace), SpeechData.pick,
seqviz.tasks.speech.edit_distance, seqviz.plotting.speech (waveform_figure, spectrogram_figure,
cer_bars: figure and table), seqviz.ui.speech (listen: the sound rebuilt from the features (seqviz.tasks.resynth)
and the recording where one ships; decoding and across_training: fragments with the alignment,
step and snapshot figures; your_model: training.train_your_own into the store, lab "speech"), ui.plot,
ui.show_code, classroom.explain.
"""

import streamlit as st

from seqviz import ui
from seqviz.labs.speech import CHECK_UTTERANCES
from seqviz.models.las import LAS, REDUCTION
from seqviz.plotting import speech as figs
from seqviz.tasks import speech
from seqviz.ui import speech as sui
from seqviz.ui.classroom import explain

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

ckpt = ui.shipped("speech-las")
data = ui.shipped("speech-data")
if data is None or ckpt is None:
    if ckpt is not None:
        m = ckpt.meta["metrics"]["by_split"]
        st.markdown(f"Recorded when the shipped model was trained: CER **{m['test-voice']['cer']:.1%}** on "
                    f"held-out voices and **{m['test-speed']['cer']:.1%}** at the held-out speed.")
    st.stop()
mel, metrics = data.mel, ckpt.meta["metrics"]
centres = figs.band_centres(mel.n_mels, mel.f_min, mel.f_max)

# -- 1. pick an utterance ---------------------------------------------------------------------------
st.header("1. Pick an utterance and listen")
ui.drop_unusable_link_values("sp_split", "sp_words", "sp_beam", "sp_step")
c1, c2, c3, c4 = st.columns([3, 2, 2, 3])
split = SPLITS[c1.segmented_control("Utterances", list(SPLITS), default="new voices", key="sp_split",
                                    bind="query-params", required=True,
                                    help="New voices and new speed: held out, never heard in training.")]
pool = data.split(split)
voice = c2.selectbox("Voice", [ANY] + sorted({u.voice for u in pool}), key="sp_voice", bind="query-params")
speed = c3.selectbox("Speed (words per minute)", [ANY] + sorted({str(u.speed) for u in pool}), key="sp_speed",
                     bind="query-params")
words = c4.segmented_control("Words", [ANY, "1", "2", "3", "4", "5"], default=ANY, key="sp_words",
                             bind="query-params", required=True)
only_audio = st.toggle("Only utterances with a recording", key="sp_audio", bind="query-params",
                       help=f"Every utterance plays, rebuilt from its features; only {len(data.audio)} also ship their "
                            "real recording (a few of each split), to keep the download small.")
chosen = data.pick(split, None if voice == ANY else voice, None if speed == ANY else int(speed),
                   None if words == ANY else int(words), only_audio)
if not chosen:
    st.info("No utterance matches all these filters; showing the first utterance of the split instead.")
    chosen = pool[:1]
by_label = {u.label: u for u in chosen[:300]}
utt = by_label[st.selectbox(f"Utterance ({len(chosen)} match)", list(by_label), key="sp_utt", bind="query-params")]
feats = data.features[utt.index]
sui.listen(data, utt)

# -- 2. spectrogram --------------------------------------------------------------------------------------
st.header("2. What the model hears: the log-mel spectrogram")
fig, table = figs.spectrogram_figure(feats, mel.frame_seconds, centres)
ui.plot(fig, f"speech-spectrogram-{utt.index}", table, key="sp_spec",
        caption=f"{len(feats)} frames x {mel.n_mels} mel bands; bright: loud. Vowels show as bands of energy at low "
                "frequencies (formants); s, f, x as noise high up; gaps are silence between words.")

# -- 3. transcription and alignment; 4. one character at a time ------------------------------------------
st.header("3. The transcript, and where the speller listened")
beam = st.slider("Beam width k (1 = greedy)", 1, 5, 1, key="sp_beam", bind="query-params",
                 help="Beam search keeps the k likeliest partial transcripts by total log-probability.")
trace = ui.trace("speech-las", feats, beam)
errors = speech.edit_distance(trace.text, utt.text)
m1, m2, m3 = st.columns(3)
m1.metric("Transcript", trace.text or "(nothing)")
m2.metric("Reference", utt.text)
m3.metric("Character error rate (this utterance)", f"{errors / len(utt.text):.1%}",
          help=f"{errors} edits (substitutions, insertions, deletions) over {len(utt.text)} reference characters.")
sui.decoding(trace, feats, mel.frame_seconds, centres, metrics)

# -- 5. alignment across training ---------------------------------------------------------------------------
st.header("5. Alignment across training: from diffuse to monotonic")
snaps = ui.shipped("speech-snapshots")
if snaps is not None:
    sui.across_training(snaps, data, centres)

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
    fig, table = figs.cer_bars(metrics["by_voice"], held["voices"], "voice")
    ui.plot(fig, "speech-cer-voice", table, key="sp_cer_voice",
            caption=f"Test CER per voice; orange: voices never heard in training ({', '.join(held['voices'])}). "
                    "The blue bars are heard voices speaking at the held-out rate.")
with b2:
    fig, table = figs.cer_bars(metrics["by_speed"], [str(s) for s in held["speeds"]], "words per minute")
    ui.plot(fig, "speech-cer-speed", table, key="sp_cer_speed", caption="Test CER per speaking rate; orange: the "
            "rate never heard in training. The blue bars are held-out voices speaking at heard rates.")

# -- 7. train it yourself -----------------------------------------------------------------------------------------
st.header("7. Train it yourself")
explain(f"Train in chunks on the {len(data.split('train'))} training utterances (each one stretched in time and warped "
        f"in frequency a little every time it is used). After each chunk your model transcribes "
        f"{CHECK_UTTERANCES} held-out utterances. From random weights, expect the loss to fall in the first 200 "
        "steps and the alignment to become a diagonal after a few hundred; each step takes a fraction of a second "
        "on this server. Your model reaches the checkpoint explorer, to download and reopen.")
sui.your_model(ckpt, data, feats, utt.text, centres)
