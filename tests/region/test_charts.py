"""The regional charts: names typed by people are text, never markup, on the page and in the
pack; a hidden Channel count draws no bar; the stacked RAG bars add up to each partnership's rows."""

import json
import re

from core.charts import stacked_bar_chart_svg
from region.charts import page_label

HOSTILE = 'Evil <a href="https://x.example">Partnership</a> & Co'


def test_a_partnership_name_is_text_in_a_page_chart_wrapped_on_our_own_line_breaks():
    label = page_label(HOSTILE)
    assert not re.search(r"<a[\s>]", label) and "&lt;a" in label and "href=&#34;https://x.example&#34;&gt;" in label
    # Wrapped in at most two lines, with the only <br> ours.
    assert label.count("<br>") == 1
    assert json.loads(json.dumps(label)) == label


def test_the_stacked_chart_escapes_labels_and_draws_each_part_in_proportion():
    svg = str(
        stacked_bar_chart_svg(
            [(HOSTILE, [(3, "#d4351c"), (1, "#f47738")]), ("Quiet", [(0, "#d4351c"), (2, "#f47738")])],
            legend=[("Red", "#d4351c"), ("Amber", "#f47738")],
            width=420,
            title="Stacked bars",
        )
    )
    assert not re.search(r"<a[\s>]", svg) and "&lt;a" in svg
    widths = [float(w) for w in re.findall(r'<rect x="[\d.]+" y="\d+" width="([\d.]+)" height="18"', svg)]
    # 3 + 1 for the first, no part drawn for the second's 0, then 2: the longest total (4) is the scale.
    assert len(widths) == 3
    assert abs(widths[0] - 3 * widths[1]) < 0.2 and abs(widths[2] - 2 * widths[1]) < 0.2  # drawn to 0.1 px
    assert ">4</text>" in svg and ">2</text>" in svg  # each bar's total after it
    assert svg.count('width="9" height="9"') == 2  # a legend swatch per status
