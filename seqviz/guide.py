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
}


def steps_for(section: str, available: set[str]) -> list[Step]:
    """The plan for a section, without steps whose page is not in the navigation."""
    return [s for s in PLANS.get(section, []) if s.url_path in available]


def minutes(steps: list[Step]) -> int:
    return sum(s.minutes for s in steps)
