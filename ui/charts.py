"""Plotly figures for the pages. Plain data in (lists, dicts, arrays), a figure out; no Streamlit here. Class names
are the user's own folder names: every one goes through plotly_text, as Plotly draws HTML in labels."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from fer_core.prediction.ranking import Ranked
from ui.plain_text import plotly_text

SPLIT_COLOURS = {"train": "#4C78A8", "validation": "#F58518", "test": "#54A24B"}
BEFORE_AFTER_COLOURS = ("#9DA5B4", "#4C78A8")
_MARGIN = dict(l=10, r=10, t=40, b=10)


def class_counts_figure(counts_by_split: dict[str, Sequence[int]], class_names: Sequence[str]) -> go.Figure:
    figure = go.Figure([
        go.Bar(name=split, x=_labels(class_names), y=list(counts), marker_color=SPLIT_COLOURS.get(split),
               text=[f"{int(c):,}" for c in counts], textposition="outside")
        for split, counts in counts_by_split.items()
    ])
    figure.update_layout(barmode="group", title="Faces per class and split", yaxis_title="faces",
                         legend_title_text="split", margin=_MARGIN, height=380)
    return figure


def balancing_figure(before: Sequence[float], after: Sequence[float], class_names: Sequence[str],
                     after_label: str) -> go.Figure:
    figure = go.Figure([
        go.Bar(name="as loaded", x=_labels(class_names), y=list(before), marker_color=BEFORE_AFTER_COLOURS[0]),
        go.Bar(name=after_label, x=_labels(class_names), y=list(after), marker_color=BEFORE_AFTER_COLOURS[1]),
    ])
    figure.update_layout(barmode="group", title="Training faces per class, before and after balancing",
                         yaxis_title="faces (weighted)", margin=_MARGIN, height=340)
    return figure


def pixel_histogram_figure(histogram: Sequence[int]) -> go.Figure:
    figure = go.Figure(go.Bar(x=list(range(len(histogram))), y=list(histogram), marker_color="#4C78A8",
                              marker_line_width=0))
    figure.update_layout(xaxis_title="grey level (0 black – 255 white)",
                         yaxis_title="pixels", bargap=0, margin=_MARGIN, height=300)
    return figure


def training_curves_figure(epochs: list[dict]) -> go.Figure:
    """Loss and accuracy per epoch, training and validation side by side, one colour per split in both."""
    x = [row["epoch"] for row in epochs]
    figure = make_subplots(rows=1, cols=2, subplot_titles=("Loss", "Accuracy"))
    for column, metric in ((1, "loss"), (2, "accuracy")):
        for prefix, split, dash in (("", "train", "solid"), ("val_", "validation", "dash")):
            figure.add_trace(go.Scatter(x=x, y=[row.get(prefix + metric) for row in epochs], name=split,
                                        legendgroup=split, showlegend=column == 1, mode="lines+markers",
                                        line=dict(dash=dash, color=SPLIT_COLOURS[split])), row=1, col=column)
    figure.update_xaxes(title_text="epoch", dtick=max(1, len(x) // 10) if x else 1)
    figure.update_yaxes(tickformat=".1%", row=1, col=2)  # a narrow range (61–65%) needs the decimal to tell ticks apart
    figure.update_layout(margin=_MARGIN, height=320, legend=dict(orientation="h", y=-0.25))
    return figure


def confusion_matrix_figure(matrix: Sequence[Sequence[int]], class_names: Sequence[str]) -> go.Figure:
    """Rows are the true class, columns the predicted one; colour is the share of each true class."""
    totals = [max(sum(row), 1) for row in matrix]
    shares = [[value / total for value in row] for row, total in zip(matrix, totals)]
    figure = go.Figure(go.Heatmap(
        z=shares, x=_labels(class_names), y=_labels(class_names), colorscale="Blues", zmin=0, zmax=1,
        text=[[f"{value:,}" for value in row] for row in matrix], texttemplate="%{text}",
        hovertemplate="true %{y}, predicted %{x}: %{text} (%{z:.0%} of %{y})<extra></extra>",
        colorbar=dict(title="share", tickformat=".0%"),
    ))
    figure.update_layout(title="Confusion matrix (test split)", xaxis_title="predicted", yaxis_title="true",
                         yaxis_autorange="reversed", margin=_MARGIN, height=420)
    return figure


def top_k_figure(top_k: Sequence[Ranked]) -> go.Figure:
    """Horizontal bars, the most likely emotion on top."""
    labels = _labels(label for label, _ in top_k)[::-1]
    probabilities = [float(p) for _, p in top_k][::-1]
    figure = go.Figure(go.Bar(x=probabilities, y=labels, orientation="h", marker_color="#4C78A8",
                              text=[f"{p:.0%}" for p in probabilities], textposition="auto"))
    figure.update_layout(xaxis=dict(range=[0, 1], tickformat=".0%"), margin=dict(l=10, r=10, t=10, b=10),
                         height=40 + 45 * len(labels))
    return figure


def _labels(names) -> list[str]:
    return [plotly_text(name) for name in names]
