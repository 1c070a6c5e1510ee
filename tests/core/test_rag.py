"""RAG: one type, one table of labels and colours, one macro for pages and PDFs."""

import pytest

from core.vocab import RAG_LOOKS, Rag


@pytest.mark.parametrize(
    ("status", "label", "tag_colour", "colour"),
    [
        ("red", "Red", "red", "#d4351c"),
        ("amber", "Amber", "orange", "#f47738"),  # GOV.UK's orange, never yellow
        ("green", "Green", "green", "#00703c"),
        ("complete", "Complete", "blue", "#1d70b8"),
        ("not_started", "Not started", "grey", "#b1b4b6"),
        (None, "Not rated", "grey", "#505a5f"),
        ("", "Not rated", "grey", "#505a5f"),
        ("unset", "Not rated", "grey", "#505a5f"),  # the key roll-ups count unrated rows under
    ],
)
def test_each_status_and_not_rated_has_one_look(status, label, tag_colour, colour):
    look = Rag.look_of(status)
    assert (look.label, look.tag_colour, look.colour) == (label, tag_colour, colour)
    if status in {r.value for r in Rag}:
        assert (Rag(status).label, Rag(status).tag_colour, Rag(status).colour) == (label, tag_colour, colour)


def test_every_status_is_in_the_table():
    assert set(RAG_LOOKS) == set(Rag)


def test_an_unknown_status_is_refused():
    with pytest.raises(ValueError):
        Rag.look_of("purple")


def render(app, call: str) -> str:
    with app.app_context():
        template = app.jinja_env.from_string('{% from "components/macros.html" import rag_tag %}' + call)
        return " ".join(template.render().split())


def test_the_macro_prints_a_govuk_tag_on_pages(app):
    assert render(app, '{{ rag_tag("amber") }}') == '<strong class="govuk-tag govuk-tag--orange"> Amber </strong>'
    assert render(app, "{{ rag_tag(none) }}") == '<strong class="govuk-tag govuk-tag--grey"> Not rated </strong>'
    assert render(app, '{{ rag_tag(Rag.GREEN, text="No gaps found") }}') == (
        '<strong class="govuk-tag govuk-tag--green"> No gaps found </strong>'
    )


def test_the_macro_prints_a_swatch_and_the_label_in_pdfs(app):
    assert render(app, '{{ rag_tag("red", pdf=true) }}') == (
        '<span class="rag"><span class="rag-swatch" style="background-color: #d4351c"></span>'
        '<span class="rag-label">Red</span></span>'
    )
    assert render(app, '{{ rag_tag(none, text="No headcount", pdf=true) }}') == (
        '<span class="rag"><span class="rag-swatch" style="background-color: #505a5f"></span>'
        '<span class="rag-label">No headcount</span></span>'
    )
