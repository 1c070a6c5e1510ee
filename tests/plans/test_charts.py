"""The overview chart: business area names are text in the plotly figure, never markup."""

import json

from plans.charts import rag_by_area_figure

HOSTILE = '<a href="https://example.org">x</a>'


def test_an_area_named_as_a_link_is_text_in_the_overview_chart():
    figure = json.loads(rag_by_area_figure({HOSTILE: {"red": 1, "green": 2}, "Education": {"green": 3}}))
    for trace in figure["data"]:
        assert trace["y"] == ["&lt;a href=&#34;https://example.org&#34;&gt;x&lt;/a&gt;", "Education"]
    assert "<a" not in json.dumps(figure)
