"""Channel pages: who may open what, logged refusals and openings, forms that refuse bad input."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from channel_panel.models import (
    AnonymisedLogEntry,
    ChannelCase,
    PanelAttendance,
    PostClosureReview,
)
from core import clock
from core.audit import AuditEntry
from core.extensions import db
from core.vocab import Role
from tests.channel_panel.conftest import NON_PANEL_ROLES
from tests.channel_panel.factories import SECRET_NAMES, PanelMeetingFactory
from tests.conftest import security_events as events

TODAY = clock.today()


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def date_fields(name: str, day: date) -> dict:
    return {name: [str(day.day), str(day.month), str(day.year)]}


def case_urls(channel) -> list[tuple[str, str]]:
    c = channel
    return [
        ("GET", "/channel/cases"),
        ("GET", "/channel/cases/new"),
        ("GET", f"/channel/cases/{c.closed_id}"),
        ("GET", f"/channel/cases/{c.closed_id}/personal"),
        ("GET", f"/channel/cases/{c.closed_id}/personal/edit"),
        ("GET", f"/channel/cases/{c.open_id}/edit"),
        ("GET", f"/channel/cases/{c.open_id}/stage"),
        ("GET", f"/channel/cases/{c.open_id}/close"),
        ("GET", f"/channel/cases/{c.open_id}/support/new"),
        ("GET", f"/channel/cases/{c.open_id}/shares/new"),
        ("GET", f"/channel/cases/{c.closed_id}/reviews/{c.review_id}"),
        ("GET", "/channel/meetings"),
        ("GET", f"/channel/meetings/{c.meeting_id}"),
        ("GET", f"/channel/meetings/{c.meeting_id}/agenda.pdf"),
        ("POST", f"/channel/meetings/{c.meeting_id}/case-logs-checked"),
        ("GET", "/channel/membership"),
    ]


@pytest.mark.parametrize("role", NON_PANEL_ROLES, ids=lambda r: r.value)
def test_non_panel_roles_are_refused_every_case_url_and_each_refusal_is_logged(app, client, login_as, channel, role):
    user = login_as(role)
    for method, url in case_urls(channel):
        response = client.open(url, method=method)
        assert response.status_code == 403, (method, url)
        body = response.get_data(as_text=True)
        assert SECRET_NAMES[0] not in body and channel.closed_reference not in body
    logged = [(e.user_id, e.path) for e in events(app, "forbidden")]
    assert logged == [(user.id, url) for _, url in case_urls(channel)]
    assert events(app, "personal_details_opened") == []


def test_a_panel_member_reads_cases_but_may_not_change_them(app, client, login_as, channel):
    login_as(Role.PANEL_MEMBER)
    page = client.get(f"/channel/cases/{channel.closed_id}").get_data(as_text=True)
    assert channel.closed_reference in page and "6-month review" in page
    assert SECRET_NAMES[0] not in page  # names only on the personal details page
    assert "Close case" not in page and "Edit details" not in page
    for url in [
        f"/channel/cases/{channel.open_id}/close",
        f"/channel/cases/{channel.open_id}/edit",
        "/channel/cases/new",
    ]:
        assert client.post(url, data={}).status_code == 403
    assert count(app, ChannelCase, ChannelCase.stage == "closed") == 1


def test_opening_personal_details_is_logged_each_time(app, client, login_as, channel):
    member = login_as(Role.PANEL_MEMBER)
    for _ in range(2):
        page = client.get(f"/channel/cases/{channel.closed_id}/personal").get_data(as_text=True)
        assert SECRET_NAMES[0] in page and "has been recorded" in page
    opened = events(app, "personal_details_opened")
    assert [(e.user_id, e.detail) for e in opened] == [(member.id, f"Channel case #{channel.closed_id}")] * 2
    assert all(SECRET_NAMES[0] not in f"{e.detail}{e.path}" for e in opened)


def test_an_unknown_case_is_a_404_for_the_panel(client, login_as, channel):
    login_as(Role.PANEL_CHAIR)
    assert client.get("/channel/cases/999999").status_code == 404
    # A review of another case cannot be reached through this case's address.
    assert client.get(f"/channel/cases/{channel.open_id}/reviews/{channel.review_id}").status_code == 404


# --- recording a referral ----------------------------------------------------------------


def referral_form(**overrides) -> dict:
    data = {
        "reference": "",
        "referring_sector": "education",
        "concern_type": "islamist",
        "age_band": "15_20",
        "gender": "female",
        "life_stage": "child",
        "individual_type": "school_pupil",
        "organisation_id": "",
        "department": "Year 11",
        "business_area_id": "",
        "consent": "not_sought",
        **date_fields("concern_reported_on", TODAY - timedelta(days=3)),
        **date_fields("referral_date", TODAY - timedelta(days=2)),
        "consent_on": ["", "", ""],
    }
    data.update(overrides)
    return data


def test_the_chair_records_a_referral_with_the_next_reference(app, client, login_as, channel):
    login_as(Role.PANEL_CHAIR)
    response = client.post("/channel/cases/new", data=referral_form())
    assert response.status_code == 302
    with app.app_context():
        case = db.session.scalars(select(ChannelCase).order_by(ChannelCase.id.desc())).first()
        assert case.reference.startswith(f"CP-{(TODAY - timedelta(days=2)).year}-")
        assert response.headers["Location"].endswith(f"/channel/cases/{case.id}")
        assert db.session.scalar(select(func.count()).where(AnonymisedLogEntry.case_id == case.id)) == 1
        entries = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == "channel_cases", AuditEntry.entity_id == case.id)
            .order_by(AuditEntry.id)
        ).all()
        assert entries[0].action == "insert" and entries[0].actor_label == "panel_chair@council.example"
        assert {e.actor_label for e in entries} == {"panel_chair@council.example"}
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Case {case.reference} created" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"reference": "CP-2020-001"}, "A case with the reference CP-2020-001 already exists"),
        ({"reference": "case 14"}, "Enter the case reference in the format CP-YYYY-NNN, like CP-2026-014"),
        (
            {"consent": "given", **date_fields("consent_on", TODAY + timedelta(days=1))},
            "The consent date must be today or in the past",
        ),
        ({"consent": "given"}, "Enter the date consent was sought, given or declined"),
        (
            date_fields("concern_reported_on", TODAY),
            "The referral date must be the same as or after the date the concern was reported",
        ),
        (date_fields("referral_date", TODAY + timedelta(days=1)), "The referral date must be today or in the past"),
        ({"referral_date": ["31", "2", "2026"]}, "Referral date must be a real date"),
        ({"referral_date": ["1", "2"]}, "Referral date must be a real date"),
        ({"referring_sector": "", "gender": ""}, "Select the referring sector"),
        ({"life_stage": "teenager"}, "Not a valid choice"),
    ],
)
def test_bad_referrals_are_refused_with_a_clear_error_and_nothing_saved(
    app, client, login_as, channel, overrides, message
):
    login_as(Role.PANEL_CHAIR)
    with app.app_context():
        existing = db.session.get(ChannelCase, channel.closed_id)
        existing.reference = "CP-2020-001"
        db.session.commit()
    cases, log = count(app, ChannelCase), count(app, AnonymisedLogEntry)
    response = client.post("/channel/cases/new", data=referral_form(**overrides))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page.replace("&#39;", "'")
    assert "<title>Error:" in page and "govuk-error-summary" in page
    assert (count(app, ChannelCase), count(app, AnonymisedLogEntry)) == (cases, log)


# --- closing a case ----------------------------------------------------------------------


def test_closing_asks_for_confirmation_first_then_schedules_the_reviews(app, client, login_as, channel):
    login_as(Role.PANEL_CHAIR)
    url = f"/channel/cases/{channel.open_id}/close"
    form = {**date_fields("closed_on", TODAY), "reason": "support_completed", "note": ""}
    confirm = client.post(url, data=form)
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and f"Close case {channel.open_reference}?" in page
    assert "6-month review due" in page and "12-month review due" in page
    assert count(app, PostClosureReview, PostClosureReview.case_id == channel.open_id) == 0
    done = client.post(url, data={**form, "confirmed": "yes"})
    assert done.status_code == 302
    with app.app_context():
        case = db.session.get(ChannelCase, channel.open_id)
        assert (case.stage, case.closed_on) == ("closed", TODAY)
        assert sorted(r.months for r in case.reviews) == [6, 12]


def test_a_closure_before_the_referral_is_refused_even_when_confirmed(app, client, login_as, channel):
    login_as(Role.PANEL_CHAIR)
    before = channel.referral_date - timedelta(days=1)
    form = {**date_fields("closed_on", before), "reason": "other", "confirmed": "yes"}
    page = client.post(f"/channel/cases/{channel.open_id}/close", data=form).get_data(as_text=True)
    assert "The closure date must be the same as or after the referral date" in page
    with app.app_context():
        assert db.session.get(ChannelCase, channel.open_id).stage == "adopted"
    assert count(app, PostClosureReview, PostClosureReview.case_id == channel.open_id) == 0


# --- reviews -----------------------------------------------------------------------------


def test_a_review_recorded_more_than_a_week_early_needs_a_reason(app, client, login_as, channel):
    login_as(Role.PANEL_CHAIR)
    with app.app_context():
        twelve = db.session.scalars(
            select(PostClosureReview).where(
                PostClosureReview.case_id == channel.closed_id, PostClosureReview.months == 12
            )
        ).one()
        url = f"/channel/cases/{channel.closed_id}/reviews/{twelve.id}"
    form = {**date_fields("held_on", TODAY), "outcome": "no_further_concerns", "note": "", "early_reason": ""}
    page = client.post(url, data=form).get_data(as_text=True)
    assert "Give a reason for holding the review more than a week before it was due" in page
    assert count(app, PostClosureReview, PostClosureReview.held_on.is_not(None)) == 0
    response = client.post(url, data={**form, "early_reason": "Family moving out of the area"})
    assert response.status_code == 302
    assert count(app, PostClosureReview, PostClosureReview.held_on == TODAY) == 1


def test_the_overdue_review_is_on_the_next_meetings_page(client, login_as, channel):
    login_as(Role.PANEL_MEMBER)
    page = client.get(f"/channel/meetings/{channel.meeting_id}").get_data(as_text=True)
    assert channel.closed_reference in page and "6-month review" in page and "days overdue" in page
    assert SECRET_NAMES[0] not in page


# --- meetings and attendance -------------------------------------------------------------


def test_a_member_confirms_their_own_case_log_check(app, client, login_as, channel):
    login_as(Role.PANEL_MEMBER)
    response = client.post(f"/channel/meetings/{channel.meeting_id}/case-logs-checked")
    assert response.status_code == 302
    with app.app_context():
        row = db.session.scalars(select(PanelAttendance)).one()
        assert (row.member_id, row.checked_case_logs, row.status) == (channel.member_id, True, None)
    page = client.get(f"/channel/meetings/{channel.meeting_id}").get_data(as_text=True)
    assert "You confirmed that you checked the case logs" in page


def test_a_panel_user_not_on_the_panel_cannot_confirm(app, client, channel):
    from tests.conftest import security_events as events
    from tests.conftest import sign_in
    from tests.factories import UserFactory

    with app.app_context():
        UserFactory(email="unlisted@council.example", roles=[Role.PANEL_MEMBER])
        db.session.commit()
    sign_in(client, "unlisted@council.example")
    url = f"/channel/meetings/{channel.meeting_id}/case-logs-checked"
    assert client.post(url).status_code == 403
    assert [e.path for e in events(app, "forbidden")] == [url]
    assert count(app, PanelAttendance) == 0


def test_a_past_meeting_cannot_be_confirmed_afterwards(app, client, login_as, channel):
    with app.app_context():
        past = PanelMeetingFactory(held_on=TODAY - timedelta(days=3))
        db.session.commit()
        past_id = past.id
    login_as(Role.PANEL_MEMBER)
    page = client.post(f"/channel/meetings/{past_id}/case-logs-checked", follow_redirects=True).get_data(as_text=True)
    assert "this one has been held" in page
    assert count(app, PanelAttendance) == 0


def test_the_chair_records_attendance_once_the_meeting_is_held(app, client, login_as, channel):
    with app.app_context():
        past = PanelMeetingFactory(held_on=TODAY - timedelta(days=1))
        db.session.commit()
        past_id = past.id
    login_as(Role.PANEL_CHAIR)
    form = {
        f"status_{channel.chair_member_id}": "present",
        f"checked_{channel.chair_member_id}": "y",
        f"status_{channel.member_id}": "deputy",
    }
    assert client.post(f"/channel/meetings/{past_id}/attendance", data=form).status_code == 302
    with app.app_context():
        rows = {r.member_id: (r.status, r.checked_case_logs) for r in db.session.scalars(select(PanelAttendance))}
    assert rows == {channel.chair_member_id: ("present", True), channel.member_id: ("deputy", False)}
    # Not before the day of the meeting.
    page = client.post(f"/channel/meetings/{channel.meeting_id}/attendance", data=form).get_data(as_text=True)
    assert "Attendance can be recorded on or after the day of the meeting" in page
    assert count(app, PanelAttendance, PanelAttendance.meeting_id == channel.meeting_id) == 0


def test_a_second_meeting_on_the_same_day_is_refused(app, client, login_as, channel):
    login_as(Role.PANEL_CHAIR)
    with app.app_context():
        from channel_panel.models import PanelMeeting

        held_on = db.session.get(PanelMeeting, channel.meeting_id).held_on
    page = client.post("/channel/meetings/new", data={**date_fields("held_on", held_on), "place": "Hall"})
    assert "There is already a panel meeting on" in page.get_data(as_text=True)


# --- membership --------------------------------------------------------------------------


def test_membership_shows_chair_deputy_and_flags_the_terms_of_reference_review(app, client, login_as, channel):
    from channel_panel.models import Panel

    login_as(Role.PANEL_CHAIR)
    assert "Not set" in client.get("/channel/membership").get_data(as_text=True)
    assert count(app, Panel) == 0  # reading a page never writes
    form = {
        "chair_id": str(channel.chair_member_id),
        "deputy_chair_id": str(channel.member_id),
        **date_fields("terms_reviewed_on", TODAY - timedelta(days=340)),
        **date_fields("terms_review_due_on", TODAY + timedelta(days=10)),
    }
    assert client.post("/channel/membership/panel", data=form).status_code == 302
    page = client.get("/channel/membership").get_data(as_text=True)
    assert "Chair Person" in page and "Deputy chair" in page
    assert "The review of the terms of reference is due soon" in page
    same = client.post("/channel/membership/panel", data={**form, "deputy_chair_id": str(channel.chair_member_id)})
    assert "The deputy chair must be a different member from the chair" in same.get_data(as_text=True)


def test_an_account_links_to_one_seat_only(client, login_as, channel, world):
    login_as(Role.PANEL_CHAIR)
    form = {
        "role": "schools",
        "member_name": "Second Seat",
        "deputy_name": "",
        "organisation_id": str(world.organisation_id),
        "user_id": str(world.users[Role.PANEL_MEMBER].id),
        "joined_on": ["", "", ""],
        "left_on": ["", "", ""],
    }
    page = client.post("/channel/membership/new", data=form).get_data(as_text=True)
    assert "That account is already linked to another member of the panel" in page
    assert client.post("/channel/membership/new", data={**form, "user_id": ""}).status_code == 302


# --- lists and hostile input -------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?q=CP-2026",
        "?q=%25",
        "?q=" + "x" * 500,
        "?stage=closed&sort=stage",
        "?stage=nonsense&sort=evil&page=-3",
        "?page=abc",
        "?page=99999",
    ],
)
def test_the_case_list_answers_any_query_without_an_error(client, login_as, channel, query):
    login_as(Role.PANEL_MEMBER)
    response = client.get("/channel/cases" + query)
    assert response.status_code == 200


def test_the_case_list_searches_filters_and_pages(app, client, login_as, channel):
    login_as(Role.PANEL_MEMBER)
    open_only = client.get("/channel/cases").get_data(as_text=True)
    assert channel.open_reference in open_only and channel.closed_reference not in open_only
    closed = client.get("/channel/cases?stage=closed").get_data(as_text=True)
    assert channel.closed_reference in closed and channel.open_reference not in closed
    found = client.get(f"/channel/cases?stage=all&q={channel.closed_reference[-6:]}").get_data(as_text=True)
    assert channel.closed_reference in found
    app.config["PAGE_SIZE"] = 1
    try:
        first = client.get("/channel/cases?stage=all&sort=reference").get_data(as_text=True)
        assert "Showing 1 to 1 of 2" in first and "govuk-pagination" in first
    finally:
        app.config["PAGE_SIZE"] = 50


def test_a_figures_quarter_that_is_not_a_quarter_is_a_400_with_a_message(client, login_as, channel):
    login_as(Role.BOARD_MEMBER)
    response = client.get("/channel/figures?quarter=last-year")
    assert response.status_code == 400
    assert "Choose a quarter from the list" in response.get_data(as_text=True)


# --- the rest of the case page's forms ---------------------------------------------------


def test_the_chair_moves_a_case_on_and_records_support_and_sharing(app, client, login_as, channel):
    login_as(Role.PANEL_CHAIR)
    base = f"/channel/cases/{channel.open_id}"
    response = client.post(f"{base}/stage", data={"stage": "support_plan", **date_fields("on", TODAY)})
    assert response.status_code == 302
    assert client.post(f"{base}/stage", data={"stage": "closed", **date_fields("on", TODAY)}).status_code == 200
    item = {"need": "Mentoring", "provider": "Intervention provider", "status": "in_progress"}
    assert client.post(f"{base}/support/new", data=item).status_code == 302
    share = {
        **date_fields("shared_on", TODAY),
        "shared_with": "Adult social care",
        "what": "Support plan summary",
        "legal_basis": "public_task",
    }
    assert client.post(f"{base}/shares/new", data=share).status_code == 302
    future = client.post(f"{base}/shares/new", data={**share, **date_fields("shared_on", TODAY + timedelta(days=1))})
    assert "The date shared must be today or in the past" in future.get_data(as_text=True)
    with app.app_context():
        case = db.session.get(ChannelCase, channel.open_id)
        assert (case.stage, case.support_plan_on) == ("support_plan", TODAY)
        assert [(i.need, i.status) for i in case.support_items] == [("Mentoring", "in_progress")]
        assert [(s.shared_with, s.legal_basis) for s in case.shares] == [("Adult social care", "public_task")]
        item_id = case.support_items[0].id
    done = client.post(f"{base}/support/{item_id}", data={**item, "status": "completed"})
    assert done.status_code == 302
    page = client.get(base).get_data(as_text=True)
    assert "Completed" in page and "Adult social care" in page and "Public task" in page


def test_personal_details_are_saved_redacted_in_the_audit_trail_and_each_opening_logged(app, client, login_as, channel):
    login_as(Role.PANEL_CHAIR)
    url = f"/channel/cases/{channel.open_id}/personal/edit"
    assert client.get(url).status_code == 200
    form = {
        "full_name": "Quentin Neverseen",
        "other_names": "Q",
        "address": "9 Secret Way",
        **date_fields("date_of_birth", date(2009, 5, 6)),
    }
    assert client.post(url, data=form).status_code == 302
    assert len(events(app, "personal_details_opened")) == 2  # the form, opened and then saved
    with app.app_context():
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "channel_case_personal_details")
        ).all()
        text = " ".join(f"{e.label} {e.changes}" for e in entries)
    assert entries and "[redacted]" in text
    assert "Quentin" not in text and "Secret Way" not in text and "2009" not in text
    future = client.post(url, data={**form, **date_fields("date_of_birth", TODAY + timedelta(days=1))})
    assert "The date of birth must be today or in the past" in future.get_data(as_text=True)


def test_editing_a_case_keeps_its_dates_consistent(app, client, login_as, channel):
    login_as(Role.PANEL_CHAIR)
    url = f"/channel/cases/{channel.open_id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'name="reference"' not in page  # a reference never changes
    late = referral_form(**date_fields("referral_date", TODAY - timedelta(days=1)))
    assert "must be on or before the case&#39;s first stage date" in client.post(url, data=late).get_data(as_text=True)
    fine = referral_form(
        **date_fields("concern_reported_on", channel.referral_date),
        **date_fields("referral_date", channel.referral_date),
        department="Sixth form",
    )
    assert client.post(url, data=fine).status_code == 302
    with app.app_context():
        entry = db.session.scalars(
            select(AnonymisedLogEntry).where(AnonymisedLogEntry.case_id == channel.open_id)
        ).one()
        assert entry.department == "Sixth form"


def test_the_chair_cannot_leave_while_chairing(client, login_as, channel, world):
    login_as(Role.PANEL_CHAIR)
    panel = {
        "chair_id": str(channel.chair_member_id),
        "deputy_chair_id": "",
        "terms_reviewed_on": ["", "", ""],
        "terms_review_due_on": ["", "", ""],
    }
    assert client.post("/channel/membership/panel", data=panel).status_code == 302
    leave = {
        "role": "youth_offending",
        "member_name": "Chair Person",
        "deputy_name": "",
        "organisation_id": str(world.organisation_id),
        "user_id": str(world.users[Role.PANEL_CHAIR].id),
        **date_fields("left_on", TODAY),
        "joined_on": ["", "", ""],
    }
    page = client.post(f"/channel/membership/{channel.chair_member_id}/edit", data=leave).get_data(as_text=True)
    assert "Choose a new chair or deputy chair before this member leaves the panel" in page


def test_figures_for_the_quarter_in_progress_are_to_date_and_future_quarters_are_refused(client, login_as, channel):
    login_as(Role.AUDITOR)
    page = client.get("/channel/figures").get_data(as_text=True)
    assert "The quarter is not over" in page
    future = client.get(f"/channel/figures?quarter={TODAY.year + 1}-q4")
    assert future.status_code == 400
