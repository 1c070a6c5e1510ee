"""Training fixtures: a small set of records beside the shared world, committed for page tests."""

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import event, func, select

from core import clock
from core.extensions import db
from partnership.models import Organisation
from tests.factories import OrganisationFactory
from tests.training.factories import (
    CompletionFactory,
    CourseFactory,
    FacilitatorFactory,
    HeadcountFactory,
    PersonFactory,
    SessionFactory,
)
from training.models import Completion, CourseKind


@pytest.fixture
def training(app, world):
    """WRAP and e-learning courses; the world's council (headcount 10, 4 currently trained, one of
    them at a session) and Fenland (headcount 4, one trained); a facilitator."""
    today = clock.today()
    with app.app_context():
        council = db.session.get(Organisation, world.organisation_id)
        wrap = CourseFactory(name="WRAP", kind=CourseKind.WRAP.value, counts_for_coverage=True)
        elearning = CourseFactory(name="Prevent e-learning", kind=CourseKind.ELEARNING.value, counts_for_coverage=False)
        fenland = OrganisationFactory(
            partnership=council.partnership, name="Fenland District Council", short_name="Fenland"
        )
        HeadcountFactory(organisation=council, relevant_headcount=10)
        HeadcountFactory(organisation=fenland, relevant_headcount=4)
        facilitator = FacilitatorFactory(name="Grace Whitfield", accredited_on=date(2023, 3, 1))
        session = SessionFactory(course=wrap, held_on=today - timedelta(days=30), place="Town Hall", capacity=2)
        people = [
            PersonFactory(
                name=f"Council Person {n}",
                email=f"person{n}@council.example",
                organisation=council,
            )
            for n in range(4)
        ]
        for n, person in enumerate(people):
            CompletionFactory(
                person=person,
                course=wrap,
                completed_on=session.held_on if n == 0 else today - timedelta(days=100 + n),
                session=session if n == 0 else None,
                facilitator=facilitator if n == 0 else None,
            )
        fen = PersonFactory(name="Fen Person", email="fen@fenland.example", staff_number="F1", organisation=fenland)
        CompletionFactory(person=fen, course=wrap, completed_on=today - timedelta(days=20))
        db.session.commit()
        return SimpleNamespace(
            wrap_id=wrap.id,
            elearning_id=elearning.id,
            fenland_id=fenland.id,
            facilitator_id=facilitator.id,
            session_id=session.id,
            person_id=people[0].id,
            fen_person_id=fen.id,
            completion_id=db.session.scalar(select(func.min(Completion.id))),
        )


def count_statements(app, client, url: str) -> int:
    """How many SQL statements one GET of ``url`` runs (and it must succeed)."""
    with app.app_context():
        engine = db.engine
    seen = []

    def listener(*args):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        response = client.get(url)
        assert response.status_code == 200, response.status_code
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(seen)
