"""Every registered route against every role: a route added without a policy fails here.

EXPECTED is written out by hand (not derived from the policy module), so a change to who
may reach a page is a deliberate change to this table.
"""

import pytest

from core import clock
from core.vocab import Role
from tests.conftest import sign_in

ALL = frozenset(Role)
PUBLIC = "public"
LEAD = {Role.PREVENT_LEAD}
#: Every role of a partnership; not the regional coordinator, who reads roll-ups and nothing else.
READERS = {
    Role.PREVENT_LEAD,
    Role.SPOC,
    Role.BOARD_MEMBER,
    Role.PANEL_CHAIR,
    Role.PANEL_MEMBER,
    Role.TRAINING_COORDINATOR,
    Role.AUDITOR,
}
AUDIT = {Role.PREVENT_LEAD, Role.AUDITOR}
PLAN_READERS = {Role.PREVENT_LEAD, Role.SPOC, Role.BOARD_MEMBER, Role.AUDITOR}
PLAN_EDITORS = {Role.PREVENT_LEAD, Role.SPOC}
BOARD_READERS = {Role.PREVENT_LEAD, Role.SPOC, Role.BOARD_MEMBER, Role.AUDITOR}

#: endpoint -> roles allowed (or PUBLIC)
EXPECTED = {
    "static": PUBLIC,
    "govuk_assets": PUBLIC,
    "vendor": PUBLIC,
    "auth.login": PUBLIC,
    "sso.start_sign_in": PUBLIC,
    "sso.finish_sign_in": PUBLIC,
    "main.health": PUBLIC,
    "auth.logout": ALL,
    "auth.change_password": ALL,
    "auth.second_factor": PUBLIC,
    "auth.check_second_factor": ALL,
    "auth.show_two_factor": ALL,
    "auth.set_up_two_factor": ALL,
    "auth.new_recovery_codes": ALL,
    "auth.turn_off_two_factor": ALL,
    "auth.forgot_password": PUBLIC,
    "auth.reset_password": PUBLIC,
    "main.home": ALL,
    "users.list_users": LEAD,
    "users.create_user": LEAD,
    "users.show_user": LEAD,
    "users.edit_user": LEAD,
    "users.set_password": LEAD,
    "users.deactivate_user": LEAD,
    "users.reactivate_user": LEAD,
    "users.unlock_user": LEAD,
    "audit.list_entries": AUDIT,
    "audit.export_entries": AUDIT,
    "audit.security_events": AUDIT,
    "reminders.my_reminders": ALL,
    "reminders.list_log": LEAD,
    "partnership.list_organisations": READERS,
    "partnership.create_organisation": LEAD,
    "partnership.edit_organisation": LEAD,
    "partnership.edit_settings": LEAD,
    "spoc.list_areas": READERS,
    "spoc.show_area": READERS,
    "spoc.create_area": LEAD,
    "spoc.edit_area": LEAD,
    "spoc.record_referrals": PLAN_EDITORS,
    "plans.overview": PLAN_READERS,
    "plans.show_plan": PLAN_READERS,
    "plans.show_row": PLAN_READERS,
    "plans.download_evidence": PLAN_READERS,
    "plans.create_plan": PLAN_EDITORS,
    "plans.edit_plan": PLAN_EDITORS,
    "plans.edit_columns": PLAN_EDITORS,
    "plans.create_row": PLAN_EDITORS,
    "plans.edit_row": PLAN_EDITORS,
    "plans.record_progress": PLAN_EDITORS,
    "plans.upload_evidence": PLAN_EDITORS,
    "plans_transfer.import_plan": PLAN_EDITORS,
    "plans_transfer.confirm_import": PLAN_EDITORS,
    "plans_transfer.export_plans": PLAN_READERS,
    "plans_transfer.update_from_file": PLAN_EDITORS,
    "plans_transfer.preview_update": PLAN_EDITORS,
    "plans_transfer.delete_plan": LEAD,
}

