"""Teacher's guide: a suggested 50-minute lesson per section, with links that open the right views, and
how to run a class with seqviz (presenter mode, links, export, offline).

Library calls: labs.navigation() (the sections and pages that exist now), seqviz.guide.steps_for /
minutes (the plans as data), classroom.explain.
"""

from urllib.parse import urlencode

import streamlit as st

from seqviz import guide, labs, ui
from seqviz.ui import classroom

st.title("Teacher's guide")
classroom.explain(
    "Each section of seqviz fits one 50-minute class. Below is a suggested plan for each: every step "
    "opens the lesson at the view it talks about (the text, step and settings are in the link), so you "
    "can prepare the night before and click through in class, or send students one link per step."
)

with st.expander("Before the class: presenter mode, links, figures, no internet", icon=":material/school:",
                 expanded=True):
    st.markdown(
        """
- **Presenter mode.** Open *Classroom* in the sidebar and switch on *Presenter mode* (or add `presenter=1`
  to any link): larger text, thicker lines and taller figures for a projector. *Hide explanations* and
  *Hide code* leave the figures, the controls and the questions.
- **Light or dark.** The settings menu (⋮, top right) switches between the light and the dark theme; the
  figures follow it.
- **Links.** The sidebar's *Link to this view* holds the page's address with every setting you changed:
  copy it into your slides or the class chat, and each student opens exactly that view.
- **Predict, then reveal.** Every lesson has short questions; let the room vote before anyone clicks.
- **Figures for slides.** The camera button in each figure's toolbar downloads it as PNG or SVG (choose
  the format under *Classroom*); *Download the numbers (CSV)* under it gives the data.
- **No internet needed.** Everything, fonts included, is served by this app, and every model runs on its
  CPU. Students who open a link each get their own session: their training never changes your screen.
"""
    )

nav = labs.navigation()
pages = {p.url_path: p for section in nav.values() for p in section}
for section, section_pages in nav.items():
    lessons = [p for p in section_pages if p.url_path not in ("home", "guide")]
    if not lessons:
        continue
    st.header(section)
    steps = guide.steps_for(section, set(pages))
    if not steps:
        st.markdown(f"No written plan yet for this section. Its lessons, in order: open each, answer its "
                    f"*Predict, then reveal* questions with the class, then change the input and discuss.")
        for p in lessons:
            st.page_link(p.path, label=p.title, icon=p.icon)
            st.caption(p.summary)
        continue
    st.caption(f"A suggested lesson of {guide.minutes(steps)} minutes.")
    clock = 0
    for n, step in enumerate(steps, start=1):
        page = pages[step.url_path]
        with st.container(border=True):
            st.markdown(f"**{n}. Minutes {clock}-{clock + step.minutes}: {page.title}**")
            classroom.explain(step.activity)
            st.page_link(page.path, label=f"Open {page.title} at this view", icon=page.icon,
                         query_params=step.query or None)
            st.caption("Link: `/" + ui.page_address(page) + ("?" + urlencode(step.query, safe="()") if step.query else "") + "`")
        clock += step.minutes
