"""The isolation sweep: two demo partnerships on one database (`flask demo-data --partnerships 2`:
the second is the first's records with every person and place renamed). Every role of the first
partnership opens every GET route it may reach:

- with the ids of the second partnership's records: every answer is 404, never data;
- without ids (lists, home pages, exports, PDFs, ZIPs): nothing it reads names the second
  partnership's people, organisations, areas or plans.

The second partnership's ids and strings are read with plain SQL (never through the code under
test), and only strings the first partnership does not also have are looked for.

On PostgreSQL a query that bypasses the ORM's scoping (plain SQL, run deliberately here) still
sees nothing of the other partnership: row-level security reads the scope from the transaction.
SQLite has no row-level security: there the same query sees both, and the ORM scoping alone
keeps them apart (README, "Many partnerships").
"""

import itertools

import pytest
from sqlalchemy import select, text

from core import tenancy
from core.demo import load_demo
from core.extensions import db
from core.registry import parts
from core.vocab import Role
from partnership.demo import DEMO_LOGINS
from partnership.models import Partnership
from plans.models import Plan
from tests.conftest import sign_in
from tests.database_state import Snapshot, build_or_restore
from tests.security.test_privacy_sweep import (
    EXTRA_URLS,
    NO_DEMO_RECORD,
    NOT_CONTENT,
    RECORD_IDS,
    reachable_urls,
    texts_of,
)
from tests.test_route_permissions import ALL, EXPECTED, PUBLIC

DEMO_PASSWORD = "Demo-Partnership-2026"
EMAILS = dict(DEMO_LOGINS)
A, B = 1, 2

#: URL argument -> SQL giving the second partnership's (:b) records; the same groups as the
#: privacy sweep's RECORD_IDS, so routes with several ids get a consistent set.
B_RECORD_IDS = {
    ("plan_id", "row_id", "file_id", "document_id"): (
        "SELECT r.plan_id, r.id, e.id, e.document_id FROM evidence_files e JOIN plan_rows r ON r.id = e.row_id "
        "WHERE e.partnership_id = :b ORDER BY e.id LIMIT 2"
    ),
    ("area_id",): "SELECT id FROM business_areas WHERE partnership_id = :b ORDER BY id LIMIT 3",
    ("user_id",): "SELECT id FROM users WHERE partnership_id = :b ORDER BY id LIMIT 3",
    ("organisation_id",): "SELECT id FROM organisations WHERE partnership_id = :b ORDER BY id LIMIT 3",
    ("member_id",): "SELECT id FROM board_members WHERE partnership_id = :b ORDER BY id LIMIT 1",
    ("meeting_id", "item_id"): (
        "SELECT meeting_id, min(id) FROM agenda_items WHERE partnership_id = :b GROUP BY meeting_id "
        "ORDER BY meeting_id LIMIT 2"
    ),
    ("paper_id",): "SELECT id FROM meeting_papers WHERE partnership_id = :b ORDER BY id LIMIT 1",
    ("action_id",): "SELECT id FROM board_actions WHERE partnership_id = :b ORDER BY id LIMIT 1",
    ("case_id", "support_item_id", "case_review_id"): (
        "SELECT s.case_id, min(s.id), min(r.id) FROM channel_support_items s "
        "JOIN channel_post_closure_reviews r ON r.case_id = s.case_id WHERE s.partnership_id = :b "
        "GROUP BY s.case_id ORDER BY s.case_id LIMIT 2"
    ),
    ("panel_meeting_id",): "SELECT id FROM channel_panel_meetings WHERE partnership_id = :b ORDER BY id LIMIT 2",
    ("panel_member_id",): "SELECT id FROM channel_panel_members WHERE partnership_id = :b ORDER BY id LIMIT 1",
    ("session_id",): "SELECT id FROM training_sessions WHERE partnership_id = :b ORDER BY id LIMIT 2",
    ("headcount_id",): "SELECT id FROM training_headcounts WHERE partnership_id = :b ORDER BY id LIMIT 1",
    ("person_id",): "SELECT id FROM training_people WHERE partnership_id = :b ORDER BY id LIMIT 2",
    ("completion_id",): "SELECT id FROM training_completions WHERE partnership_id = :b ORDER BY id LIMIT 1",
    ("course_id",): "SELECT id FROM training_courses WHERE partnership_id = :b ORDER BY id LIMIT 2",
    ("facilitator_id",): "SELECT id FROM training_facilitators WHERE partnership_id = :b ORDER BY id LIMIT 1",
    ("assessment_id", "expectation_id", "year"): (
        "SELECT a.id, min(e.id), a.year FROM compliance_assessments a "
        "JOIN compliance_expectations e ON e.assessment_id = a.id WHERE a.partnership_id = :b "
        "GROUP BY a.id, a.year ORDER BY a.id"
    ),
    ("finding_id",): "SELECT id FROM compliance_findings WHERE partnership_id = :b ORDER BY id LIMIT 2",
    ("link_id",): "SELECT id FROM compliance_evidence_links WHERE partnership_id = :b ORDER BY id LIMIT 1",
}
assert set(B_RECORD_IDS) == set(RECORD_IDS), "keep the groups in step with the privacy sweep"

