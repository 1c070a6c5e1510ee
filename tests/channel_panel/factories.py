"""Channel Panel test data. Cases are made through the services (so each has its anonymised log
entry, as every real case does); the individuals' names are fictional and easy to search for."""

from datetime import date, timedelta

import factory

from channel_panel import services
from channel_panel.models import ChannelCase, PanelMeeting, PanelMember
from channel_panel.services import CaseDetails
from channel_panel.vocab import PanelRole
from tests.factories import BaseFactory, OrganisationFactory

#: Names that must never appear outside the personal details pages.
SECRET_NAMES = ["Zephyr Leakcheck", "Marigold Notshown"]
SECRET_ADDRESS = "7 Hidden Close, Nowhere NW1 0ZZ"


class PanelMemberFactory(BaseFactory):
    class Meta:
        model = PanelMember

    role = PanelRole.CHANNEL_LEAD.value
    member_name = factory.Sequence(lambda n: f"Panel Member {n}")
    deputy_name = factory.Sequence(lambda n: f"Panel Deputy {n}")
    organisation = factory.SubFactory(OrganisationFactory)


class PanelMeetingFactory(BaseFactory):
    class Meta:
        model = PanelMeeting

    held_on = factory.Sequence(lambda n: date(2026, 1, 13) + timedelta(days=28 * n))
    place = "Town Hall"


def details(**overrides) -> CaseDetails:
    values = {
        "concern_reported_on": date(2026, 1, 5),
        "referral_date": date(2026, 1, 8),
        "referring_sector": "education",
        "concern_type": "extreme_right_wing",
        "age_band": "15_20",
        "gender": "male",
        "life_stage": "child",
        "individual_type": "school_pupil",
        "department": "Year 10",
    }
    values.update(overrides)
    return CaseDetails(**values)


def new_case(*, today: date = date(2026, 11, 20), reference: str = "", name: str | None = None, **overrides):
    """A case at the referral stage (with personal details when ``name`` is given)."""
    personal = None
    if name:
        personal = {"full_name": name, "date_of_birth": date(2010, 2, 3), "address": SECRET_ADDRESS}
    return services.create_case(details=details(**overrides), today=today, reference=reference, personal=personal)


def adopted_case(*, today: date = date(2026, 11, 20), adopted_on: date | None = None, **kwargs) -> ChannelCase:
    """A case screened, discussed and adopted, with consent given."""
    case = new_case(today=today, **kwargs)
    start = case.referral_date
    adopted_on = adopted_on or start + timedelta(days=14)
    services.change_stage(case, stage="screening", on=start + timedelta(days=1), today=today)
    services.change_stage(case, stage="discussed", on=min(adopted_on, start + timedelta(days=7)), today=today)
    services.change_stage(case, stage="adopted", on=adopted_on, today=today)
    services.record_consent(case, consent="given", on=adopted_on, today=today)
    return case


def closed_case(*, closed_on: date, today: date = date(2026, 11, 20), **kwargs) -> ChannelCase:
    """An adopted case closed on ``closed_on`` (its reviews scheduled)."""
    kwargs.setdefault("concern_reported_on", closed_on - timedelta(days=90))
    kwargs.setdefault("referral_date", closed_on - timedelta(days=80))
    case = adopted_case(today=today, **kwargs)
    services.close_case(case, closed_on=closed_on, reason="support_completed", today=today)
    return case
