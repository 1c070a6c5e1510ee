"""`flask region grant|revoke|list|pack`: clear errors, nothing half-saved, every change audited."""

from types import SimpleNamespace

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from core import tenancy
from core.audit import AuditEntry
from core.extensions import db
from core.vocab import Role
from partnership.models import RegionalGrant
from tests.factories import PartnershipFactory, UserFactory


@pytest.fixture
def two(app) -> SimpleNamespace:
    with app.app_context():
        north = PartnershipFactory(name="Northshire Prevent Partnership")
        south = PartnershipFactory(name="Southshire Prevent Partnership")
        db.session.flush()
        with tenancy.scoped(south.id):
            UserFactory(
                email="coordinator@region.example", full_name="Rowan Regional", roles=[Role.REGIONAL_COORDINATOR]
            )
            UserFactory(email="spoc@south.example", roles=[Role.SPOC])
        db.session.commit()
        return SimpleNamespace(north=north.id, south=south.id)


def run(app, *args):
    return app.test_cli_runner().invoke(args=["region", *args])


def grants(app) -> list[tuple[str, int]]:
    with app.app_context(), tenancy.scoped(tenancy.ALL):
        from core.models import User

        return [
            tuple(row)
            for row in db.session.execute(
                select(User.email, RegionalGrant.partnership_id)
                .join(User, User.id == RegionalGrant.user_id)
                .order_by(RegionalGrant.partnership_id)
            )
        ]


def audit(app) -> list[tuple[str, int | None, str]]:
    with app.app_context(), tenancy.scoped(tenancy.ALL):
        return [
            tuple(row)
            for row in db.session.execute(
                select(AuditEntry.action, AuditEntry.partnership_id, AuditEntry.actor_label)
                .where(AuditEntry.entity == "regional_grants")
                .order_by(AuditEntry.id)
            )
        ]


def test_grant_list_and_revoke_are_audited_in_the_partnership_opened(app, two):
    result = run(app, "grant", "Coordinator@Region.example", "--partnership", "Northshire Prevent Partnership")
    assert result.exit_code == 0, result.output
    assert "coordinator@region.example now sees the roll-ups of Northshire Prevent Partnership." in result.output
    assert run(app, "grant", "coordinator@region.example", "--partnership", str(two.south)).exit_code == 0
    assert grants(app) == [("coordinator@region.example", two.north), ("coordinator@region.example", two.south)]

    listed = run(app, "list").output
    north = f"Northshire Prevent Partnership ({two.north}): Rowan Regional <coordinator@region.example>"
    assert f"{north}, granted 16 November 2026" in listed
    assert f"Southshire Prevent Partnership ({two.south}): Rowan Regional" in listed

    result = run(app, "revoke", "coordinator@region.example", "--partnership", "northshire prevent partnership")
    assert result.exit_code == 0, result.output
    assert grants(app) == [("coordinator@region.example", two.south)]
    assert audit(app) == [
        ("insert", two.north, "flask region grant"),
        ("insert", two.south, "flask region grant"),
        ("delete", two.north, "flask region revoke"),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["grant", "nobody@region.example", "--partnership", "1"],
            "No account has the email address nobody@region.example",
        ),
        (
            ["grant", "spoc@south.example", "--partnership", "1"],
            "spoc@south.example is not a Regional Prevent coordinator: give the account that role first",
        ),
        (
            ["grant", "coordinator@region.example", "--partnership", "Eastshire"],
            "No partnership is called or numbered 'Eastshire'",
        ),
        (
            ["grant", "coordinator@region.example"],
            "This deployment has several partnerships: say which with --partnership",
        ),
        (
            ["revoke", "coordinator@region.example", "--partnership", "2"],
            "coordinator@region.example has no regional access to",
        ),
    ],
)
def test_a_grant_that_cannot_be_made_says_why_and_saves_nothing(app, two, args, message):
    result = run(app, *args)
    assert result.exit_code == 1
    assert message in result.output
    assert grants(app) == []
    assert audit(app) == []


def test_granting_twice_is_refused_and_the_first_grant_stands(app, two):
    assert run(app, "grant", "coordinator@region.example", "--partnership", str(two.north)).exit_code == 0
    result = run(app, "grant", "coordinator@region.example", "--partnership", str(two.north))
    assert result.exit_code == 1
    assert "coordinator@region.example already has regional access to Northshire Prevent Partnership" in result.output
    assert grants(app) == [("coordinator@region.example", two.north)]
    assert len(audit(app)) == 1


def test_a_deactivated_coordinator_cannot_be_granted_but_can_be_revoked(app, two):
    assert run(app, "grant", "coordinator@region.example", "--partnership", str(two.north)).exit_code == 0
    with app.app_context(), tenancy.scoped(two.south):
        from core.models import User

        db.session.scalar(select(User).where(User.email == "coordinator@region.example")).active = False
        db.session.commit()
    result = run(app, "grant", "coordinator@region.example", "--partnership", str(two.south))
    assert result.exit_code == 1 and "coordinator@region.example is deactivated" in result.output
    assert run(app, "revoke", "coordinator@region.example", "--partnership", str(two.north)).exit_code == 0
    assert grants(app) == []


def test_the_pack_command_writes_the_coordinators_partnerships(app, two, tmp_path):
    assert run(app, "grant", "coordinator@region.example", "--partnership", str(two.north)).exit_code == 0
    out = tmp_path / "region.pdf"
    result = run(app, "pack", "-o", str(out), "--for", "coordinator@region.example")
    assert result.exit_code == 0, result.output
    text = "\n".join(page.extract_text() for page in PdfReader(out).pages)
    assert "Northshire Prevent Partnership" in text and "Southshire" not in text
    bad = run(app, "pack", "-o", str(tmp_path / "region.txt"), "--for", "nobody@region.example")
    assert bad.exit_code == 1
    assert (
        "-o: the file name must end in .pdf" in bad.output and "--for: No account has the email address" in bad.output
    )
