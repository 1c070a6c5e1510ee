"""Demo referral activity: two areas' counts for the last two quarters, by national category."""

from datetime import date

from core import clock
from spoc.models import BusinessArea
from spoc.services import recent_quarters, save_referral_counts

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
    quarters = recent_quarters(today or clock.today(), 3)[1:]  # the two quarters already ended
    for area_name, per_quarter in COUNTS.items():
        for quarter, counts in zip(quarters, per_quarter, strict=True):
            if counts:
                save_referral_counts(areas[area_name].id, quarter, counts)
