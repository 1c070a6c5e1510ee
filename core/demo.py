"""The demo partnership: Cambridgeshire and Peterborough as in the 2019-2021 delivery strategy.

Organisations, business areas and roles follow the strategy; every person is fictional.
Each domain adds its own demo records here as it is built, so the demo shows every feature.
"""

from channel_panel.demo import load_channel
from core import accounts, clock
from core.extensions import db
from core.vocab import Role
from partnership.compliance.demo import load_compliance
from partnership.demo import load_board
from partnership.models import OrganisationKind, Partnership
from partnership.services import create_organisation
from plans.demo import load_plans
from spoc.demo import load_referrals
from spoc.services import create_area, set_user_areas
from training.demo import load_training

DEMO_PASSWORD = "Demo-Partnership-2026"  # noqa: S105 - printed for the demo on purpose  # nosec B105

#: One sign-in per role, printed by `make run`.
DEMO_LOGINS = [
    (Role.PREVENT_LEAD, "helen.marsh@cambridgeshire.example"),
    (Role.SPOC, "priya.natarajan@cambridgeshire.example"),
    (Role.BOARD_MEMBER, "margaret.hughes@peterborough.example"),
    (Role.PANEL_CHAIR, "joanna.price@peterborough.example"),
    (Role.PANEL_MEMBER, "kieran.walsh@cambs.police.example"),
    (Role.TRAINING_COORDINATOR, "nadia.kowalski@cambridgeshire.example"),
    (Role.AUDITOR, "owen.pritchard@audit.example"),
]

ORGANISATIONS = [
    ("Peterborough City Council", OrganisationKind.LOCAL_AUTHORITY, "PCC"),
    ("Cambridgeshire County Council", OrganisationKind.LOCAL_AUTHORITY, "CCC"),
    ("Cambridgeshire Constabulary", OrganisationKind.POLICE, "Police"),
    ("Cambridgeshire and Peterborough NHS Foundation Trust", OrganisationKind.HEALTH, "CPFT"),
    ("Cambridgeshire and Peterborough Clinical Commissioning Group", OrganisationKind.HEALTH, "CCG"),
    ("Probation Service (Cambridgeshire and Peterborough)", OrganisationKind.PRISON_PROBATION, "Probation"),
    ("HM Prison Peterborough", OrganisationKind.PRISON_PROBATION, "HMP"),
    ("Cambridgeshire Fire and Rescue Service", OrganisationKind.FIRE, "Fire"),
    ("Cambridge City Council", OrganisationKind.DISTRICT_COUNCIL, "Cambridge"),
    ("East Cambridgeshire District Council", OrganisationKind.DISTRICT_COUNCIL, "ECDC"),
    ("Fenland District Council", OrganisationKind.DISTRICT_COUNCIL, "Fenland"),
    ("Huntingdonshire District Council", OrganisationKind.DISTRICT_COUNCIL, "HDC"),
    ("South Cambridgeshire District Council", OrganisationKind.DISTRICT_COUNCIL, "SCDC"),
    ("Peterborough Pupil Referral Service", OrganisationKind.SCHOOL, "PRS"),
]

#: (area, owning organisation short name)
AREAS = [
    ("County Lead", "CCC"),
    ("Education", "PCC"),
    ("Children's social care", "PCC"),
    ("Adult social care", "CCC"),
    ("MET Hub", "PCC"),
    ("Health and Clinical Commissioning Groups", "CCG"),
    ("Cambridgeshire and Peterborough Foundation Trust", "CPFT"),
    ("Youth Offending", "PCC"),
    ("Cohesion", "PCC"),
]

