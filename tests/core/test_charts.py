"""Bar charts for PDFs hold every label inside the drawing, wrap labels too long for the label
column, keep values off the target line, and describe themselves for the tagged PDF. Each chart
is drawn in a real PDF and read back with the layout checks (tests/pdf_layout.py). Labels are text,
never markup; a count that may not be published has no bar."""

import re

from weasyprint import HTML

from core.charts import bar_chart_svg, plotly_text, text_width, wrap_label
from core.pdf import PDF_VARIANT
from tests.pdf_layout import layout_faults

GREEN, AMBER, RED = "#00703c", "#f47738", "#d4351c"


def pdf_of(svg) -> bytes:
    html = (
        '<!DOCTYPE html><html lang="en-GB"><head><title>Chart</title><style>@page { size: A4; margin: 16mm }'
        f"</style></head><body>{svg}</body></html>"
    )
    return HTML(string=html).write_pdf(pdf_variant=PDF_VARIANT)


def texts(svg: str) -> list[tuple[float, str]]:
    return [(float(x), text) for x, text in re.findall(r'<text x="([\d.]+)"[^>]*>([^<]*)</text>', svg)]


def test_text_width_uses_the_fonts_advance_widths():
    # Liberation Sans: "H" 722, "i" 222 thousandths of the size; at 10 px, 7.22 + 2.22.
    assert text_width("Hi", 10) == 9.44


def test_a_long_label_wraps_onto_two_lines_and_what_is_left_is_shortened():
    assert wrap_label("Health and Clinical Commissioning Groups", 168) == [
        "Health and Clinical",
        "Commissioning Groups",
    ]
    lines = wrap_label("Cambridgeshire and Peterborough Clinical Commissioning Group Partnership", 120)
    assert len(lines) == 2 and lines[1].endswith("\u2026")
    assert all(text_width(line) <= 120 for line in lines)


def test_every_label_stays_inside_a_narrow_chart():
    bars = [
        ("Health and Clinical Commissioning Groups", 1, RED),
        ("Cambridgeshire and Peterborough NHS Foundation Trust Safeguarding Team", 12, AMBER),
        ("Supercalifragilisticexpialidociousorganisation", 3, GREEN),
        ("MET Hub", 0, GREEN),
    ]
    svg = bar_chart_svg(bars, width=420, title="Areas")
    assert layout_faults(pdf_of(svg)) == []


def test_values_next_to_the_target_line_are_moved_past_it():
    bars = [("CCC", 86.2, AMBER), ("HDC", 88.8, AMBER), ("CCG", 90.0, GREEN), ("PCC", 93.3, GREEN), ("HMP", 60, RED)]
    svg = str(bar_chart_svg(bars, max_value=100, unit="%", target=90, target_label="Target 90%"))

    line_x = float(re.search(r'<line x1="([\d.]+)"', svg).group(1))
    placed = dict((text, x) for x, text in texts(svg))
    for value in ("86.2%", "88.8%"):  # the bar ends just short of the line: the value goes after it
        assert placed[value] == round(line_x + 4, 1)
    assert placed["60%"] < line_x - text_width("60%")  # well short of the line: left where it was
    assert layout_faults(pdf_of(svg)) == []


def test_the_title_is_the_charts_alternative_text():
    svg = str(bar_chart_svg([("Education", 2, AMBER), ("Health & care", 1, RED)]))
    assert "<title>Bar chart: Education 2; Health &amp; care 1.</title>" in svg
    assert "<title>Given</title>" in str(bar_chart_svg([("Education", 2, AMBER)], title="Given"))


HOSTILE = '<a href="https://example.org">x</a>'


def test_plotly_text_leaves_no_tag_for_plotly_to_read():
    assert plotly_text(HOSTILE) == "&lt;a href=&#34;https://example.org&#34;&gt;x&lt;/a&gt;"
    assert plotly_text("Health & Care") == "Health &amp; Care"  # plotly shows it as "Health & Care"
    assert plotly_text("Education") == "Education"


def test_svg_bars_escape_labels_and_draw_no_bar_for_a_hidden_count():
    svg = str(bar_chart_svg([(HOSTILE, 6, "#1d70b8"), ("Adopted", None, "#1d70b8")]))
    assert "<a " not in svg and "&lt;a href=" in svg
    assert svg.count("<rect") == 1  # the 6 has its bar; the hidden count has none
    assert ">[c]</text>" in svg and ">6</text>" in svg
    # The alternative text says no more than the drawing.
    assert "Adopted [c]" in svg
    assert layout_faults(pdf_of(svg)) == []
