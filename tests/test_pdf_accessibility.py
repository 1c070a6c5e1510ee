"""Every PDF the product makes is a tagged PDF (PDF/UA-1), read back with pikepdf: marked as
tagged, with a structure tree, its language and title set (the title shown instead of the file
name), every chart a Figure with alternative text and its figures in a table right after it,
and the protective marking still at the top and bottom of every page."""

import io

import pikepdf
import pytest
from pypdf import PdfReader

from tests.pdf_documents import DOCUMENTS

#: Charts in each demo document, counted by hand: the pack has red and amber rows by area,
#: coverage by organisation and Channel cases by stage; the coverage summary has its trend; the
#: regional pack has red and amber rows, overdue rows, stale rows, coverage and Channel referrals.
CHARTS = {"board_pack": 3, "training_coverage": 1, "region_pack": 5}


@pytest.fixture
def demo(demo, ctx):
    """The demo partnership, with an app context for the test."""


def structure(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    """The structure elements in reading order (depth first)."""
    found = []

    def walk(kids):
        if isinstance(kids, pikepdf.Dictionary):
            kids = [kids]
        if not isinstance(kids, pikepdf.Array | list):
            return
        for kid in kids:
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                found.append(kid)
                walk(kid.get("/K"))

    walk(pdf.Root.StructTreeRoot.K)
    return found


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: d.name)
def test_every_pdf_is_tagged_with_its_language_title_and_chart_descriptions(demo, document):
    data = document.render()
    pdf = pikepdf.open(io.BytesIO(data))

    assert pdf.Root.MarkInfo.Marked is True
    assert "/StructTreeRoot" in pdf.Root
    assert str(pdf.Root.Lang) == "en-GB"
    assert str(pdf.docinfo.Title) == document.title
    with pdf.open_metadata() as xmp:
        assert xmp["dc:title"] == document.title
    assert pdf.Root.ViewerPreferences.DisplayDocTitle is True

    elements = structure(pdf)
    kinds = [str(e.S) for e in elements]
    assert "/Table" in kinds or "/P" in kinds  # the text is in the tree, not only drawn
    figures = [i for i, kind in enumerate(kinds) if kind == "/Figure"]
    assert len(figures) == CHARTS.get(document.name, 0)
    for index in figures:
        assert len(str(elements[index].get("/Alt", ""))) > 20, "a chart without alternative text"
        following = [kind for kind in kinds[index + 1 :] if kind in ("/Table", "/Figure")]
        assert following[:1] == ["/Table"], "a chart without its data table after it"

    pages = [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]
    for number, text in enumerate(pages, start=1):
        assert text.count(document.marking) >= 2, f"page {number} lacks its marking at the top and bottom"
        if document.marking == "OFFICIAL":
            assert "OFFICIAL-SENSITIVE" not in text


def test_the_packs_charts_are_described_in_words(demo):
    pdf = pikepdf.open(io.BytesIO(DOCUMENTS[0].render()))
    alts = [str(e.Alt) for e in structure(pdf) if e.S == "/Figure"]

    # The demo's active plans: Children's social care, the county plan and Education have one
    # Amber row each, Health one Red row; the other areas none.
    assert alts[0] == (
        "Bar chart of red and amber rows by area: Adult social care 0; Children's social care 1; Cohesion 0; "
        "County plan 1; Education 1; Health and Clinical Commissioning Groups 1; MET Hub 0; Youth Offending 0."
    )
    assert alts[1].startswith("Bar chart of WRAP coverage by organisation: Cambridge 95%; Police 96%; CCC 86.2%;")
    assert alts[1].endswith("Probation 84%. Target 90%.")
    # Channel counts are left to the table after the chart.
    assert alts[2] == (
        "Bar chart of cases by stage at the end of the period; the counts are in the table that follows."
    )