#: (name, email, job title, organisation, roles, [(area, capacity)])
PEOPLE = [
    (
        "Helen Marsh",
        "helen.marsh@cambridgeshire.example",
        "Assistant Director Community Safety (PCC/CCC)",
        "CCC",
        [Role.PREVENT_LEAD, Role.SPOC],
        [("County Lead", "spoc")],
    ),
    (
        "Daniel Okafor",
        "daniel.okafor@peterborough.example",
        "Executive Head, Pupil Referral Service",
        "PRS",
        [Role.SPOC, Role.PANEL_MEMBER],
        [("Education", "spoc")],
    ),
    (
        "Priya Natarajan",
        "priya.natarajan@cambridgeshire.example",
        "Education Safeguarding Lead",
        "CCC",
        [Role.SPOC],
        [("Education", "spoc")],
    ),
    (
        "Tom Baxter",
        "tom.baxter@peterborough.example",
        "Early Intervention Manager",
        "PCC",
        [Role.SPOC],
        [("Education", "deputy")],
    ),
    (
        "Fiona Reid",
        "fiona.reid@peterborough.example",
        "Head of Service, MASH",
        "PCC",
        [Role.SPOC],
        [("Children's social care", "spoc")],
    ),
    (
        "Gareth Lewis",
        "gareth.lewis@peterborough.example",
        "Head of Adult Safeguarding",
        "PCC",
        [Role.SPOC],
        [("Adult social care", "spoc")],
    ),
    (
        "Amira Haddad",
        "amira.haddad@cambridgeshire.example",
        "Adult Social Care Service Manager",
        "CCC",
        [Role.SPOC],
        [("Adult social care", "spoc")],
    ),
    (
        "Sophie Turner",
        "sophie.turner@peterborough.example",
        "Senior Social Worker, MET Hub",
        "PCC",
        [Role.SPOC],
        [("MET Hub", "spoc")],
    ),
    (
        "Ruth Evans",
        "ruth.evans@ccg.example",
        "Designated Nurse, Safeguarding Adults",
        "CCG",
        [Role.SPOC],
        [("Health and Clinical Commissioning Groups", "spoc")],
    ),
    (
        "Marcus Bell",
        "marcus.bell@cpft.example",
        "Service Manager",
        "CPFT",
        [Role.SPOC],
        [("Cambridgeshire and Peterborough Foundation Trust", "spoc")],
    ),
    (
        "Joanna Price",
        "joanna.price@peterborough.example",
        "Head of Youth Support Services (PCC/CCC)",
        "PCC",
        [Role.SPOC, Role.PANEL_CHAIR],
        [("Youth Offending", "spoc")],
    ),
    (
        "Imran Siddiqui",
        "imran.siddiqui@peterborough.example",
        "Cohesion Lead (PCC/CCC)",
        "PCC",
        [Role.SPOC],
        [("Cohesion", "spoc")],
    ),
    (
        "Cllr Margaret Hughes",
        "margaret.hughes@peterborough.example",
        "Elected member lead for Prevent",
        "PCC",
        [Role.BOARD_MEMBER],
        [],
    ),
    (
        "Cllr Brian Fletcher",
        "brian.fletcher@cambridgeshire.example",
        "Elected member lead for Prevent",
        "CCC",
        [Role.BOARD_MEMBER],
        [],
    ),
    (
        "Kieran Walsh",
        "kieran.walsh@cambs.police.example",
        "Police Channel Co-ordinator",
        "Police",
        [Role.PANEL_MEMBER, Role.BOARD_MEMBER],
        [],
    ),
    (
        "Nadia Kowalski",
        "nadia.kowalski@cambridgeshire.example",
        "Prevent Training Coordinator",
        "CCC",
        [Role.TRAINING_COORDINATOR],
        [],
    ),
    ("Owen Pritchard", "owen.pritchard@audit.example", "Senior Internal Auditor", None, [Role.AUDITOR], []),
]


def load_demo() -> None:
    """Add the demo partnership to an empty database (the caller commits)."""
    partnership = Partnership(name="Cambridgeshire and Peterborough Prevent Partnership")
    db.session.add(partnership)
    db.session.flush()
    organisations = {
        short: create_organisation(partnership_id=partnership.id, name=name, kind=kind.value, short_name=short)
        for name, kind, short in ORGANISATIONS
    }
    areas = {
        name: create_area(
            partnership_id=partnership.id,
            name=name,
            organisation_id=organisations[owner].id,
            contact_email="",
            contact_phone="",
        )
        for name, owner in AREAS
    }
    users = {}
    for name, email, title, org, roles, assignments in PEOPLE:
        user = accounts.create_user(
            email=email,
            full_name=name,
            job_title=title,
            organisation_id=organisations[org].id if org else None,
            password=DEMO_PASSWORD,
            roles=roles,
            must_change_password=False,
        )
        set_user_areas(
            user,
            lead_ids=[areas[a].id for a, capacity in assignments if capacity == "spoc"],
            deputy_ids=[areas[a].id for a, capacity in assignments if capacity == "deputy"],
        )
        users[email] = user
    for area in areas.values():
        db.session.refresh(area)  # load the SPOC assignments just made
    load_plans(areas=areas, users=users)
    load_referrals(areas=areas)
    load_channel(organisations=organisations, users=users, today=clock.today())
    load_board(partnership=partnership, organisations=organisations, users=users, today=clock.today())
    load_training(organisations=organisations, today=clock.today())
    load_compliance(partnership=partnership, users=users, today=clock.today())
    from core.reminders import load_demo_reminders

    load_demo_reminders(opt_out_email="nadia.kowalski@cambridgeshire.example", today=clock.today())
