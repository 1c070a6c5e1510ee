"""Training pages: what each role sees, the forms' GOV.UK errors, and what a save changes."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from core import clock
from core.audit import AuditEntry
from core.extensions import db
from core.models import SecurityEvent
from core.vocab import Role
from partnership.models import Organisation, Partnership
from tests.conftest import sign_in
from tests.training.conftest import count_statements
from tests.training.factories import CompletionFactory, HeadcountFactory, PersonFactory
from training.models import Completion, Course, Evaluation, Facilitator, Headcount, Person, TrainingSession

TODAY = clock.today()


def day_fields(name: str, day: date) -> dict:
    """A GOV.UK date input as the browser posts it: three boxes sharing one name."""
    return {name: [str(day.day), str(day.month), str(day.year)]}


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def audit_actions(app, entity: str) -> list[tuple[str, str]]:
    with app.app_context():
        return list(
            db.session.execute(
                select(AuditEntry.action, AuditEntry.actor_label)
                .where(AuditEntry.entity == entity)
                .order_by(AuditEntry.id)
            )
        )


def switch(client, login_as, role: Role) -> None:
    """Sign out, then in as someone else."""
    client.post("/logout")
    login_as(role)


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


# --- coverage ----------------------------------------------------------------------------


def test_coverage_page_shows_each_organisation_and_overall(client, login_as, training):
    login_as(Role.TRAINING_COORDINATOR)
    html = page(client, "/training")

    assert "WRAP training coverage" in html
    assert "Test County Council" in html and "Fenland District Council" in html
    assert "40.0%" in html  # 4 of 10
    assert "25.0%" in html  # 1 of 4
    assert "5 of 14 relevant staff trained" in html
    assert "35.7%" in html  # overall
    assert "90% of relevant staff WRAP-trained. Amber from 80%" in html
    assert 'data-figure="' in html  # the trend chart
    assert "Record training" in html


def test_the_coverage_page_runs_the_same_number_of_queries_at_two_data_sizes(app, client, login_as, training):
    login_as(Role.TRAINING_COORDINATOR)
    small = count_statements(app, client, "/training")
    with app.app_context():
        partnership = db.session.scalars(select(Partnership)).first()
        wrap = db.session.get(Course, training.wrap_id)
        for n in range(12):
            org = Organisation(partnership_id=partnership.id, name=f"Extra Council {n}", kind="district_council")
            db.session.add(org)
            db.session.flush()
            HeadcountFactory(organisation=org, relevant_headcount=20)
            for m in range(6):
                person = PersonFactory(organisation=org, email=f"extra{n}.{m}@x.example")
                CompletionFactory(person=person, course=wrap, completed_on=TODAY - timedelta(days=1070 + m))
        db.session.commit()
    big = count_statements(app, client, "/training")
    assert big == small
    assert "Extra Council 11" in client.get("/training").get_data(as_text=True)


def test_two_app_servers_show_the_same_coverage_the_moment_a_write_commits(app, another_app, world, training):
    """Two app instances on one database, as two servers behind a load balancer: a headcount
    saved through one shows at once on both, with nothing kept from the page read before it."""
    servers = [app.test_client(), another_app.test_client()]
    for client in servers:
        assert sign_in(client, world.users[Role.TRAINING_COORDINATOR].email).status_code == 302
        html = page(client, "/training")
        assert "5 of 14 relevant staff trained" in html and "35.7%" in html  # 4 of 10, 1 of 4

    # Fenland's headcount goes from 4 to 2, through the first server.
    saved = servers[0].post(
        f"/training/organisations/{training.fenland_id}/headcounts/new",
        data={"relevant_headcount": "2", "source": "HR", **day_fields("as_of", TODAY)},
    )
    assert saved.status_code == 302

    # Each read counts in SQL again, the first after the write as the next: none is answered
    # from a server's memory.
    reads = [count_statements(another_app, servers[1], "/training") for _ in range(2)]
    assert reads[0] == reads[1]
    for client in reversed(servers):
        html = page(client, "/training")
        assert "5 of 12 relevant staff trained" in html  # 4 of 10, 1 of 2
        assert "41.6%" in html and "50.0%" in html  # 5/12 rounded down; Fenland 1 of 2
        assert "35.7%" not in html


def test_a_date_can_be_chosen_and_a_bad_one_is_refused_with_an_error(client, login_as, training):
    login_as(Role.BOARD_MEMBER)
    earlier = page(client, f"/training?as_of={(TODAY - timedelta(days=60)).isoformat()}")
    assert "3 of 14 relevant staff trained" in earlier  # before the session and Fenland's course

    boxes = client.get("/training", query_string=day_fields("as_of", TODAY - timedelta(days=60)))
    assert "3 of 14 relevant staff trained" in boxes.get_data(as_text=True)

    bad = client.get("/training", query_string={"as_of": ["31", "2", "2026"]}).get_data(as_text=True)
    assert "govuk-error-summary" in bad
    assert "Coverage on must be a real date" in bad
    assert "<title>Error:" in bad
    assert "Coverage on must be a real date, like 31 3 2026" in client.get("/training?as_of=yesterday").get_data(
        as_text=True
    )


def test_board_members_and_spocs_see_figures_but_no_names(app, client, login_as, training):
    login_as(Role.BOARD_MEMBER)
    html = page(client, "/training")
    assert "40.0%" in html
    assert "Council Person" not in html
    assert "/training/people" not in html
    assert client.get("/training/people").status_code == 403
    assert client.get(f"/training/people/{training.person_id}").status_code == 403
    assert client.get(f"/training/sessions/{training.session_id}").status_code == 403
    with app.app_context():
        assert db.session.scalar(
            select(func.count()).select_from(SecurityEvent).where(SecurityEvent.kind == "forbidden")
        )
    sessions = page(client, "/training/sessions")
    assert "Town Hall" in sessions and f"/training/sessions/{training.session_id}" not in sessions


def test_auditors_read_names_and_records_but_change_nothing(client, login_as, training):
    login_as(Role.AUDITOR)
    assert "Council Person 0" in page(client, "/training/people")
    assert "Council Person 0" in page(client, f"/training/people/{training.person_id}")
    assert "Record training" not in page(client, "/training")
    assert client.get("/training/records/new").status_code == 403


def test_organisation_page_shows_its_coverage_headcounts_and_trend(client, login_as, training):
    login_as(Role.TRAINING_COORDINATOR)
    html = page(client, f"/training/organisations/{training.fenland_id}")
    assert "Fenland District Council" in html
    assert "25.0%" in html
    assert "HR establishment report" in html
    assert "Record a headcount" in html
    assert client.get("/training/organisations/999999").status_code == 404


# --- recording training ------------------------------------------------------------------


def test_the_record_form_lists_every_missing_answer_in_govuk_wording(app, client, login_as, training):
    login_as(Role.TRAINING_COORDINATOR)
    html = client.post("/training/records/new", data={}).get_data(as_text=True)
    for message in [
        "Enter the person&#39;s full name",
        "Enter a work email address or a staff number",
        "Select the person&#39;s organisation",
        "Select the course",
        "Enter the date the course was completed",
        "Select how the course was delivered",
    ]:
        assert message in html, message
    assert "govuk-error-summary" in html
    assert count(app, Completion) == 5


def test_a_future_date_and_a_bad_email_are_refused(app, client, login_as, training, world):
    login_as(Role.TRAINING_COORDINATOR)
    data = {
        "name": "New Person",
        "email": "not an email",
        "organisation_id": str(world.organisation_id),
        "course_id": str(training.wrap_id),
        "delivery": "facilitated",
        **day_fields("completed_on", TODAY + timedelta(days=1)),
    }
    html = client.post("/training/records/new", data=data).get_data(as_text=True)
    assert "The date the course was completed must be today or in the past" in html
    assert "Enter an email address in the correct format, like name@example.org" in html
    assert count(app, Person) == 5


def test_recording_training_matches_the_person_and_reports_the_new_coverage(app, client, login_as, training):
    login_as(Role.TRAINING_COORDINATOR)
    data = {
        "name": "Fenland Newcomer",
        "email": "newcomer@fenland.example",
        "staff_number": "",
        "organisation_id": str(training.fenland_id),
        "course_id": str(training.wrap_id),
        "delivery": "facilitated",
        "facilitator_id": str(training.facilitator_id),
        **day_fields("completed_on", TODAY),
    }
    response = client.post("/training/records/new", data=data)

    assert response.status_code == 302
    with app.app_context():
        person = db.session.scalars(select(Person).where(Person.email == "newcomer@fenland.example")).one()
        completion = db.session.scalars(select(Completion).where(Completion.person_id == person.id)).one()
        assert (completion.completed_on, completion.facilitator_id) == (TODAY, training.facilitator_id)
        assert response.headers["Location"] == f"/training/people/{person.id}"
    assert audit_actions(app, "training_completions")[-1] == ("insert", "training_coordinator@council.example")
    shown = page(client, response.headers["Location"])
    assert "WRAP recorded for Fenland Newcomer. Coverage at Fenland District Council is now 50.0% (2 of 4)." in shown

    # The same again is refused; the same person by staff number with a clashing email too.
    again = client.post("/training/records/new", data=data).get_data(as_text=True)
    assert "This person&#39;s WRAP on this date is already recorded" in again
    clash = data | {"email": "fen@fenland.example", "staff_number": "", "name": "Someone"}
    clash |= {"email": "newcomer@fenland.example", "staff_number": "F1"}
    html = client.post("/training/records/new", data=clash).get_data(as_text=True)
    assert "Staff number F1 is Fen Person&#39;s but newcomer@fenland.example is Fenland Newcomer&#39;s" in html
    assert count(app, Completion) == 6


def test_a_record_entered_in_error_is_deleted_after_confirmation(app, client, login_as, training):
    login_as(Role.TRAINING_COORDINATOR)
    url = f"/training/records/{training.completion_id}/delete"
    assert "Delete record" in page(client, url)
    assert count(app, Completion) == 5  # the confirmation page changes nothing

    response = client.post(url)

    assert response.status_code == 302
    assert count(app, Completion) == 4
    assert audit_actions(app, "training_completions")[-1][0] == "delete"


def test_people_list_searches_sorts_and_pages(app, client, login_as, training):
    app.config["PAGE_SIZE"] = 2
    try:
        login_as(Role.TRAINING_COORDINATOR)
        first = page(client, "/training/people")
        assert "Showing 1 to 2 of 5" in first
        assert "Council Person 0" in first and "Fen Person" not in first
        assert "Fen Person" in page(client, "/training/people?q=fenland.example")
        assert "Council Person" not in page(client, "/training/people?q=F1")
        by_org = page(client, f"/training/people?organisation={training.fenland_id}")
        assert "1 person matching" in by_org
        assert "Showing 3 to 4 of 5" in page(client, "/training/people?page=2&sort=valid_until")
        records = page(client, "/training/records?q=council+person+1")
        assert "1 record" in records
    finally:
        app.config["PAGE_SIZE"] = 50


def test_a_persons_details_are_corrected_with_their_identifiers_checked(app, client, login_as, training, world):
    login_as(Role.TRAINING_COORDINATOR)
    url = f"/training/people/{training.person_id}/edit"
    data = {
        "name": "Council Person Zero",
        "email": "fen@fenland.example",  # someone else's
        "staff_number": "",
        "organisation_id": str(world.organisation_id),
        **day_fields("left_on", TODAY),
    }
    assert "fen@fenland.example is already someone else&#39;s email" in client.post(url, data=data).get_data(
        as_text=True
    )
    response = client.post(url, data=data | {"email": "zero@council.example"})
    assert response.status_code == 302
    with app.app_context():
        person = db.session.get(Person, training.person_id)
        assert (person.name, person.email, person.left_on) == ("Council Person Zero", "zero@council.example", TODAY)
    # A leaver no longer counts: 3 of 10.
    assert "30.0%" in page(client, "/training")


# --- headcounts, courses, facilitators, settings -------------------------------------------


def test_headcount_form_errors_and_save(app, client, login_as, training):
    login_as(Role.TRAINING_COORDINATOR)
    url = f"/training/organisations/{training.fenland_id}/headcounts/new"
    html = client.post(url, data={"relevant_headcount": "lots"}).get_data(as_text=True)
    assert "Relevant headcount must be a whole number, like 120" in html
    assert "Enter the date the headcount is true on" in html
    assert "Enter where the headcount comes from" in html
    assert "Enter the relevant headcount" in client.post(url, data={}).get_data(as_text=True)
    taken = {"relevant_headcount": "5", "source": "HR", **day_fields("as_of", date(2025, 1, 1))}
    assert "A headcount for this date is already recorded" in client.post(url, data=taken).get_data(as_text=True)

    response = client.post(url, data={"relevant_headcount": "0", "source": "Restructure", **day_fields("as_of", TODAY)})

    assert response.status_code == 302
    assert audit_actions(app, "training_headcounts")[-1][0] == "insert"
    html = page(client, "/training")
    assert "No headcount" in html  # a headcount of zero: no percentage, never 100%


def test_headcount_edit_and_delete(app, client, login_as, training):
    login_as(Role.TRAINING_COORDINATOR)
    with app.app_context():
        headcount_id = db.session.scalars(
            select(Headcount.id).where(Headcount.organisation_id == training.fenland_id)
        ).one()
    response = client.post(
        f"/training/headcounts/{headcount_id}/edit",
        data={"relevant_headcount": "2", "source": "Corrected", **day_fields("as_of", date(2025, 1, 1))},
    )
    assert response.status_code == 302
    assert "50.0%" in page(client, f"/training/organisations/{training.fenland_id}")
    assert "Delete headcount" in page(client, f"/training/headcounts/{headcount_id}/delete")
    client.post(f"/training/headcounts/{headcount_id}/delete")
    assert count(app, Headcount) == 1
    assert [a for a, _ in audit_actions(app, "training_headcounts")][-2:] == ["update", "delete"]


def test_courses_are_added_and_a_new_validity_recalculates_expiry(app, client, login_as, training):
    login_as(Role.TRAINING_COORDINATOR)
    html = client.post("/training/courses/new", data={"name": "Refresher", "validity_months": "0"}).get_data(
        as_text=True
    )
    assert "Valid for must be a whole number of months from 1 to 240, like 36" in html
    assert "Select the type of course" in html
    assert "Select whether the course counts towards the target" in html

    # A form valid in every field, naming a course that exists (names match whatever their case).
    duplicate = {"name": "wrap", "kind": "wrap", "validity_months": "36", "counts_for_coverage": "yes"}
    response = client.post("/training/courses/new", data=duplicate)
    assert response.status_code == 200
    assert "A course with this name already exists" in response.get_data(as_text=True)
    assert count(app, Course) == 2  # the fixture's WRAP and e-learning only

    response = client.post(
        "/training/courses/new",
        data={"name": "Channel awareness", "kind": "other", "validity_months": "12", "counts_for_coverage": "no"},
    )
    assert response.status_code == 302
    response = client.post(
        f"/training/courses/{training.wrap_id}/edit",
        data={"name": "WRAP", "kind": "wrap", "validity_months": "2", "counts_for_coverage": "yes", "active": "y"},
    )
    assert response.status_code == 302
    assert "The expiry dates of 5 records were recalculated." in page(client, "/training/courses")
    assert "2 of 14 relevant staff trained" in page(client, "/training")  # the last two months only


def test_facilitators_are_listed_with_their_accreditation(app, client, login_as, training):
    login_as(Role.TRAINING_COORDINATOR)
    html = client.post(
        "/training/facilitators/new",
        data={"name": "Ana Pereira", "email": "nope", **day_fields("accredited_on", TODAY + timedelta(days=3))},
    ).get_data(as_text=True)
    assert "The date accredited must be today or in the past" in html
    assert "Enter an email address in the correct format" in html

    # Valid in every field, but the fixture already lists Grace Whitfield.
    response = client.post(
        "/training/facilitators/new",
        data={"name": "Grace Whitfield", "email": "grace@council.example", **day_fields("accredited_on", TODAY)},
    )
    assert response.status_code == 200
    assert "A facilitator with this name is already listed" in response.get_data(as_text=True)
    assert count(app, Facilitator) == 1
    response = client.post(
        "/training/facilitators/new", data={"name": "Tomasz Nowicki", **day_fields("accredited_on", date(2024, 5, 14))}
    )
    assert response.status_code == 302
    switch(client, login_as, Role.BOARD_MEMBER)
    listed = page(client, "/training/facilitators")
    assert "Tomasz Nowicki" in listed and "Accredited 14 May 2024" in listed
    assert count(app, Facilitator) == 2


def test_only_the_prevent_lead_sets_the_target(app, client, login_as, training):
    login_as(Role.TRAINING_COORDINATOR)
    assert client.get("/training/settings").status_code == 403
    switch(client, login_as, Role.PREVENT_LEAD)
    form = page(client, "/training/settings")
    assert 'name="leaver_retention_months" type="text" value="24"' in form  # the default
    html = client.post(
        "/training/settings", data={"target_percent": "150", "amber_band_points": "", "leaver_retention_months": "0"}
    ).get_data(as_text=True)
    assert "Target must be a whole number from 1 to 100" in html
    assert "Enter the amber band" in html
    assert "Months must be a whole number from 1 to 240" in html
    saved = client.post(
        "/training/settings", data={"target_percent": "40", "amber_band_points": "5", "leaver_retention_months": "36"}
    )
    assert saved.status_code == 302
    assert "Amber from 35%" in page(client, "/training")
    assert audit_actions(app, "partnerships")[-1][0] == "update"
    with app.app_context():
        assert db.session.scalar(select(Partnership.leaver_retention_months)) == 36


# --- sessions and evaluations --------------------------------------------------------------


def test_attendees_fill_a_session_up_to_its_capacity(app, client, login_as, training, world):
    login_as(Role.TRAINING_COORDINATOR)
    url = f"/training/sessions/{training.session_id}/attendees/new"
    attendee = {
        "name": "Second Attendee",
        "email": "second@council.example",
        "organisation_id": str(world.organisation_id),
    }
    assert client.post(url, data=attendee).status_code == 302
    html = client.post(url, data=attendee | {"email": "third@council.example"}).get_data(as_text=True)
    assert "The session is full: it has 2 places" in html
    assert "2 of 2 places" in page(client, f"/training/sessions/{training.session_id}")


def test_evaluations_need_every_score_and_are_averaged_by_session_and_quarter(app, client, login_as, training):
    login_as(Role.TRAINING_COORDINATOR)
    url = f"/training/sessions/{training.session_id}/evaluations/new"
    html = client.post(url, data={}).get_data(as_text=True)
    for what in ["understanding before", "understanding after", "confidence before", "confidence after"]:
        assert f"Select a score for {what}" in html
    scores = {
        "understanding_before": "2",
        "understanding_after": "4",
        "confidence_before": "1",
        "confidence_after": "4",
    }
    assert (
        client.post(url, data=scores | {"person_id": str(training.person_id), "comment": "Useful"}).status_code == 302
    )
    assert client.post(url, data=scores | {"understanding_after": "5", "confidence_after": "5"}).status_code == 302
    refused = client.post(url, data=scores | {"person_id": str(training.fen_person_id)}).get_data(as_text=True)
    assert "Select an attendee from the list" in refused
    assert count(app, Evaluation) == 2

    session_page = page(client, f"/training/sessions/{training.session_id}")
    assert "Average of 2 evaluations" in session_page
    assert "+2.5" in session_page  # understanding 2.0 -> 4.5
    assert "Useful" in session_page
    switch(client, login_as, Role.BOARD_MEMBER)
    evaluations = page(client, "/training/evaluations")
    assert "2.0 → 4.5" in evaluations and "1.0 → 4.5" in evaluations
    assert "Useful" not in evaluations  # comments stay on the session page


def test_a_session_is_added_and_its_capacity_cannot_drop_below_its_attendance(app, client, login_as, training):
    login_as(Role.TRAINING_COORDINATOR)
    html = client.post("/training/sessions/new", data={"capacity": "none"}).get_data(as_text=True)
    for message in ["Select the course", "Enter the date of the session", "Enter where the session is held"]:
        assert message in html
    assert "Places must be a whole number, like 20" in html
    response = client.post(
        "/training/sessions/new",
        data={
            "course_id": str(training.wrap_id),
            "place": "Fenland Hall",
            "capacity": "12",
            **day_fields("held_on", TODAY),
        },
    )
    assert response.status_code == 302
    assert count(app, TrainingSession) == 2
    edit = f"/training/sessions/{training.session_id}/edit"
    client.post(
        f"/training/sessions/{training.session_id}/attendees/new",
        data={"name": "Two", "email": "two@council.example", "organisation_id": str(training.fenland_id)},
    )
    with app.app_context():
        held_on = db.session.get(TrainingSession, training.session_id).held_on
    same = {"course_id": str(training.wrap_id), "place": "Town Hall", **day_fields("held_on", held_on)}

    too_small = client.post(edit, data=same | {"capacity": "1"}).get_data(as_text=True)
    moved = client.post(edit, data=same | day_fields("held_on", held_on - timedelta(days=1))).get_data(as_text=True)

    assert "More people have attended than 1" in too_small
    assert "The course and date cannot change once attendees are recorded" in moved
    with app.app_context():
        session = db.session.get(TrainingSession, training.session_id)
        assert (session.held_on, session.capacity) == (held_on, 2)
    assert client.post(edit, data=same | {"capacity": "3", "place": "Town Hall, room 2"}).status_code == 302


@pytest.mark.parametrize("role", [Role.SPOC, Role.BOARD_MEMBER, Role.AUDITOR])
def test_readers_cannot_change_training(client, login_as, training, role):
    login_as(role)
    for url in [
        "/training/records/new",
        f"/training/records/{training.completion_id}/delete",
        "/training/courses/new",
        "/training/import",
        f"/training/sessions/{training.session_id}/evaluations/new",
    ]:
        assert client.post(url, data={}).status_code == 403, url


def test_no_training_form_answers_hostile_or_partial_input_with_a_500(app, client, login_as, training):
    login_as(Role.PREVENT_LEAD)
    with app.app_context():
        headcount_id = db.session.scalars(select(Headcount.id)).first()
    args = {
        "organisation_id": training.fenland_id,
        "headcount_id": headcount_id,
        "person_id": training.person_id,
        "completion_id": training.completion_id,
        "course_id": training.wrap_id,
        "facilitator_id": training.facilitator_id,
        "session_id": training.session_id,
        "token": "x",
    }
    junk = {
        "as_of": ["1", "2"],
        "completed_on": "not-a-date",
        "held_on": ["99", "99", "99999"],
        "organisation_id": "999999",
        "course_id": "abc",
        "facilitator_id": "-1",
        "person_id": "1e9",
        "relevant_headcount": "9" * 40,
        "capacity": "-3",
        "validity_months": "",
        "understanding_before": "6",
        "target_percent": "ninety",
    }
    failures = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("training.") or "POST" not in rule.methods:
            continue
        if rule.endpoint.startswith("training.delete_"):
            continue  # a bare POST there is the confirmation itself
        url = rule.build({k: v for k, v in args.items() if k in rule.arguments}, append_unknown=False)[1]
        for data in ({}, junk):
            status = client.post(url, data=data).status_code
            if status >= 500:
                failures.append(f"POST {url} {sorted(data)[:3]}: {status}")
    assert not failures, failures
    assert client.get("/training", query_string={"as_of": ["1", "2"]}).status_code == 200