# Partnership board
EXPECTED.update(
    {
        "board.overview": BOARD_READERS,
        "board.list_members": BOARD_READERS,
        "board.show_meeting": BOARD_READERS,
        "board.download_paper": BOARD_READERS,
        "board.meeting_pdf": BOARD_READERS,
        "board.meeting_calendar": BOARD_READERS,
        "board.schedule_calendar": BOARD_READERS,
        "board.create_member": LEAD,
        "board.edit_member": LEAD,
        "board.record_review": LEAD,
        "board.schedule_meetings": LEAD,
        "board.edit_meeting": LEAD,
        "board.create_item": LEAD,
        "board.edit_item": LEAD,
        "board.move_item": LEAD,
        "board.remove_item": LEAD,
        "board.attach_paper": LEAD,
        "board.record_attendance": LEAD,
        "board.create_action": LEAD,
        "board.update_action": LEAD,
        "board.create_decision": LEAD,
        "board.check_plans": LEAD,
    }
)


# The regional view: roll-ups of the partnerships granted to a regional coordinator, and no one else.
REGIONAL = {Role.REGIONAL_COORDINATOR}
EXPECTED.update({"region.show_region": REGIONAL, "region.download_pack": REGIONAL})


def board_records(app, world) -> dict:
    """A board member, a meeting with its standing agenda, an action and a paper."""
    import uuid
    from datetime import date, timedelta

    from board import services as board
    from board.models import BoardMember, MeetingPaper
    from core.extensions import db
    from core.storage import get_storage
    from partnership.models import Partnership

    with app.app_context():
        partnership = db.session.get(Partnership, world.partnership_id)
        member = BoardMember(
            partnership_id=partnership.id,
            organisation_id=world.organisation_id,
            representative="Board Person",
            joined_on=date(2020, 1, 1),
        )
        db.session.add(member)
        (meeting,) = board.schedule_meetings(
            partnership=partnership,
            first_on=clock.today() + timedelta(days=10),
            count=1,
            every_months=3,
            starts_at=None,
            ends_at=None,
            place="",
            link="",
            marking="OFFICIAL",
            today=clock.today(),
        )
        action = board.add_action(
            meeting, description="Do it", owner="Someone", due_on=clock.today(), agenda_item_id=None
        )
        key = f"papers/te/{uuid.uuid4().hex}.pdf"
        get_storage().put(key, b"%PDF-1.4 paper")
        paper = MeetingPaper(
            meeting_id=meeting.id,
            filename="paper.pdf",
            content_type="application/pdf",
            size=14,
            sha256="0" * 64,
            storage_key=key,
        )
        db.session.add(paper)
        db.session.commit()
        return {
            "member_id": member.id,
            "meeting_id": meeting.id,
            "item_id": meeting.items[-1].id,
            "action_id": action.id,
            "paper_id": paper.id,
            "part": "agenda",
        }