#: The second partnership's names and titles, each only where the first has no such string.
NAMED = [
    ("partnerships", "name", "id"),
    ("users", "full_name", "partnership_id"),
    ("users", "email", "partnership_id"),
    ("organisations", "name", "partnership_id"),
    ("business_areas", "name", "partnership_id"),
    ("plans", "title", "partnership_id"),
    ("training_people", "name", "partnership_id"),
    ("training_facilitators", "name", "partnership_id"),
    ("channel_panel_members", "member_name", "partnership_id"),
]


@pytest.fixture
def two_demos(app, tmp_path_factory):
    def build(app):
        with app.app_context():
            load_demo(2, second_places=parts().demo_second_places)
            db.session.commit()
            ids = list(db.session.scalars(select(Partnership.id).order_by(Partnership.id)))
        assert ids == [A, B]

    build_or_restore(app, _SNAPSHOT.setdefault("two", Snapshot(app, tmp_path_factory.mktemp("two"), "two")), build)


_SNAPSHOT: dict[str, Snapshot] = {}


def b_values(app, partnership: int = B) -> dict[str, list]:
    """Record ids of ``partnership`` (the second, unless told) for each URL argument."""
    values: dict[str, list] = {"part": ["agenda", "minutes", "pack"], "quarter": ["2026-q4"], "fmt": ["pdf", "xlsx"]}
    with app.app_context():
        for names, sql in B_RECORD_IDS.items():
            for row in db.session.execute(text(sql), {"b": partnership}).all():
                for name, value in zip(names, row, strict=True):
                    values.setdefault(name, [])
                    if value not in values[name]:
                        values[name].append(value)
    return values


def b_strings(app) -> dict[str, str]:
    found = {}
    with app.app_context():
        for table, column, key in NAMED:
            query = f"SELECT DISTINCT {column} FROM {table} WHERE {key} = :p AND {column} <> ''"
            theirs = set(db.session.scalars(text(query), {"p": B}))
            ours = set(db.session.scalars(text(query), {"p": A}))
            for value in theirs - ours:
                if len(value) >= 6:
                    found[value] = f"{table}.{column}"
    return found


ROLES = [role for role in Role if role in EMAILS]


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value)
def test_a_partnerships_users_reach_nothing_of_another(app, two_demos, role):
    forbidden = b_strings(app)
    # The second partnership is there to find: its people, organisations, areas and plans.
    assert {"users.full_name", "organisations.name", "business_areas.name", "plans.title"} <= set(forbidden.values())
    client = app.test_client()
    assert sign_in(client, EMAILS[role], DEMO_PASSWORD).status_code == 302
    theirs = b_values(app)
    no_ids = set(urls_without_records(app, role))
    with_ids = sorted(set(reachable_urls(app, role, theirs)) - no_ids)
    # A regional coordinator reads roll-ups only: no page of theirs takes a record's id.
    assert len(with_ids) >= 3 if role is not Role.REGIONAL_COORDINATOR else with_ids == []
    not_404 = []
    for url in with_ids:
        status = client.get(url).status_code
        if status != 404:
            not_404.append(f"{url}: {status}")
    assert not not_404, "another partnership's record answered:\n" + "\n".join(not_404[:30])

    # What the role reads: pages, files and exports without ids, and those of its own records
    # (a plan's PDF, a meeting's pack, a case's page), one or two of each kind.
    ours = set(reachable_urls(app, role, b_values(app, A)))
    leaks, opened = [], 0
    for url in sorted(no_ids | ours):
        response = client.get(url)
        if response.status_code != 200:
            continue
        opened += 1
        for where, body in texts_of(url, response.get_data(), response.content_type or ""):
            leaks += [f"{where}: {what} {needle!r}" for needle, what in forbidden.items() if needle in body]
    assert opened >= 3
    assert not leaks, f"{len(leaks)} of the other partnership's strings:\n" + "\n".join(sorted(set(leaks))[:30])


