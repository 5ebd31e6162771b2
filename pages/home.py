"""Home: what seqviz teaches, the learning path (links to every lesson), and how to use it in class.

Library calls: labs.navigation() (the labs' registry, the one the router uses, so a link can never point nowhere).
"""

import streamlit as st

from seqviz import labs, ui

st.title("seqviz: see inside sequence models")
st.markdown(
    "Every lesson here runs a small PyTorch model **live**, on the server's CPU, and shows what it "
    "computes inside: the numbers in each state, each equation with real values, and how both change "
    "while the model trains in front of you. The models are small on purpose: small enough to train "
    "in seconds, and to read every number."
)

st.header("The learning path")
for section, pages in labs.navigation().items():
    lessons = [p for p in pages if p.url_path != "home"]
    if not lessons:
        continue
    st.subheader(section)
    for p in lessons:
        st.page_link(p.path, label=p.title, icon=p.icon)
        st.caption(p.summary)

st.header("Using seqviz in class")
st.markdown(
    """
- **Project it.** Each lesson opens with a trained model, so the first figure is on the screen at
  once. Change the input text and the figures follow.
- **Ask before you reveal.** Before moving the step slider, ask the room which numbers will change and
  which will stay; then move it.
- **Train live.** Press *Train* in a lesson and the class watches the loss fall and the views change,
  from random weights to a working model, in a few seconds.
- **Share a view.** The address bar holds the lesson's input and step, and *Classroom* in the sidebar
  shows the link to the view with a copy button, so a link reproduces what is on the screen. Students
  can open the same link on their laptops; each browser trains its own models and nobody's training
  changes anyone else's view.
- **Presenter mode.** *Classroom* in the sidebar (or `presenter=1` in a link) enlarges text and figures
  for a projector, and can hide the explanations and the code.
- **Take the figures.** Every chart exports to PNG or SVG from its toolbar (the format is chosen under
  *Classroom*), and the numbers behind it download as CSV.
"""
)
st.page_link("pages/teachers_guide.py", label="The teacher's guide: a 50-minute lesson per section",
             icon=":material/school:")