# Training
TRAINING_READERS = {Role.PREVENT_LEAD, Role.SPOC, Role.BOARD_MEMBER, Role.AUDITOR, Role.TRAINING_COORDINATOR}
#: Names and records of the staff trained: those who keep them, and auditors who check them.
TRAINING_PEOPLE = {Role.PREVENT_LEAD, Role.TRAINING_COORDINATOR, Role.AUDITOR}
TRAINING_MANAGERS = {Role.PREVENT_LEAD, Role.TRAINING_COORDINATOR}
EXPECTED.update(
    {
        "training.show_coverage": TRAINING_READERS,
        "training.export_coverage": TRAINING_READERS,
        "training.show_organisation": TRAINING_READERS,
        "training.list_headcounts": TRAINING_READERS,
        "training.list_courses": TRAINING_READERS,
        "training.list_facilitators": TRAINING_READERS,
        "training.list_sessions": TRAINING_READERS,
        "training.list_evaluations": TRAINING_READERS,
        "training.list_people": TRAINING_PEOPLE,
        "training.show_person": TRAINING_PEOPLE,
        "training.list_records": TRAINING_PEOPLE,
        "training.show_session": TRAINING_PEOPLE,
        "training.list_imports": TRAINING_PEOPLE,
        "training.create_headcount": TRAINING_MANAGERS,
        "training.edit_headcount": TRAINING_MANAGERS,
        "training.delete_headcount": TRAINING_MANAGERS,
        "training.edit_person": TRAINING_MANAGERS,
        "training.create_record": TRAINING_MANAGERS,
        "training.delete_record": TRAINING_MANAGERS,
        "training.create_course": TRAINING_MANAGERS,
        "training.edit_course": TRAINING_MANAGERS,
        "training.create_facilitator": TRAINING_MANAGERS,
        "training.edit_facilitator": TRAINING_MANAGERS,
        "training.create_session": TRAINING_MANAGERS,
        "training.edit_session": TRAINING_MANAGERS,
        "training.add_attendee": TRAINING_MANAGERS,
        "training.create_evaluation": TRAINING_MANAGERS,
        "training.import_register": TRAINING_MANAGERS,
        "training.confirm_import": TRAINING_MANAGERS,
        "training.import_headcounts": TRAINING_MANAGERS,
        "training.confirm_headcounts": TRAINING_MANAGERS,
        "training.edit_settings": LEAD,
    }
)


def training_records(app, world) -> dict:
    """A course, a person with a completion at a session, a headcount and a facilitator."""
    from datetime import date

    from core.extensions import db
    from training import people, services, sessions

    with app.app_context():
        course = services.create_course(name="WRAP", kind="wrap", validity_months=36)
        facilitator = sessions.save_facilitator(
            None, name="Route Facilitator", organisation_id=None, email="", accredited_on=None
        )
        session = sessions.save_session(
            None, course_id=course.id, held_on=date(2025, 5, 1), place="Town Hall", facilitator_id=None, capacity=10
        )
        completion, _ = sessions.add_attendee(
            session,
            details=people.PersonDetails(
                name="Route Person", organisation_id=world.organisation_id, email="route.person@council.example"
            ),
            today=clock.today(),
        )
        headcount = services.record_headcount(
            organisation_id=world.organisation_id, as_of=date(2025, 1, 1), relevant_headcount=10, source="HR"
        )
        db.session.commit()
        return {
            "course_id": course.id,
            "facilitator_id": facilitator.id,
            "session_id": session.id,
            "person_id": completion.person_id,
            "completion_id": completion.id,
            "headcount_id": headcount.id,
        }


# Channel Panel
CHANNEL_FIGURES = {Role.PREVENT_LEAD, Role.BOARD_MEMBER, Role.PANEL_CHAIR, Role.PANEL_MEMBER, Role.AUDITOR}
#: The anonymised log's rows: its keeper (the Prevent Lead) and the panel; not the board, not auditors.
CHANNEL_LOG = {Role.PREVENT_LEAD, Role.PANEL_CHAIR, Role.PANEL_MEMBER}
CHANNEL_PANEL = {Role.PANEL_CHAIR, Role.PANEL_MEMBER}
CHANNEL_CHAIR = {Role.PANEL_CHAIR}
EXPECTED.update(
    {
        "channel_panel.home": CHANNEL_FIGURES,
        "channel_panel.show_figures": CHANNEL_FIGURES,
        "channel_panel.list_log": CHANNEL_LOG,
        "channel_panel.export_log": CHANNEL_LOG,
        "channel_panel.export_figures": CHANNEL_FIGURES,
        "channel_panel.list_cases": CHANNEL_PANEL,
        "channel_panel.show_case": CHANNEL_PANEL,
        "channel_panel.show_personal": CHANNEL_PANEL,
        "channel_panel.list_meetings": CHANNEL_PANEL,
        "channel_panel.show_meeting": CHANNEL_PANEL,
        "channel_panel.meeting_agenda": CHANNEL_PANEL,
        "channel_panel.confirm_case_logs": CHANNEL_PANEL,
        "channel_panel.show_membership": CHANNEL_PANEL,
        "channel_panel.create_case": CHANNEL_CHAIR,
        "channel_panel.edit_case": CHANNEL_CHAIR,
        "channel_panel.change_stage": CHANNEL_CHAIR,
        "channel_panel.close_case": CHANNEL_CHAIR,
        "channel_panel.edit_personal": CHANNEL_CHAIR,
        "channel_panel.edit_support_item": CHANNEL_CHAIR,
        "channel_panel.add_share": CHANNEL_CHAIR,
        "channel_panel.record_review": CHANNEL_CHAIR,
        "channel_panel.create_meeting": CHANNEL_CHAIR,
        "channel_panel.record_attendance": CHANNEL_CHAIR,
        "channel_panel.edit_member": CHANNEL_CHAIR,
        "channel_panel.edit_panel": CHANNEL_CHAIR,
    }
)


