"""Text from a user or a file (a file name, a column's values, a run's message) shown as itself: Streamlit renders the
body of st.error, st.markdown, st.caption… as Markdown, where `[x](url)` becomes a link and `![x](url)` an image that
every visitor's browser fetches. Every such string goes through plain() first; in a Plotly figure, through
plotly_text(). Widget labels (buttons, checkboxes, radio and segmented options, metrics, image captions) are Markdown
too; select-box options and table cells are shown as text and need neither."""

from __future__ import annotations

import html
import re

# The marks that start Markdown anywhere in a line: links and images ([ ] !), emphasis (* _ ~; an _ inside a word,
# as in fer2013_sample, is text already), code (`), tables (|), HTML (< >), maths ($), escapes (\); Streamlit's
# :colour[…] needs a [ too.
_INLINE = re.compile(r"([\\`*\[\]<>!$~|]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
# What only starts Markdown at the start of a line: headings, quotes, lists, rules.
_LINE_START = re.compile(r"^(\s*)([#>+=-]|\d+[.)])", re.MULTILINE)
# GitHub-flavoured Markdown links a bare address (https://…, www.…, name@host) after escapes are read, so no escape
# stops it: an invisible WORD JOINER (U+2060) inside the address does.
_ADDRESS = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?=@)", re.IGNORECASE)
WORD_JOINER = "\u2060"


def plain(text: object) -> str:
    """`text` escaped so that Markdown shows it character for character, each line on its own line."""
    escaped = _INLINE.sub(r"\\\1", str(text))
    escaped = _ADDRESS.sub(WORD_JOINER, escaped)
    escaped = _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2) if m.group(2)[0] in "#>+=-"
                              else m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], escaped)
    return escaped.replace("\n", "  \n")


def plotly_text(text: object) -> str:
    """`text` for a Plotly label (axis ticks, hover text, legend, title): Plotly draws a subset of HTML there
    (<a href>, <b>, <br>) and reads entities, so & < > are written as entities and show as themselves."""
    return html.escape(str(text), quote=False)
