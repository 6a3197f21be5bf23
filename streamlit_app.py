"""FER Studio: explore FER2013, train an emotion classifier, and predict the emotions of the faces in a photo.

Run with `streamlit run streamlit_app.py`. This file draws what every page shares (the navigation and the
data/model sidebar), then runs the chosen page."""

import streamlit as st

from fer_core.errors import FERError
from ui import sidebar
from ui.pages import HOME, PAGES
from ui.plain_text import plain

st.set_page_config(page_title="FER Studio", page_icon=":material/mood:", layout="wide")

# The pages live in app_pages/, not pages/: Streamlit would serve a pages/ file on its own, without this sidebar,
# to anyone who opens its URL directly.
page = st.navigation([st.Page(p.path, title=p.title, icon=p.icon, default=p is HOME) for p in PAGES])

try:
    settings = sidebar.hosted_settings()
except FERError as error:  # a mistyped hosting setting: say which, rather than guess
    st.error(plain(error))
    st.stop()
sidebar.data_source_picker(settings)
sidebar.model_picker(settings)

page.run()
