"""PDF rendering with WeasyPrint: one function, the protective marking on every page, and every
document tagged for assistive technology (PDF/UA-1: a structure tree, the document's language
from ``<html lang>``, its title from ``<title>`` shown in place of the file name)."""

from flask import current_app, render_template
from weasyprint import HTML

from core.vocab import Marking

#: Tagged PDF (a structure tree of headings, paragraphs, tables, figures) with the metadata PDF/UA-1
#: asks for. WeasyPrint also marks the document as tagged (/MarkInfo) and sets /Lang from <html lang>.
PDF_VARIANT = "pdf/ua-1"


class PdfError(RuntimeError):
    """A document could not be rendered; nothing was written."""


def render_pdf(template: str, *, marking: Marking | str, title: str, **context) -> bytes:
    """Render ``template`` (which extends pdf/base.html) to PDF bytes.

    The marking is printed at the top and bottom of every page by the page CSS, so no
    page of a document can leave the building without it. Charts are inline SVG with a
    ``<title>``, which becomes the Figure's alternative text (core/charts.py).
    """
    marking = Marking(marking)
    try:
        html = render_template(template, marking=marking.value, title=title, **context)
        # base_url lets the document load images we ship; no network fetches happen here.
        return HTML(string=html, base_url=current_app.root_path).write_pdf(pdf_variant=PDF_VARIANT)
    except Exception as exc:  # WeasyPrint raises many kinds; callers get one
        current_app.logger.exception("PDF rendering failed for %s", template)
        raise PdfError(f"The document '{title}' could not be produced") from exc
