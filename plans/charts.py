"""Charts for plan pages, built in Python as plotly figures (drawn in the browser from JSON)."""

import json

from core.charts import plotly_text
from core.vocab import Rag


def rag_by_area_figure(totals: dict[str, dict[str, int]]) -> str:
    """A stacked horizontal bar of row counts by RAG for each area, as plotly JSON.

    Written as plain JSON rather than through plotly's figure objects: validating those costs
    more than the rest of the overview page put together."""
    areas = list(totals)
    labels = [plotly_text(area) for area in areas]  # area names are typed by users: text, never markup
    traces = []
    for rag in [*(r.value for r in Rag), "unset"]:
        counts = [totals[a].get(rag, 0) for a in areas]
        if not any(counts):
            continue
        look = Rag.look_of(rag)
        traces.append(
            {
                "type": "bar",
                "name": look.label,
                "y": labels,
                "x": counts,
                "orientation": "h",
                "marker": {"color": look.colour},
            }
        )
    layout = {
        "barmode": "stack",
        "height": max(240, 40 * len(areas) + 120),
        "margin": {"l": 10, "r": 10, "t": 10, "b": 40},
        "xaxis": {"title": {"text": "Plan rows"}},
        "yaxis": {"autorange": "reversed", "automargin": True},
        "legend": {"orientation": "h", "y": -0.2},
        "font": {"family": "Arial, sans-serif", "size": 14},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
    }
    return json.dumps({"data": traces, "layout": layout})
