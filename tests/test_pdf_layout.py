"""The layout of every PDF the product makes, read back from the words' boxes: no two words on
top of each other, nothing outside the printable area, no text through a table cell's border or
a chart's line, nothing clipped, and each chart's labels inside its drawing.

Before the fixes that came with this test, the demo board pack (as the product made it then,
untagged) failed it with:
    page 5: 'Complete' overlaps 'Overdue'
    page 5: 'Overdue' overlaps 'Stale'
    page 5: 'AmberGreen' is crossed by a rule at (337.0, 161.9)
    page 5: 'Complete' is crossed by a rule at (405.9, 161.9)
    page 5: 'Overdue' is crossed by a rule at (440.3, 161.9)
    page 5: 'Health' is cut off (not drawn in full: H)
    page 7: 'CoverageRAG' is crossed by a rule at (361.6, 408.7)
    page 7: '86.2%' is crossed by a rule at (458.6, 141.5)
    page 7: '84%' is crossed by a rule at (458.6, 141.5)
    page 8: 'CoverageRAG' is crossed by a rule at (361.6, 62.4)
(the "Plans at a glance" headings, "Health and Clinical Commissioning Groups" cut at the chart's
edge, coverage values on the 90% target line, the coverage table's "Coverage" heading). Tagged,
the same pack also gave "page 5: chart label 'Health' runs outside its chart (x 47.5-71.4 of
51.4-531.4)".
"""

import io

import pdfplumber
import pytest
from weasyprint import HTML

from core.pdf import PDF_VARIANT
from tests.pdf_documents import DOCUMENTS
from tests.pdf_layout import figure_box, figures, layout_faults


@pytest.fixture
def demo(demo, ctx):
    """The demo partnership, with an app context for the test."""


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: d.name)
def test_every_pdf_from_the_demo_lays_out_cleanly(demo, document):
    assert layout_faults(document.render()) == []


# --- the checks themselves, each on a page made to have the one fault -------------------------

PAGE = """<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>Check</title>
<style>@page {{ size: A4; margin: 22mm 16mm; }} body {{ font-family: "Liberation Sans"; font-size: 10pt; }}
table {{ border-collapse: collapse; table-layout: fixed; width: 60mm; }} td {{ border: 0.5pt solid #b1b4b6; }}
</style></head><body>{body}</body></html>"""


def pdf_of(body: str) -> bytes:
    return HTML(string=PAGE.format(body=body)).write_pdf(pdf_variant=PDF_VARIANT)


def test_a_clean_page_has_no_faults():
    body = (
        "<p>Plans at a glance</p><table><tr><td>Complete</td><td>Overdue</td></tr></table>"
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><title>A bar</title>'
        '<rect x="60" y="5" width="100" height="18" fill="#1d70b8"/><text x="55" y="18" text-anchor="end">Area</text>'
        "</svg>"
    )
    pdf = pdf_of(body)
    assert layout_faults(pdf) == []
    # The chart's box as the checks read it from the tagged PDF: 200 x 40 CSS px = 150 x 30 pt,
    # below the paragraph, inside the page margin and the body's (16 mm + 8 px = 51.35 pt). Fails if
    # WeasyPrint's /BBox changes.
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        (figure,) = figures(document.pages[0])
        x0, top, x1, bottom = figure_box(figure)
    assert (round(x0, 1), round(x1 - x0, 1), round(bottom - top, 1)) == (51.4, 150.0, 30.0)
    assert 62 < top < 120  # under the 22 mm top margin (62.4 pt) and the paragraph and table


def test_words_drawn_over_each_other_are_found():
    body = (
        '<p style="position: relative">Complete<span style="position: absolute; left: 20pt; top: 0">Overdue</span></p>'
    )
    assert layout_faults(pdf_of(body)) == ["page 1: 'Complete' overlaps 'Overdue'"]


def test_text_past_the_printable_area_is_found():
    # The page's side margin is 16 mm; 12 mm to the left leaves the word 4 mm from the edge.
    faults = layout_faults(pdf_of('<p style="margin-left: -12mm">Marginal</p>'))
    assert len(faults) == 1
    assert faults[0].startswith("page 1: 'Marginal' runs outside the printable area")


def test_text_overflowing_its_table_cell_is_found():
    # Two 30 mm cells; the unbreakable word is wider than its cell and runs over the border.
    body = "<table><tr><td>Commissioning­Groups­Together</td><td></td></tr></table>".replace("­", "")
    faults = layout_faults(pdf_of(body))
    assert len(faults) == 1
    assert faults[0].startswith("page 1: 'CommissioningGroupsTogether' is crossed by a rule at")


def test_a_label_drawn_on_a_chart_line_is_found():
    body = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><title>Target</title>'
        '<line x1="40" y1="0" x2="40" y2="40" stroke="#0b0c0c"/><text x="25" y="20">86.2%</text></svg>'
    )
    faults = layout_faults(pdf_of(body))
    assert len(faults) == 1
    assert faults[0].startswith("page 1: '86.2%' is crossed by a rule at")


def test_a_chart_label_cut_off_at_the_edge_of_its_drawing_is_found():
    body = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><title>Areas</title>'
        '<text x="30" y="20" text-anchor="end">Health and Clinical</text></svg>'
    )
    faults = layout_faults(pdf_of(body))
    assert any(f.startswith("page 1: chart label 'Health' runs outside its chart") for f in faults), faults
    assert any(f.startswith("page 1: 'Health' is cut off") for f in faults), faults


def test_a_letter_cut_in_half_at_the_edge_of_a_drawing_is_found_without_tags():
    # "Health and Clinical" at 11 px is 91.7 px wide: ending at x = 87.2 it starts 4.5 px left of
    # the drawing, so the "H" (7.9 px) loses its left half and its left stem. Untagged, only the
    # ink tells.
    body = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40" font-family="Liberation Sans" '
        'font-size="11"><text x="87.2" y="20" text-anchor="end">Health and Clinical</text></svg>'
    )
    pdf = HTML(string=PAGE.format(body=body)).write_pdf()
    assert layout_faults(pdf) == ["page 1: 'Health' is cut off (not drawn in full: H)"]
