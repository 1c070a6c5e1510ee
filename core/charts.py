"""Charts: static SVG bars for PDFs (no JavaScript in a PDF), and the one rule for text that goes
into a plotly figure drawn on a page.

Every label is measured (Liberation Sans, the PDFs' font, metric-compatible with Arial), so the
drawing is laid out to hold it: the label column is as wide as the longest label, a label too
long for 40% of the chart wraps onto a second line, and a value that would sit on the target
line is moved past it. The chart's ``<title>`` is its alternative text in a tagged PDF. A value
of None is a count that may not be published (core.disclosure): it is shown as [c] with no bar.
"""

from markupsafe import Markup, escape

from core.disclosure import SUPPRESSED

#: Advance widths of Liberation Sans for the printable ASCII characters " " to "~", in
#: thousandths of the font size (read from the font's hmtx table); others count as an "M".
_WIDTHS = (
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
)  # fmt: skip
FONT_SIZE = 11
ELLIPSIS = "\u2026"


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """The width of ``text`` set in Liberation Sans at ``size`` (in the same unit as size)."""
    return sum(_WIDTHS[ord(c) - 32] if 32 <= ord(c) < 127 else 833 for c in text) * size / 1000


def _shorten(text: str, limit: float) -> str:
    """``text`` cut at a word (or letter) with an ellipsis so that it fits in ``limit``."""
    if text_width(text) <= limit:
        return text
    while text and text_width(text + ELLIPSIS) > limit:
        text = text[:-1]
    return text.rstrip() + ELLIPSIS


def wrap_label(label: str, limit: float, *, lines: int = 2) -> list[str]:
    """The label in at most ``lines`` lines, each no wider than ``limit``; what still does not
    fit ends in an ellipsis (the chart's data table gives it in full)."""
    out: list[str] = []
    for word in label.split():
        if out and text_width(f"{out[-1]} {word}") <= limit:
            out[-1] = f"{out[-1]} {word}"
        else:
            out.append(word)
    if len(out) > lines:
        out = out[: lines - 1] + [" ".join(out[lines - 1 :])]
    return [_shorten(line, limit) for line in out] or [""]


def describe(
    bars: list[tuple[str, float, str]], *, unit: str = "", target: float | None = None, heading: str = "Bar chart"
) -> str:
    """The chart in words, for its alternative text: each bar's label and value, and the target."""
    values = "; ".join(f"{label} {_value_text(value, unit)}" for label, value, _ in bars)
    aim = f" Target {target:g}{unit}." if target is not None else ""
    return f"{heading}: {values}.{aim}"


def _value_text(value: float | None, unit: str) -> str:
    return SUPPRESSED if value is None else f"{value:g}{unit}"


def bar_chart_svg(
    bars: list[tuple[str, float | None, str]],
    *,
    max_value: float | None = None,
    unit: str = "",
    target: float | None = None,
    target_label: str = "",
    width: int = 640,
    title: str = "",
) -> Markup:
    """One bar per (label, value, colour), largest scale max_value, optional target line.

    ``title`` is the chart's alternative text (a description of the bars when not given). A value
    of None is a count that may not be published (core.disclosure): its label is shown with [c]
    and no bar, so the chart says no more than the table beside it."""
    bar_height, gap, top = 18, 8, 8
    labels = [wrap_label(label, width * 0.4) for label, _, _ in bars]
    label_width = max([40.0, *(text_width(line) + 10 for lines in labels for line in lines)])
    row = bar_height + (12 if any(len(lines) > 1 for lines in labels) else gap)
    values = [_value_text(value, unit) for _, value, _ in bars]
    value_room = max([0.0, *(text_width(v) for v in values)]) + 8
    plot_width = width - label_width - value_room
    highest = max([max_value or 0, target or 0, *(v for _, v, _ in bars if v is not None)]) or 1
    bottom = top + len(bars) * row
    height = bottom + (24 if target is not None else 6)
    target_x = label_width + target / highest * plot_width if target is not None else None
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height:.0f}" '
        f'viewBox="0 0 {width} {height:.0f}" font-family="Liberation Sans, Arial, sans-serif" '
        f'font-size="{FONT_SIZE}" role="img">'
        f"<title>{escape(title or describe(bars, unit=unit, target=target))}</title>"
    ]
    for index, ((_, value, colour), lines, text) in enumerate(zip(bars, labels, values, strict=True)):
        y = top + index * row
        length = 0.0 if value is None else max(0.0, value) / highest * plot_width
        first = y + 13 if len(lines) == 1 else y + 7
        for number, line in enumerate(lines):
            parts.append(
                f'<text x="{label_width - 6:.1f}" y="{first + 12 * number}" text-anchor="end">{escape(line)}</text>'
            )
        start = label_width + length + 4
        if target_x is not None and start - 3 <= target_x <= start + text_width(text) + 3:
            start = target_x + 4  # past the target line, never on it
        if value is not None:  # a suppressed count draws no bar
            parts.append(
                f'<rect x="{label_width:.1f}" y="{y}" width="{length:.1f}" height="{bar_height}" '
                f'fill="{escape(colour)}"/>'
            )
        parts.append(f'<text x="{start:.1f}" y="{y + 13}">{escape(text)}</text>')
    if target_x is not None:
        half = text_width(target_label) / 2
        centre = min(max(target_x, half + 1), width - half - 1)
        parts.append(
            f'<line x1="{target_x:.1f}" y1="{top - 4}" x2="{target_x:.1f}" y2="{bottom}" '
            'stroke="#0b0c0c" stroke-dasharray="4 3"/>'
            f'<text x="{centre:.1f}" y="{bottom + 14}" text-anchor="middle">{escape(target_label)}</text>'
        )
    parts.append("</svg>")
    # Every label was escaped above; the rest is markup we wrote.
    return Markup("".join(parts))  # noqa: S704  # nosec B704