def channel_records(app, world) -> dict:
    """The world's panel chair and member seated on the panel, a meeting next week, and a closed
    case with personal details, a support plan item and its reviews."""
    from datetime import timedelta

    from channel_panel import meetings, services
    from core.extensions import db
    from tests.channel_panel.factories import PanelMeetingFactory, closed_case

    with app.app_context():
        seats = [
            meetings.save_member(
                None,
                role="channel_lead",
                member_name=f"Seat {role.value}",
                deputy_name="",
                organisation_id=world.organisation_id,
                user_id=world.users[role].id,
                joined_on=None,
                left_on=None,
            )
            for role in (Role.PANEL_CHAIR, Role.PANEL_MEMBER)
        ]
        meeting = PanelMeetingFactory(held_on=clock.today() + timedelta(days=7))
        case = closed_case(closed_on=clock.today() - timedelta(days=30), today=clock.today(), name="Route Check")
        item = services.add_support_item(case, need="Mentoring", provider="", status="completed")
        db.session.commit()
        return {
            "case_id": case.id,
            "support_item_id": item.id,
            "case_review_id": case.reviews[0].id,
            "panel_meeting_id": meeting.id,
            "panel_member_id": seats[1].id,
        }


# Annual compliance
COMPLIANCE_READERS = {Role.PREVENT_LEAD, Role.BOARD_MEMBER, Role.AUDITOR}
AUDITORS = {Role.AUDITOR}
EXPECTED.update(
    {
        "compliance.index": COMPLIANCE_READERS,
        "compliance.show_assessment": COMPLIANCE_READERS,
        "compliance.download_report": COMPLIANCE_READERS,
        "compliance.download_year_report": COMPLIANCE_READERS,
        "compliance.download_bundle": COMPLIANCE_READERS,
        "compliance.start_assessment": LEAD,
        "compliance.edit_expectation": LEAD,
        "compliance.add_evidence": LEAD,
        "compliance.remove_evidence": LEAD,
        "compliance.add_action": LEAD,
        "compliance.new_version": LEAD,
        "compliance.create_finding": AUDITORS,
        "compliance.close_finding": AUDITORS,
        "compliance.sign_off": AUDITORS,
        # The finding's owner (here the SPOC) and the Prevent Lead answer it.
        "compliance.respond_finding": {Role.PREVENT_LEAD, Role.SPOC},
        "compliance.my_findings": ALL,
    }
)


