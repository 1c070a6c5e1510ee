"""Demo business areas (as in the delivery strategy) with their SPOCs and deputies, and two areas'
referral counts for the last two quarters, by national category."""

from datetime import date

from core import clock
from core.dates import Quarter
from core.extensions import db
from core.registry import DemoContext
from partnership.demo import PEOPLE
from partnership.models import BusinessArea
from spoc.services import create_area, save_referral_counts, set_user_areas

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

#: area -> counts for [last quarter, the quarter before]; each dimension adds up to the same total.
COUNTS = {
    "Education": [
        {
            ("sector", "education"): 4,
            ("concern", "extreme_right_wing"): 2,
            ("concern", "mixed_unclear_unstable"): 1,
            ("concern", "islamist"): 1,
            ("age_band", "under_15"): 3,
            ("age_band", "15_20"): 1,
            ("gender", "male"): 4,
        },
        {
            ("sector", "education"): 3,
            ("concern", "mixed_unclear_unstable"): 2,
            ("concern", "school_massacre"): 1,
            ("age_band", "under_15"): 2,
            ("age_band", "15_20"): 1,
            ("gender", "male"): 2,
            ("gender", "female"): 1,
        },
    ],
    "Children's social care": [
        {
            ("sector", "local_authority"): 2,
            ("concern", "extreme_right_wing"): 1,
            ("concern", "conflicted"): 1,
            ("age_band", "15_20"): 2,
            ("gender", "male"): 1,
            ("gender", "female"): 1,
        },
        {},
    ],
}


def load_referrals(*, areas: dict[str, BusinessArea], today: date | None = None) -> None:
    quarters = Quarter.from_date(today or clock.today()).previous().back(2)  # the two quarters already ended
    for area_name, per_quarter in COUNTS.items():
        for quarter, counts in zip(quarters, per_quarter, strict=True):
            if counts:
                save_referral_counts(areas[area_name].id, quarter, counts)


def load_areas(demo: DemoContext) -> None:
    """The business areas, and each demo person's SPOC and deputy assignments (the caller commits)."""
    demo.areas = {
        name: create_area(
            partnership_id=demo.partnership.id,
            name=name,
            organisation_id=demo.organisations[owner].id,
            contact_email="",
            contact_phone="",
        )
        for name, owner in AREAS
    }
    for _name, email, _title, _org, _roles, assignments in PEOPLE:
        set_user_areas(
            demo.users[email],
            lead_ids=[demo.areas[a].id for a, capacity in assignments if capacity == "spoc"],
            deputy_ids=[demo.areas[a].id for a, capacity in assignments if capacity == "deputy"],
        )
    for area in demo.areas.values():
        db.session.refresh(area)  # load the SPOC assignments just made