def stacked_bar_chart_svg(
    rows: list[tuple[str, list[tuple[float, str]]]],
    *,
    legend: list[tuple[str, str]],
    width: int = 640,
    title: str,
) -> Markup:
    """One bar per (label, [(value, colour), ...]), its parts side by side in order, the total
    after it, and a legend of (label, colour) under the bars. ``title`` is the chart's
    alternative text. Laid out like bar_chart_svg: labels measured and wrapped, nothing drawn
    outside the drawing."""
    bar_height, gap, top, swatch = 18, 8, 8, 9
    labels = [wrap_label(label, width * 0.4) for label, _ in rows]
    label_width = max([40.0, *(text_width(line) + 10 for lines in labels for line in lines)])
    row = bar_height + (12 if any(len(lines) > 1 for lines in labels) else gap)
    totals = [sum(value for value, _ in parts) for _, parts in rows]
    value_room = max([0.0, *(text_width(f"{t:g}") for t in totals)]) + 8
    plot_width = width - label_width - value_room
    highest = max([*totals, 0]) or 1
    bottom = top + len(rows) * row
    # The legend: swatch and label after swatch and label, onto a new line when one is full.
    placed, x, y = [], 0.0, bottom + 8
    for text, colour in legend:
        item = swatch + 4 + text_width(text) + 14
        if x and x + item > width:
            x, y = 0.0, y + 16
        placed.append((x, y, text, colour))
        x += item
    height = y + 16
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height:.0f}" '
        f'viewBox="0 0 {width} {height:.0f}" font-family="Liberation Sans, Arial, sans-serif" '
        f'font-size="{FONT_SIZE}" role="img"><title>{escape(title)}</title>'
    ]
    for index, ((_, segments), lines, total) in enumerate(zip(rows, labels, totals, strict=True)):
        y_row = top + index * row
        first = y_row + 13 if len(lines) == 1 else y_row + 7
        for number, line in enumerate(lines):
            parts.append(
                f'<text x="{label_width - 6:.1f}" y="{first + 12 * number}" text-anchor="end">{escape(line)}</text>'
            )
        start = label_width
        for value, colour in segments:
            length = max(0.0, value) / highest * plot_width
            if length:
                parts.append(
                    f'<rect x="{start:.1f}" y="{y_row}" width="{length:.1f}" height="{bar_height}" '
                    f'fill="{escape(colour)}"/>'
                )
            start += length
        parts.append(f'<text x="{start + 4:.1f}" y="{y_row + 13}">{escape(f"{total:g}")}</text>')
    for x, y, text, colour in placed:
        parts.append(
            f'<rect x="{x:.1f}" y="{y}" width="{swatch}" height="{swatch}" fill="{escape(colour)}"/>'
            f'<text x="{x + swatch + 4:.1f}" y="{y + 8.5}">{escape(text)}</text>'
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
