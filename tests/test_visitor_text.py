"""The two escaping paths for text a visitor chose: plain() for Streamlit's Markdown, plotly_text() for Plotly's HTML
labels; every chart that names classes passes them through plotly_text."""

from ui import charts, video_charts
from ui.plain_text import plotly_text

NAME = "<a href=https:example.invalid>CLICK</a> <b>BOLD</b> & &amp;"
ESCAPED = "&lt;a href=https:example.invalid&gt;CLICK&lt;/a&gt; &lt;b&gt;BOLD&lt;/b&gt; &amp; &amp;amp;"


def test_plotly_text_writes_markup_and_entities_as_entities():
    assert plotly_text(NAME) == ESCAPED
    assert plotly_text("happy") == "happy"


def test_every_chart_names_the_classes_escaped():
    names = [NAME, "calm"]
    figures = [charts.class_counts_figure({"train": [1, 2]}, names),
               charts.balancing_figure([1, 2], [2, 2], names, "oversampled"),
               charts.confusion_matrix_figure([[1, 0], [0, 1]], names),
               charts.top_k_figure([(NAME, 0.6), ("calm", 0.4)])]
    for figure in figures:
        labels = [label for trace in figure.data for axis in ("x", "y") for label in (getattr(trace, axis) or ())
                  if isinstance(label, str)]
        assert ESCAPED in labels and NAME not in labels


def test_the_video_timeline_escapes_its_legend_hover_and_title():
    timeline = [{"time": 0.0, "probabilities": {NAME: 0.7, "calm": 0.3}}]
    figure = video_charts.timeline_figure(timeline, [NAME, "calm"], f"Person 1: mostly {NAME}")
    assert figure.data[0].name == ESCAPED
    assert NAME not in figure.data[0].hovertemplate
    assert figure.layout.title.text == f"Person 1: mostly {ESCAPED}"
