"""Training rules at the service level: who sees people, matching, sessions, evaluations, the demo."""

from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from core import clock
from core.extensions import db
from core.vocab import Rag, Role
from tests.factories import OrganisationFactory, PartnershipFactory
from tests.training.factories import CourseFactory, PersonFactory, SessionFactory
from training import coverage, people, services, sessions
from training.access import can_see_people
from training.errors import AlreadyRecorded, PersonConflict, TrainingError
from training.models import Completion, Evaluation, Person
from training.people import PersonDetails

TODAY = date(2026, 3, 1)


def actor(*roles, active=True):
    return SimpleNamespace(role_set=frozenset(roles), lead_area_ids=frozenset(), is_active=active)


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        (Role.TRAINING_COORDINATOR, True),
        (Role.PREVENT_LEAD, True),
        (Role.AUDITOR, True),
        (Role.BOARD_MEMBER, False),
        (Role.SPOC, False),
        (Role.PANEL_CHAIR, False),
        (Role.PANEL_MEMBER, False),
    ],
)
def test_only_those_who_keep_or_check_training_records_see_the_people(role, sees):
    assert can_see_people(actor(role)) is sees
    assert can_see_people(actor(role, active=False)) is False
    assert can_see_people(None) is False


@pytest.fixture
def org(ctx):
    return OrganisationFactory(partnership=PartnershipFactory(), name="Service Council")


def test_recording_finds_the_person_by_either_identifier_and_learns_the_other(org):
    wrap = CourseFactory(name="WRAP")
    first, created = services.record_completion(
        details=PersonDetails(name="Ada", organisation_id=org.id, staff_number=" e 12 "),
        course=wrap,
        completed_on=date(2025, 1, 1),
        delivery="facilitated",
        today=TODAY,
    )
    assert created and first.person.staff_number == "E12"
    second, created = services.record_completion(
        details=PersonDetails(name="Ada L", organisation_id=org.id, staff_number="E12", email="Ada@Council.example"),
        course=wrap,
        completed_on=date(2025, 2, 1),
        delivery="facilitated",
        today=TODAY,
    )
    assert not created and second.person_id == first.person_id
    assert second.person.email == "ada@council.example"
    assert second.person.name == "Ada"  # a register's spelling does not rename anyone
    with pytest.raises(AlreadyRecorded):
        services.record_completion(
            details=PersonDetails(name="Ada", organisation_id=org.id, email="ada@council.example"),
            course=wrap,
            completed_on=date(2025, 2, 1),
            delivery="facilitated",
            today=TODAY,
        )
    with pytest.raises(TrainingError, match="today or in the past"):
        services.record_completion(
            details=PersonDetails(name="Ada", organisation_id=org.id, email="ada@council.example"),
            course=wrap,
            completed_on=date(2026, 3, 2),
            delivery="facilitated",
            today=TODAY,
        )
    assert db.session.scalar(select(func.count()).select_from(Person)) == 1


def test_someone_recorded_at_another_organisation_is_not_silently_moved(org):
    other = OrganisationFactory(partnership=org.partnership, name="Other Council")
    PersonFactory(name="Bea", email="bea@council.example", organisation=other)
    with pytest.raises(PersonConflict) as refused:
        people.find_or_create_person(PersonDetails(name="Bea", organisation_id=org.id, email="bea@council.example"))
    (conflict,) = refused.value.conflicts
    assert conflict.field == "organisation"
    assert "recorded at Other Council" in conflict.message


def test_only_attendees_evaluate_and_each_once(org):
    session = SessionFactory(held_on=date(2025, 5, 1), capacity=1)
    completion, _ = sessions.add_attendee(
        session, details=PersonDetails(name="Cy", organisation_id=org.id, email="cy@council.example"), today=TODAY
    )
    outsider = PersonFactory(organisation=org)
    scores = {"understanding_before": 2, "understanding_after": 4, "confidence_before": 1, "confidence_after": 5}
    with pytest.raises(TrainingError, match="Only someone who attended"):
        sessions.record_evaluation(session, person_id=outsider.id, **scores)
    sessions.record_evaluation(session, person_id=completion.person_id, **scores)
    with pytest.raises(TrainingError, match="already evaluated"):
        sessions.record_evaluation(session, person_id=completion.person_id, **scores)
    with pytest.raises(TrainingError, match="from 1 to 5"):
        sessions.record_evaluation(session, person_id=None, **(scores | {"confidence_after": 6}))
    with pytest.raises(TrainingError, match="full"):
        sessions.add_attendee(
            session, details=PersonDetails(name="Di", organisation_id=org.id, email="di@council.example"), today=TODAY
        )
    averages = sessions.session_averages(session.id)
    assert (averages.evaluations, averages.understanding_change, averages.confidence_change) == (1, 2.0, 4.0)
    (quarter,) = sessions.averages_by_quarter()
    assert (quarter.label, quarter.evaluations) == ("April to June 2025", 1)
    assert db.session.scalar(select(func.count()).select_from(Evaluation)) == 1


def test_the_demo_shows_every_state_of_coverage(demo, ctx):
    today = clock.today()
    summary = coverage.coverage_summary(as_of=today)

    rags = {row.short_name: row.rag for row in summary.rows}
    assert {Rag.RED, Rag.AMBER, Rag.GREEN} <= set(rags.values())
    no_headcount = {row.short_name: row.flags for row in summary.without_headcount}
    assert no_headcount == {"SCDC": ["no_headcount"], "PRS": ["no_headcount"]}
    assert sum(row.due_soon for row in summary.rows) > 0
    assert 300 <= db.session.scalar(select(func.count()).select_from(Person)) <= 600
    assert sessions.averages_by_quarter()
    # Completions span four years, so the trend shows coverage changing.
    first = db.session.scalar(select(func.min(Completion.completed_on)))
    assert (today - first).days > 3 * 365
    assert len({p.percent for p in coverage.coverage_trend(as_of=today)}) > 3
