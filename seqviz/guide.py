"""The teacher's guide as data: a suggested 50-minute lesson per section of the navigation, each step
a page (by url path), the view it opens (query parameters the page binds to its widgets) and what
to do with the class. pages/teachers_guide.py draws it; no streamlit here.

A step whose page is not in the navigation is left out, and a section without a written plan gets a
short placeholder listing its pages, so the guide never links to a page that does not exist.
tests/test_classroom.py opens every linked view and checks the widgets took the values.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Step:
    minutes: int
    url_path: str  # the page (PageSpec.url_path)
    activity: str  # markdown: what the teacher does and asks
    query: dict[str, str] = field(default_factory=dict)  # the view: bound widget key -> value in the URL


LESSON_MINUTES = 50

PLANS: dict[str, list[Step]] = {
    "Recurrent networks": [
        Step(5, "rnn", "Open with the bracket counter. Ask: what must a network remember to know the depth? "
             "Step the slider through the brackets and read $h_t$ change.", {"rnn_text": "((a)(b))", "rnn_t": "3"}),
        Step(8, "rnn", "Write out one unit's update (section 2) and answer the two *Predict, then reveal* "
             "questions with the class before revealing. Then train from random weights (section 5).",
             {"rnn_text": "(((x)))", "rnn_t": "4"}),
        Step(10, "gates", "Gates: which gate keeps the first symbol? Vote on the first question, then force "
             "the forget gate of all units to 0 and watch the answer fall to chance.", {"gates_t": "2"}),
        Step(10, "gradients", "Why the vanilla RNN forgets: read the gradient curves right to left, then scale "
             "$W_{hh}$ up and down and find where the gradient stops vanishing.", {"grad_scale": "2"}),
        Step(7, "bidirectional", "A task that needs the future: the one-way model guesses, the bidirectional one "
             "knows. Ask which half of the state decides at step 1.", {"bi_text": "abcdeabxab", "bi_t": "1"}),
        Step(10, "compare", "Train RNN, LSTM and GRU side by side at lag 30 (one click, about half a minute), "
             "then read the shipped lag sweep. Close with: which model would you choose, and why?",
             {"cmp_lag": "30"}),
    ],
    "Attention": [
        Step(8, "attention", "Queries, keys and values on a short sentence: follow one word through every "
             "stage. First question: which word will it attend to?", {"attn_text": "the cat sat on the mat"}),
        Step(7, "attention", "Temperature and the causal mask: at τ = 0.1 one key takes almost everything; "
             "switch the mask on and ask which cells become −∞.", {"attn_temp": "0.1", "attn_causal": "true"}),
        Step(15, "translation", "Translation with attention: read the alignment heatmap row by row, step the "
             "decoder, and ask where it will look next before moving the slider.", {"tr_step": "2"}),
        Step(10, "translation", "Beam search against greedy decoding, and the same sentence without attention: "
             "why do long sentences need attention?", {"tr_beam": "5"}),
        Step(10, "translation", "Wrap-up: students open the link on their laptops, change the sentence, and each "
             "brings one heatmap (PNG or SVG from the figure's toolbar) that surprised them.", {}),
    ],
    "Word embeddings": [
        Step(8, "word2vec", "Where a word's meaning comes from: the words around it. Widen the window and count "
             "the (centre, context) pairs; ask how many a window of 3 makes from one sentence.", {"w2v_window": "3"}),
        Step(7, "word2vec", "Negative sampling: σ(v·u) for the true context word against k drawn words. Ask what "
             "the loss wants for each, then train skip-gram live and watch the word map move.", {"w2v_k": "5"}),
        Step(10, "glove", "GloVe counts first: read the co-occurrence matrix and the weight f(x). Ask why pairs "
             "that never co-occur teach GloVe nothing here, then show it on the matrix.", {"glove_window": "5"}),
        Step(15, "explorer", "The map of words: neighbours of queen, then the analogy king - man + woman. Predict "
             "the answer, reveal it, and compare CBOW, skip-gram and GloVe side by side.",
             {"explorer_word": "queen", "explorer_x": "king"}),
        Step(10, "vectors", "Bring your own: load a small vector file (or the one a student trained), see what was "
             "read and rejected, and open it in the explorer. Close with: what would a bigger corpus change?", {}),
    ],
    "Sentiment": [
        Step(10, "sentiment", "A review with negation: every model's verdict. Ask the class to vote which model "
             "gets it wrong before revealing; the bag of embeddings cannot see word order.",
             {"sentiment_text": "the plot was not bad at all"}),
        Step(10, "sentiment", "Contrast: the verdict after each word. Where does the LSTM change its mind, and why "
             "does the bag not?", {"sentiment_text": "the music was great but the ending was very dull"}),
        Step(15, "sentiment", "Which words decided? Read the integrated-gradients row for a negated review, then "
             "swap two clauses and predict the new colours.", {"sentiment_text": "i never found the story boring"}),
        Step(15, "sentiment", "Accuracy per phenomenon and the mistakes table; then each student trains a model "
             "and checks it against the held-out template. Close with: what do gates buy here?", {}),
    ],
    "Speech": [
        Step(10, "speech", "Listen, then look: play an utterance and read its log-mel spectrogram. Ask where the "
             "words begin; the gaps are silence.", {}),
        Step(15, "speech", "The speller's attention walks across the spectrogram: step one character at a time "
             "and ask where it will listen next before moving the slider.", {"sp_step": "3"}),
        Step(10, "speech", "Greedy against beam search: when does a wider beam change the transcript?",
             {"sp_beam": "3"}),
        Step(15, "speech", "Alignment across training: from a blur to a diagonal. Then fine-tune live and compare "
             "the character error rate on new voices and a new speed.", {}),
    ],
    "Transformers": [
        Step(10, "transformer", "Every head of the encoder on one sentence: which head follows the word before, "
             "which the verb? Predict, then reveal.", {"transformer_text": "the old small girls do not like them"}),
        Step(10, "transformer", "The causal mask and cross-attention beside the GRU's alignment; switch heads off "
             "and watch the translation break.", {"transformer_text": "the flowers find the new bird"}),
        Step(15, "gpt", "A tiny GPT: the next character's top 10 beside a bigram's. Lower the temperature and ask "
             "what greedy decoding will write.", {"gpt_temp": "0.5"}),
        Step(15, "gpt", "top-p and seeded generation one character at a time with its attention; each student "
             "trains their own on pasted text and compares perplexity with the bigram.", {"gpt_topp": "0.9"}),
    ],
}


def steps_for(section: str, available: set[str]) -> list[Step]:
    """The plan for a section, without steps whose page is not in the navigation."""
    return [s for s in PLANS.get(section, []) if s.url_path in available]


def minutes(steps: list[Step]) -> int:
    return sum(s.minutes for s in steps)
