"""One rule for an organisation with more trained than its headcount: its own figure is shown as
counted (120.0%, flagged) in every table of its page; the cap to the headcount is only for the
RAG and for adding organisations together (training/coverage.py)."""

import re
from datetime import date

from core.extensions import db
from core.vocab import Role
from partnership.models import Partnership
from tests.factories import OrganisationFactory
from tests.training.factories import CompletionFactory, CourseFactory, HeadcountFactory, PersonFactory


def _six_trained_of_five(app, world) -> int:
    with app.app_context():
        partnership = db.session.get(Partnership, world.partnership_id)
        org = OrganisationFactory(partnership=partnership, name="Over-counted Trust")
        HeadcountFactory(organisation=org, relevant_headcount=5, as_of=date(2025, 1, 1))
        wrap = CourseFactory(name="WRAP", validity_months=36)
        for person in PersonFactory.create_batch(6, organisation=org):
            CompletionFactory(person=person, course=wrap, completed_on=date(2026, 3, 2))
        db.session.commit()
        return org.id


def test_the_quarter_table_shows_the_same_figure_as_the_organisation(app, client, world, login_as):
    org_id = _six_trained_of_five(app, world)
    login_as(Role.TRAINING_COORDINATOR)
    html = client.get(f"/training/organisations/{org_id}").get_data(as_text=True)
    summary = re.search(r'id="organisation-coverage"[^>]*>(.*?)</dd>', html, re.S).group(1)
    assert "120.0%" in summary
    # Quarter ends from 31 March 2026 (the completions were on 2 March) to today: 6 of 5, 120.0%.
    quarter_table = html.split("coverage at each quarter end</caption>")[1].split("</table>")[0]
    rows = re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", quarter_table, re.S)
    cells = [re.findall(r">([^<>]+)</t[dh]>", row) for row in rows]
    counted = [
        c
        for c in cells
        if c and c[0].strip() in ("31 March 2026", "30 June 2026", "30 September 2026", "16 November 2026")
    ]
    assert len(counted) == 4
    for cell in counted:
        assert [x.strip() for x in cell[1:4]] == ["5", "6", "120.0%"], cell
    assert "100.0%" not in html
