"""The eight sections of the Home Office Prevent duty toolkit for local authorities, with the
expectations a self-assessment rates under each (written in our own words)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    key: str
    number: int
    title: str
    expectations: tuple[str, ...]


SECTIONS: tuple[Section, ...] = (
    Section(
        "partnership_group",
        1,
        "Multi-agency partnership group",
        (
            "A multi-agency Prevent partnership group oversees delivery and meets at least quarterly.",
            "The specified authorities are represented and membership is reviewed every 12 months.",
        ),
    ),
    Section(
        "risk_assessment",
        2,
        "Local risk assessment process",
        (
            "The Counter Terrorism Local Profile is received and discussed by the partnership.",
            "Recommendations of the local risk assessment become actions in the partnership plan.",
        ),
    ),
    Section(
        "partnership_plan",
        3,
        "Partnership plan",
        (
            "Every business area with a SPOC keeps an active delivery plan.",
            "Plans are kept current and checked by the board every quarter.",
        ),
    ),
    Section(
        "referral_pathway",
        4,
        "Referral pathway",
        (
            "A clear referral pathway is published and known to frontline staff.",
            "Referral activity is recorded by business area and reported to the board.",
        ),
    ),
    Section(
        "channel_panel",
        5,
        "Channel panel",
        (
            "The Channel panel has current terms of reference, reviewed every year.",
            "Closed cases are reviewed at 6 and 12 months after closure.",
            "Case records are deleted six years after the concern was reported.",
        ),
    ),
    Section(
        "training",
        6,
        "Training programme",
        (
            "At least 90% of relevant staff in each organisation are WRAP-trained.",
            "Training is evaluated and refresher training offered when material changes.",
        ),
    ),
    Section(
        "permissive_environments",
        7,
        "Reducing permissive environments",
        (
            "A venue hire policy addresses the risk of extremist speakers.",
            "IT networks filter and monitor access to extremist material.",
        ),
    ),
    Section(
        "communications",
        8,
        "Communications and engagement",
        (
            "A communications plan explains Prevent to communities and partners.",
            "Community engagement informs the partnership's work.",
        ),
    ),
)

BY_KEY: dict[str, Section] = {s.key: s for s in SECTIONS}
