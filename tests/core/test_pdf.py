"""PDF rendering: the protective marking and page numbers on every page, and one error type."""

import io

import pytest
from jinja2 import ChoiceLoader, FileSystemLoader
from pypdf import PdfReader

import core.pdf
from core.pdf import PdfError, render_pdf
from core.vocab import Marking

LONG_TABLE = """{% extends "pdf/base.html" %}
{% block body %}
<h1>{{ title }}</h1>
<table>
  <thead><tr><th>Action</th><th>Owner</th><th>Status</th></tr></thead>
  <tbody>
  {% for n in range(rows) %}
    <tr><td>Action number {{ n }}</td><td>Education</td><td>On track</td></tr>
  {% endfor %}
  </tbody>
</table>
{% endblock %}
"""


@pytest.fixture
def test_templates(app, tmp_path, monkeypatch):
    """Templates of this test, found before the app's own (the app's loader is restored after)."""
    folder = tmp_path / "templates"
    (folder / "pdf_test").mkdir(parents=True)
    (folder / "pdf_test" / "long_table.html").write_text(LONG_TABLE, encoding="utf-8")
    monkeypatch.setattr(app, "jinja_loader", ChoiceLoader([FileSystemLoader(str(folder)), app.jinja_loader]))
    return "pdf_test"


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_every_page_carries_the_marking_and_its_number(app, test_templates):
    with app.app_context():
        pdf = render_pdf(
            f"{test_templates}/long_table.html", marking=Marking.OFFICIAL_SENSITIVE, title="Delivery plan", rows=120
        )

    assert pdf.startswith(b"%PDF-")
    pages = page_texts(pdf)
    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        # Once in the top margin and once in the bottom one.
        assert text.count("OFFICIAL-SENSITIVE") == 2, f"page {number}: {text!r}"
        assert f"Page {number} of {len(pages)}" in text, f"page {number}: {text!r}"
        assert "Delivery plan" in text  # the title in the footer
    body = "\n".join(pages)
    assert "Action number 0" in body
    assert "Action number 119" in body


def test_a_marking_given_as_text_is_accepted(app, test_templates):
    with app.app_context():
        pdf = render_pdf(f"{test_templates}/long_table.html", marking="OFFICIAL", title="Short", rows=1)

    pages = page_texts(pdf)
    assert len(pages) == 1
    assert "OFFICIAL" in pages[0]
    assert "OFFICIAL-SENSITIVE" not in pages[0]
    assert "Page 1 of 1" in pages[0]


@pytest.mark.parametrize("marking", ["SECRET", "official", ""])
def test_an_unknown_marking_is_refused(app, test_templates, marking):
    with app.app_context(), pytest.raises(ValueError):
        render_pdf(f"{test_templates}/long_table.html", marking=marking, title="Delivery plan", rows=1)


def test_a_rendering_failure_raises_pdf_error(app, test_templates, monkeypatch):
    failure = OSError("renderer fell over")

    def write_pdf(self, *args, **kwargs):
        raise failure

    monkeypatch.setattr(core.pdf.HTML, "write_pdf", write_pdf)

    with app.app_context(), pytest.raises(PdfError, match="'Delivery plan' could not be produced") as caught:
        render_pdf(f"{test_templates}/long_table.html", marking=Marking.OFFICIAL, title="Delivery plan", rows=1)
    assert caught.value.__cause__ is failure
