"""The regional charts: plotly figures (JSON) for the page, static SVG for the pack. One chart
per measure, one bar per partnership; a Channel count that may not be published draws no bar."""

import json

from core.charts import bar_chart_svg, describe, plotly_text, stacked_bar_chart_svg, wrap_label
from core.disclosure import SUPPRESSED
from core.vocab import Rag
from plans.charts import rag_by_area_figure
from region.rollups import RegionalRollup

#: Width in CSS pixels of a chart drawn beside its table in the pack (templates/pdf/_chart.html).
CHART_BESIDE_TABLE = 420
BAR_COLOUR = "#1d70b8"
#: The widest a label line may be on the page, in the units of core.charts.text_width (font size 11).
LABEL_WIDTH = 170


def page_label(name: str) -> str:
    """A partnership's name as a chart label on the page: escaped (names are typed: text, never
    markup, core.charts.plotly_text), in at most two lines; the table beside gives it whole."""
    return "<br>".join(plotly_text(line) for line in wrap_label(name, LABEL_WIDTH))


def _bar_figure(bars: list[tuple[str, float | None, str, str]], *, axis: str, max_value: float | None = None) -> str:
    """A horizontal bar per (label, value, colour, text), as plotly JSON; None draws no bar."""
    labels = [page_label(label) for label, _, _, _ in bars]
    trace = {
        "type": "bar",
        "orientation": "h",
        "y": labels,
        # A value that may not be shown (a hidden count, no headcount) is a bar of no length
        # with its text ([c], "No headcount") beside the axis: plotly writes no text for a gap.
        "x": [0 if value is None else value for _, value, _, _ in bars],
        "marker": {"color": [colour for _, _, colour, _ in bars]},
        "text": [plotly_text(text) for _, _, _, text in bars],
        "textposition": "outside",
        "cliponaxis": False,
        "hoverinfo": "y+text",
        "showlegend": False,
    }
    xaxis: dict = {"title": {"text": axis}, "rangemode": "tozero"}
    if max_value is not None:
        xaxis["range"] = [0, max_value]
    layout = {
        "height": max(200, 40 * len(bars) + 110),
        "margin": {"l": 10, "r": 60, "t": 10, "b": 50},
        "xaxis": xaxis,
        "yaxis": {"autorange": "reversed", "automargin": True},
        "font": {"family": "Arial, sans-serif", "size": 14},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
    }
    return json.dumps({"data": [trace], "layout": layout})


def _coverage_bars(rollup: RegionalRollup) -> list[tuple[str, float | None, str, str]]:
    bars = []
    for p in rollup.partnerships:
        summary = p.coverage
        if summary.percent is None:
            bars.append((p.name, None, Rag.look_of(None).colour, "No headcount"))
        else:
            percent = float(summary.percent)
            bars.append((p.name, min(percent, 100.0), Rag.look_of(summary.rag).colour, f"{percent:g}%"))
    return bars


def _channel_bars(rollup: RegionalRollup) -> list[tuple[str, float | None, str, str]]:
    return [
        (p.name, p.channel.value("referrals"), BAR_COLOUR, str(p.channel["referrals"])) for p in rollup.partnerships
    ]


def _rag_figure(rollup: RegionalRollup) -> str:
    """Rows by RAG per partnership: the plans overview's stacked bars (which escape the names),
    tall enough that the legend clears the axis title with few partnerships."""
    figure = json.loads(rag_by_area_figure({p.name: p.plans.by_rag for p in rollup.partnerships}))
    figure["layout"]["height"] = max(320, 50 * len(rollup.partnerships) + 200)
    figure["layout"]["margin"]["b"] = 90
    figure["layout"]["legend"]["y"] = -0.35 if len(rollup.partnerships) < 4 else -0.2
    return json.dumps(figure)


def page_figures(rollup: RegionalRollup) -> dict[str, str]:
    """measure -> plotly JSON for the regional page."""
    names = [p.name for p in rollup.partnerships]
    return {
        "rag": _rag_figure(rollup),
        "overdue": _bar_figure(
            [
                (n, p.plans.overdue, Rag.RED.colour, str(p.plans.overdue))
                for n, p in zip(names, rollup.partnerships, strict=True)
            ],
            axis="Overdue plan rows",
        ),
        "stale": _bar_figure(
            [
                (n, p.plans.stale, Rag.AMBER.colour, str(p.plans.stale))
                for n, p in zip(names, rollup.partnerships, strict=True)
            ],
            axis="Plan rows not updated this quarter",
        ),
        "coverage": _bar_figure(_coverage_bars(rollup), axis="Relevant staff WRAP-trained (%)", max_value=110),
        "channel": _bar_figure(_channel_bars(rollup), axis="Channel referrals"),
    }


def pack_charts(rollup: RegionalRollup) -> dict[str, str]:
    """measure -> static SVG for the regional pack, each with its description as alternative text."""

    def chart(bars, heading: str, **options):
        bars = [(label, value, colour) for label, value, colour, *_ in bars]
        alt = describe(
            [(label, value, colour) for label, value, colour in bars], unit=options.get("unit", ""), heading=heading
        )
        return bar_chart_svg(bars, title=alt, width=CHART_BESIDE_TABLE, **options)

    partnerships = rollup.partnerships
    statuses = [*(rag.value for rag in Rag), "unset"]
    by_rag = [(p.name, [(p.plans.by_rag.get(s, 0), Rag.look_of(s).colour) for s in statuses]) for p in partnerships]
    rag_alt = "Stacked bar chart of plan rows by RAG status for each partnership: " + "; ".join(
        f"{p.name}: " + ", ".join(f"{Rag.look_of(s).label} {p.plans.by_rag.get(s, 0)}" for s in statuses)
        for p in partnerships
    )
    channel = [(name, value, colour) for name, value, colour, _ in _channel_bars(rollup)]
    return {
        "rag": stacked_bar_chart_svg(
            by_rag,
            legend=[(Rag.look_of(s).label, Rag.look_of(s).colour) for s in statuses],
            width=CHART_BESIDE_TABLE,
            title=rag_alt + ".",
        ),
        "overdue": chart(
            [(p.name, p.plans.overdue, Rag.RED.colour) for p in partnerships],
            "Bar chart of overdue plan rows by partnership",
        ),
        "stale": chart(
            [(p.name, p.plans.stale, Rag.AMBER.colour) for p in partnerships],
            "Bar chart of plan rows not updated this quarter by partnership",
        ),
        "coverage": chart(
            # A partnership with no headcount has no percentage (the table says so): no bar, and
            # never [c], which means a hidden count.
            [(name, value, colour) for name, value, colour, _ in _coverage_bars(rollup) if value is not None],
            "Bar chart of WRAP coverage by partnership, each against its own target",
            unit="%",
            max_value=100,
        ),
        "channel": bar_chart_svg(
            channel,
            width=CHART_BESIDE_TABLE,
            title=f"Bar chart of Channel referrals by partnership, {rollup.quarter.name}; counts too small to "
            f"publish are shown as {SUPPRESSED} with no bar, as in the table that follows.",
        ),
    }