def urls_without_records(app, role: Role) -> list[str]:
    """The GET URLs the role may open that name no record: lists, home pages, exports, packs."""
    # A year is no record: the first partnership's own report for that year answers.
    fixed = {"part": ["agenda", "minutes", "pack"], "quarter": ["2026-q4"], "fmt": ["pdf", "xlsx"], "year": [2025]}
    urls = set(EXTRA_URLS)
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in NOT_CONTENT or not set(rule.arguments) <= set(fixed):
            continue
        allowed = EXPECTED[rule.endpoint]
        if allowed != PUBLIC and allowed != ALL and role not in allowed:
            continue
        names = sorted(rule.arguments)
        for combination in itertools.product(*(fixed[n] for n in names)):
            urls.add(rule.build(dict(zip(names, combination, strict=True)), append_unknown=False)[1])
    return sorted(urls)


def test_the_sweep_tries_every_kind_of_record(app, two_demos):
    """The second partnership has a record for every kind of id a route takes (else its routes
    would be left out of the sweep unnoticed)."""
    values = b_values(app)
    missing = {n for names in B_RECORD_IDS for n in names} - set(values)
    assert missing <= {"paper_id"}, missing  # the demo attaches no paper to a board meeting
    assert "board.download_paper" in NO_DEMO_RECORD


def test_an_unscoped_query_sees_nothing_foreign_on_postgresql(app, two_demos):
    """The second guard. Served as the first partnership, plain SQL (which the ORM's scoping
    never sees) asks for the second partnership's plans: PostgreSQL's row-level security gives
    none; SQLite, which has none, gives them all, and only the ORM scoping stands."""
    with app.app_context():
        total_b = db.session.scalar(text("SELECT count(*) FROM plans WHERE partnership_id = :b"), {"b": B})
        assert total_b > 0
        with tenancy.scoped(A):
            raw = db.session.scalar(text("SELECT count(*) FROM plans WHERE partnership_id = :b"), {"b": B})
            raw_people = db.session.scalar(text("SELECT count(*) FROM users WHERE partnership_id = :b"), {"b": B})
            orm = db.session.scalars(select(Plan).where(Plan.partnership_id == B)).all()
            partnerships = db.session.scalars(select(Partnership.name)).all()
            # An ORM query told to skip the scoping (as a forgotten scope would) meets RLS too.
            unscoped = db.session.scalars(
                select(Plan.partnership_id).distinct().execution_options(every_partnership=True)
            ).all()
        assert orm == []
        assert len(partnerships) == 1
        if db.engine.dialect.name == "postgresql":
            assert (raw, raw_people) == (0, 0)
            assert unscoped == [A]
        else:
            assert raw == total_b and raw_people > 0
            assert sorted(unscoped) == [A, B]


def test_a_write_into_another_partnership_is_refused(app, two_demos):
    """Served as the first partnership, a record of the second cannot be written, by the ORM
    (TenancyError) nor, on PostgreSQL, by plain SQL (row-level security's check)."""
    with app.app_context(), tenancy.scoped(A):
        with pytest.raises(tenancy.TenancyError):
            db.session.add(Plan(partnership_id=B, title="Slipped in", area_id=None, template="county"))
            db.session.flush()
        db.session.rollback()
        if db.engine.dialect.name == "postgresql":
            changed = db.session.execute(
                text("UPDATE plans SET title = 'Changed' WHERE partnership_id = :b"), {"b": B}
            ).rowcount
            assert changed == 0
            db.session.rollback()


def test_the_sweep_finds_what_is_there(app, two_demos):
    """The sweep can see the second partnership's strings: its own Prevent Lead finds them on its
    plans page and the organisations page (and the first's Lead, on the same pages, none)."""
    forbidden = b_strings(app)
    client = app.test_client()
    lead_email = EMAILS[Role.PREVENT_LEAD].replace("@", "@second.")
    assert sign_in(client, lead_email, DEMO_PASSWORD).status_code == 302
    seen = set()
    for url in ("/plans", "/partnership/organisations"):
        body = client.get(url).get_data(as_text=True)
        seen |= {what for needle, what in forbidden.items() if needle in body}
    assert {"plans.title", "organisations.name", "partnerships.name"} <= seen
