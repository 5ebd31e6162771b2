"""Classroom tools every lesson uses: predict-then-reveal questions (more to come: presenter mode,
shareable links; see issue #10)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st


def predict_then_reveal(key: str, question: str, options: Sequence[str], answer: str,
                        explain: Callable[[], None]) -> None:
    """Ask `question`; after the learner commits to one of `options`, say whether it was `answer`
    and call `explain()` to show why, with the live model's own numbers (a figure or a sentence).
    `key` must be unique in the app (prefix it with the page's url path)."""
    with st.container(border=True):
        st.markdown(f"**Predict, then reveal.** {question}")
        guess = st.radio("Your prediction", list(options), index=None, key=f"{key}_guess",
                         horizontal=True, label_visibility="collapsed")
        if guess is None:
            st.caption("Choose an answer to reveal what the model does.")
            return
        if guess == answer:
            st.success(f"Yes: {answer}.")
        else:
            st.info(f"Not quite: the answer is {answer}.")
        explain()
