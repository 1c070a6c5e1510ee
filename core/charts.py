"""Charts: static SVG bars for PDFs (no JavaScript in a PDF), and the one rule for text that goes
into a plotly figure drawn on a page."""

from markupsafe import Markup, escape

from core.disclosure import SUPPRESSED


def bar_chart_svg(
    bars: list[tuple[str, float | None, str]],
    *,
    max_value: float | None = None,
    unit: str = "",
    target: float | None = None,
    target_label: str = "",
    label_width: int = 210,
    width: int = 640,
) -> Markup:
    """One bar per (label, value, colour), largest scale max_value, optional target line.

    A value of None is a count that may not be published (core.disclosure): its label is shown
    with [c] and no bar, so the chart says no more than the table beside it."""
    bar_height, gap, top = 18, 8, 8
    plot_width = width - label_width - 60
    highest = max([max_value or 0, target or 0, *(v for _, v, _ in bars if v is not None)]) or 1
    height = top + len(bars) * (bar_height + gap) + 24
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Liberation Sans, Arial, sans-serif" font-size="11">'
    ]
    for index, (label, value, colour) in enumerate(bars):
        y = top + index * (bar_height + gap)
        if value is None:
            parts.append(
                f'<text x="{label_width - 6}" y="{y + 13}" text-anchor="end">{escape(label[:40])}</text>'
                f'<text x="{label_width + 4}" y="{y + 13}">{SUPPRESSED}</text>'
            )
            continue
        length = max(0.0, value) / highest * plot_width
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 13}" text-anchor="end">{escape(label[:40])}</text>'
            f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar_height}" fill="{escape(colour)}"/>'
            f'<text x="{label_width + length + 4:.1f}" y="{y + 13}">{value:g}{escape(unit)}</text>'
        )
    if target is not None:
        x = label_width + target / highest * plot_width
        bottom = top + len(bars) * (bar_height + gap)
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{bottom}" stroke="#0b0c0c" stroke-dasharray="4 3"/>'
            f'<text x="{x:.1f}" y="{bottom + 14}" text-anchor="middle">{escape(target_label)}</text>'
        )
    parts.append("</svg>")
    # Every label was escaped above; the rest is markup we wrote.
    return Markup("".join(parts))  # noqa: S704  # nosec B704


def plotly_text(value: str) -> str:
    """Text for a plotly figure (axis categories, bar and hover text): always shown as text.

    plotly.js reads a small HTML subset in every label (``<a href>``, ``<b>``, ``<br>`` ...) and
    turns it into live SVG markup, so a business area named ``<a href="...">`` would become a link
    in the chart. Escaped, the label has no tags for plotly to read, and plotly turns the entities
    back into the characters: the reader sees exactly the name as typed."""
    return str(escape(value))
