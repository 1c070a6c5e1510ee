"""The demo partnership: Cambridgeshire and Peterborough as in the 2019-2021 delivery strategy.

Organisations and roles follow the strategy; every person is fictional. The partnership, its
organisations and its people's accounts are loaded here first; each domain adds its own records
after (core.demo runs the loaders in the order of config.PACKAGES).
"""

from core import accounts, tenancy
from core.dates import add_months
from core.demo import DEMO_PASSWORD
from core.extensions import db
from core.registry import DemoContext
from core.vocab import Role
from partnership.models import OrganisationKind, Partnership
from partnership.services import create_organisation

#: One sign-in per role, printed by `make run`.
DEMO_LOGINS = [
    (Role.PREVENT_LEAD, "helen.marsh@cambridgeshire.example"),
    (Role.SPOC, "priya.natarajan@cambridgeshire.example"),
    (Role.BOARD_MEMBER, "margaret.hughes@peterborough.example"),
    (Role.PANEL_CHAIR, "joanna.price@peterborough.example"),
    (Role.PANEL_MEMBER, "kieran.walsh@cambs.police.example"),
    (Role.TRAINING_COORDINATOR, "nadia.kowalski@cambridgeshire.example"),
    (Role.AUDITOR, "owen.pritchard@audit.example"),
    (Role.REGIONAL_COORDINATOR, "priya.raman@region.example"),
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
    # Granted the partnership's roll-ups by region/demo.py.
    (
        "Priya Raman",
        "priya.raman@region.example",
        "Regional Prevent Coordinator, East of England",
        None,
        [Role.REGIONAL_COORDINATOR],
        [],
    ),
]


#: The demo partnership's name, and the second one's (`flask demo-data --partnerships 2`).
DEMO_NAMES = {
    1: "Cambridgeshire and Peterborough Prevent Partnership",
    2: "Fenmarsh and Wellsbridge Prevent Partnership",
}
#: The second demo partnership's places, put for the first's wherever they appear in its records.
SECOND_PLACES = {
    "Cambridgeshire": "Fenmarsh",
    "Peterborough": "Wellsbridge",
    "Cambridge": "Ouseford",
    "Huntingdonshire": "Marshland",
    "Huntingdon": "Marshby",
    "Fenland": "Lodeside",
}


def load_partnership(demo: DemoContext) -> None:
    """The partnership, its member organisations and everyone's account (the caller commits)."""
    demo.partnership = Partnership(name=DEMO_NAMES[demo.variant])
    db.session.add(demo.partnership)
    db.session.flush()
    tenancy.set_scope(tenancy.Scope.of(demo.partnership.id))  # everything after is this partnership's
    demo.organisations = {
        short: create_organisation(partnership_id=demo.partnership.id, name=name, kind=kind.value, short_name=short)
        for name, kind, short in ORGANISATIONS
    }
    for name, email, title, org, roles, _areas in PEOPLE:
        demo.users[email] = accounts.create_user(
            email=demo.email(email),
            full_name=name,
            job_title=title,
            organisation_id=demo.organisations[org].id if org else None,
            password=DEMO_PASSWORD,
            roles=roles,
            must_change_password=False,
        )
    _former_accounts(demo)


def _former_accounts(demo: DemoContext) -> None:
    """Two deactivated accounts: one deactivated 26 months ago, past the 24 months after which
    `flask retention run` redacts its name and email; one deactivated last month."""
    for name, email, months in (
        ("Derek Oldfield", "derek.oldfield@peterborough.example", 26),
        ("Sunita Leftrecently", "sunita.leftrecently@cambridgeshire.example", 1),
    ):
        user = accounts.create_user(
            email=demo.email(email),
            full_name=name,
            job_title="Former Education SPOC",
            organisation_id=demo.organisations["PCC"].id,
            password=DEMO_PASSWORD,
            roles=[Role.SPOC],
            must_change_password=False,
        )
        accounts.deactivate_user(user)
        user.deactivated_on = add_months(demo.today, -months)
    db.session.flush()
