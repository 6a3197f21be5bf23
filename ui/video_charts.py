"""Plotly figures for the Video page: one person's emotions over time. Plain data in (a timeline from
fer_core.prediction.video_results), a figure out; no Streamlit here."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from ui.plain_text import plotly_text

# One colour per emotion, the same for every person, so two people's charts read alike.
EMOTION_COLOURS = {"angry": "#E45756", "disgust": "#54A24B", "fear": "#B279A2", "happy": "#F2CF5B",
                   "sad": "#4C78A8", "surprise": "#F58518", "neutral": "#9DA5B4"}


def timeline_figure(timeline: Sequence[dict], class_names: Sequence[str], title: str) -> go.Figure:
    """Stacked areas: at each analysed time, how the person's (smoothed) probability splits between the emotions.
    Class names and the title may be a user's own words: Plotly draws HTML, so both go through plotly_text."""
    times = [entry["time"] for entry in timeline]
    figure = go.Figure([
        go.Scatter(x=times, y=[entry["probabilities"][name] for entry in timeline], name=plotly_text(name), mode="lines",
                   stackgroup="emotions", line=dict(width=0.5, color=EMOTION_COLOURS.get(name)),
                   hovertemplate="%{fullData.name} %{y:.0%} at %{x:.2f} s<extra></extra>")
        for name in class_names
    ])
    figure.update_layout(title=plotly_text(title), xaxis_title="time in the clip (s)", yaxis=dict(tickformat=".0%", range=[0, 1]),
                         margin=dict(l=10, r=10, t=40, b=10), height=260, legend=dict(orientation="h", y=-0.35))
    return figure
