"""PDF rendering with WeasyPrint: one function, the protective marking on every page."""

from flask import current_app, render_template
from weasyprint import HTML

from core.vocab import Marking


class PdfError(RuntimeError):
    """A document could not be rendered; nothing was written."""


def render_pdf(template: str, *, marking: Marking | str, title: str, **context) -> bytes:
    """Render ``template`` (which extends pdf/base.html) to PDF bytes.

    The marking is printed at the top and bottom of every page by the page CSS, so no
    page of a document can leave the building without it.
    """
    marking = Marking(marking)
    try:
        html = render_template(template, marking=marking.value, title=title, **context)
        # base_url lets the document load images we ship; no network fetches happen here.
        return HTML(string=html, base_url=current_app.root_path).write_pdf()
    except Exception as exc:  # WeasyPrint raises many kinds; callers get one
        current_app.logger.exception("PDF rendering failed for %s", template)
        raise PdfError(f"The document '{title}' could not be produced") from exc