def compliance_records(app, world) -> dict:
    """A 2025 self-assessment with an evidence link and a finding owned by the SPOC."""
    from datetime import date

    from compliance import services
    from core.extensions import db

    with app.app_context():
        assessment = services.open_assessment(partnership_id=world.partnership_id, year=2025, today=date(2026, 1, 5))
        expectation = assessment.expectations[0]
        link = services.add_evidence_link(expectation, kind="plan_row", target_id=world.row_id)
        from core.models import User

        finding = services.record_finding(
            assessment,
            section="partnership_plan",
            title="Plans not checked",
            severity="medium",
            recommendation="Check every plan",
            owner_id=world.users[Role.SPOC].id,
            due_on=date(2026, 3, 31),
            raised_by=db.session.get(User, world.users[Role.AUDITOR].id),
        )
        db.session.commit()
        return {
            "assessment_id": assessment.id,
            "expectation_id": expectation.id,
            "link_id": link.id,
            "finding_id": finding.id,
            "year": 2025,
            "fmt": "pdf",
        }


def all_records(app, world) -> dict:
    """URL values for every route that needs a record: board, training, Channel and compliance."""
    return (
        board_records(app, world)
        | training_records(app, world)
        | channel_records(app, world)
        | compliance_records(app, world)
    )


#: Allowed roles may get 404 here: the test has no real token to offer.
TOKEN_ROUTES = {
    "plans_transfer.confirm_import",
    "plans_transfer.preview_update",
    "training.confirm_import",
    "training.confirm_headcounts",
}


def _url_args(rule, world, extra: dict | None = None) -> dict:
    values = {
        "user_id": world.users[Role.SPOC].id,
        "organisation_id": world.organisation_id,
        "area_id": world.area_id,
        "filename": "css/app.css" if rule.endpoint == "static" else "images/favicon.svg",
        "name": "govuk-frontend.min.js",
        "plan_id": world.plan_id,
        "row_id": world.row_id,
        "document_id": world.evidence_id,
        "file_id": world.evidence_id,
        "token": "not-a-real-token",
        "quarter": "2026-q3",
        "provider": "council",
        **(extra or {}),
    }
    return {arg: values[arg] for arg in rule.arguments}


def _routes(app):
    return [rule for rule in app.url_map.iter_rules()]


def test_every_route_has_an_expectation(app):
    endpoints = {rule.endpoint for rule in _routes(app)}
    missing = endpoints - EXPECTED.keys()
    assert not missing, f"routes with no entry in EXPECTED (add a policy and a row): {sorted(missing)}"
    stale = EXPECTED.keys() - endpoints
    assert not stale, f"EXPECTED lists routes that no longer exist: {sorted(stale)}"


def test_every_non_public_view_declares_a_permission(app):
    for endpoint, view in app.view_functions.items():
        if EXPECTED.get(endpoint) == PUBLIC:
            assert getattr(view, "is_public", False), endpoint
        else:
            assert getattr(view, "required_permission", None) is not None, f"{endpoint} has no @requires"


def _method(rule) -> str:
    return "GET" if "GET" in rule.methods else "POST"


@pytest.mark.parametrize("role", [None, *Role], ids=lambda r: r.value if r else "anonymous")
def test_route_outcomes_for_role(app, world, role):
    """Allowed roles never get 403; refused roles always do; anonymous users go to sign in."""
    failures = []
    extra = all_records(app, world)
    for rule in _routes(app):
        client = app.test_client()
        if role is not None:
            assert sign_in(client, world.users[role].email).status_code == 302
        url = rule.build(_url_args(rule, world, extra), append_unknown=False)[1]
        method = _method(rule)
        response = client.open(url, method=method)
        # A streamed answer (an export) keeps its app context until closed; the next client's
        # requests would run in it, with its signed-in user.
        response.close()
        expected = EXPECTED[rule.endpoint]
        status = response.status_code
        if expected == PUBLIC:
            ok = status in (200, 302)
        elif role is None:
            ok = status == 302 and "/login" in response.headers["Location"]
        elif role in expected:
            ok = status in (200, 302, 400) or (status == 404 and rule.endpoint in TOKEN_ROUTES)
        else:
            ok = status == 403
        if not ok:
            failures.append(f"{method} {url} as {role}: {status}")
    assert not failures, "\n".join(failures)
