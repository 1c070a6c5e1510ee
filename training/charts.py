"""Coverage charts: a plotly figure for pages (drawn from JSON by static/js/charts.mjs) and the
same bars as static SVG for PDFs, which run no JavaScript."""

import json

from markupsafe import Markup, escape

from core.charts import plotly_text
from core.vocab import Rag
from training.coverage import TrendPoint


def _percent(point: TrendPoint) -> float | None:
    return float(point.percent) if point.percent is not None else None


def _hline(y: float, *, dash: str, colour: str, text: str, below: bool) -> tuple[dict, dict]:
    shape = {
        "type": "line",
        "xref": "paper",
        "x0": 0,
        "x1": 1,
        "yref": "y",
        "y0": y,
        "y1": y,
        "line": {"dash": dash, "color": colour},
    }
    label = {
        "xref": "paper",
        "x": 0,
        "yref": "y",
        "y": y,
        "text": text,
        "showarrow": False,
        "xanchor": "left",
        "yanchor": "top" if below else "bottom",
    }
    return shape, label


def trend_figure(points: list[TrendPoint], *, target: int, amber_from: int) -> str:
    """Coverage at each quarter end as bars coloured by RAG, with the target line; plotly JSON.

    Written as plain JSON rather than through plotly's figure objects, whose validation costs
    more than the rest of the coverage page's work."""
    bars = {
        "type": "bar",
        "x": [plotly_text(p.label) for p in points],
        "y": [_percent(p) for p in points],
        "marker": {"color": [Rag.look_of(p.rag).colour for p in points]},
        "text": [f"{p.percent}%" if p.percent is not None else "No headcount" for p in points],
        "textposition": "outside",
        "hovertemplate": "%{x}: %{text}<extra></extra>",
        "name": "Coverage",
    }
    lines = [_hline(target, dash="dash", colour="#0b0c0c", text=f"Target {target}%", below=False)]
    if amber_from < target:
        lines.append(_hline(amber_from, dash="dot", colour="#505a5f", text=f"Amber from {amber_from}%", below=True))
    top = max([100.0, *(v for v in map(_percent, points) if v is not None)])
    layout = {
        "height": 360,
        "margin": {"l": 10, "r": 10, "t": 20, "b": 40},
        "yaxis": {"title": {"text": "Relevant staff trained (%)"}, "range": [0, top * 1.12], "automargin": True},
        "xaxis": {"title": {"text": "Quarter end"}, "type": "category"},
        "showlegend": False,
        "font": {"family": "Arial, sans-serif", "size": 14},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "shapes": [shape for shape, _ in lines],
        "annotations": [label for _, label in lines],
    }
    return json.dumps({"data": [bars], "layout": layout})


def trend_description(points: list[TrendPoint], *, target: int) -> str:
    """The trend in words: each quarter end's coverage, and the target."""
    values = "; ".join(f"{p.label} {p.percent}%" if p.percent is not None else f"{p.label} none" for p in points)
    return f"Bar chart of WRAP coverage at each quarter end: {values}. Target {target}%."


def trend_svg(points: list[TrendPoint], *, target: int, width: int = 640, height: int = 220) -> Markup:
    """The trend as vertical bars with the target line, as an SVG element for a PDF. Its
    ``<title>`` (the tagged PDF's alternative text) gives each quarter's figure."""
    left, right, top, bottom = 40, 10, 14, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    highest = max([100.0, *(v for v in map(_percent, points) if v is not None)])
    slot = plot_w / max(1, len(points))
    bar_w = slot * 0.6

    def y(value: float) -> float:
        return top + plot_h - value / highest * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="Liberation Sans, Arial, sans-serif" font-size="10" role="img">'
        f"<title>{escape(trend_description(points, target=target))}</title>"
    ]
    for tick in (0, 25, 50, 75, 100):
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#e5e5e5"/>'
            f'<text x="{left - 4}" y="{y(tick) + 3:.1f}" text-anchor="end">{tick}%</text>'
        )
    for index, point in enumerate(points):
        x = left + index * slot + (slot - bar_w) / 2
        centre = x + bar_w / 2
        value = _percent(point)
        if value is None:
            parts.append(f'<text x="{centre:.1f}" y="{y(0) - 4:.1f}" text-anchor="middle">n/a</text>')
        else:
            parts.append(
                f'<rect x="{x:.1f}" y="{y(value):.1f}" width="{bar_w:.1f}" height="{y(0) - y(value):.1f}" '
                f'fill="{Rag.look_of(point.rag).colour}"/>'
            )
            # Inside the top of the bar where it fits, so the figure never sits on the target line.
            inside = value >= 15
            ink = ("#0b0c0c" if point.rag is Rag.AMBER else "#ffffff") if inside else "#0b0c0c"
            label_y = y(value) + 11 if inside else y(value) - 3
            parts.append(
                f'<text x="{centre:.1f}" y="{label_y:.1f}" text-anchor="middle" fill="{ink}">{point.percent}%</text>'
            )
        parts.append(
            f'<text x="{centre:.1f}" y="{height - bottom + 14}" text-anchor="middle">{escape(point.label)}</text>'
        )
    parts.append(
        f'<line x1="{left}" x2="{width - right}" y1="{y(target):.1f}" y2="{y(target):.1f}" '
        'stroke="#0b0c0c" stroke-dasharray="5 3"/>'
        f'<text x="{left + 3}" y="{y(target) - 3:.1f}">Target {target}%</text>'
    )
    parts.append("</svg>")
    # Safe: every text from data passes through escape() above; the rest is numbers.
    return Markup("".join(parts))  # noqa: S704  # nosec B704
