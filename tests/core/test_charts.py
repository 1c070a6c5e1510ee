"""Charts: labels are text, never markup; a count that may not be published has no bar."""

from core.charts import bar_chart_svg, plotly_text

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
