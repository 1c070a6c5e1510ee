"""Closed vocabularies shared across the domains, stored as strings."""

from enum import StrEnum


class Role(StrEnum):
    PREVENT_LEAD = "prevent_lead"
    SPOC = "spoc"
    BOARD_MEMBER = "board_member"
    PANEL_CHAIR = "panel_chair"
    PANEL_MEMBER = "panel_member"
    TRAINING_COORDINATOR = "training_coordinator"
    AUDITOR = "auditor"

    @property
    def label(self) -> str:
        return _ROLE_LABELS[self]

    @property
    def hint(self) -> str:
        return _ROLE_HINTS[self]


_ROLE_LABELS = {
    Role.PREVENT_LEAD: "Prevent Lead",
    Role.SPOC: "SPOC (single point of contact)",
    Role.BOARD_MEMBER: "Board member",
    Role.PANEL_CHAIR: "Channel Panel chair",
    Role.PANEL_MEMBER: "Channel Panel member",
    Role.TRAINING_COORDINATOR: "Training coordinator",
    Role.AUDITOR: "Auditor",
}

_ROLE_HINTS = {
    Role.PREVENT_LEAD: "Administers the partnership, its users and the board",
    Role.SPOC: "Edits the plans of the business areas they lead or deputise for",
    Role.BOARD_MEMBER: "Reads board agendas, packs, minutes and plans",
    Role.PANEL_CHAIR: "Runs the Channel Panel; sees case details",
    Role.PANEL_MEMBER: "Sits on the Channel Panel; sees case details",
    Role.TRAINING_COORDINATOR: "Records training and headcounts",
    Role.AUDITOR: "Reads everything except personal case details; writes findings",
}


class Rag(StrEnum):
    """RAG status of a plan row, with the two extra states some plans use."""

    RED = "red"
    AMBER = "amber"
    GREEN = "green"
    COMPLETE = "complete"
    NOT_STARTED = "not_started"

    @property
    def label(self) -> str:
        return {
            "red": "Red",
            "amber": "Amber",
            "green": "Green",
            "complete": "Complete",
            "not_started": "Not started",
        }[self.value]

    @property
    def tag_colour(self) -> str:
        """GOV.UK tag modifier for this status."""
        return {
            "red": "red",
            "amber": "orange",
            "green": "green",
            "complete": "blue",
            "not_started": "grey",
        }[self.value]

    @property
    def needs_reason(self) -> bool:
        """Moving a row to Red or Amber must be explained."""
        return self in (Rag.RED, Rag.AMBER)


class Marking(StrEnum):
    """Government Security Classification markings used on pages and PDFs."""

    OFFICIAL = "OFFICIAL"
    OFFICIAL_SENSITIVE = "OFFICIAL-SENSITIVE"


#: The categories the Home Office uses for individuals referred to Prevent, so local counts
#: in board packs compare with the national statistics. dimension -> [(value, label)].
REFERRAL_CATEGORIES: dict[str, list[tuple[str, str]]] = {
    "sector": [
        ("education", "Education"),
        ("police", "Police"),
        ("local_authority", "Local authority"),
        ("health", "Health"),
        ("community", "Community"),
        ("family_friends", "Family and friends"),
        ("prison_probation", "Prison and probation"),
        ("other", "Other"),
    ],
    "concern": [
        ("islamist", "Islamist"),
        ("extreme_right_wing", "Extreme right-wing"),
        ("mixed_unclear_unstable", "Mixed, unclear or unstable"),
        ("conflicted", "Conflicted"),
        ("school_massacre", "School massacre"),
        ("left_wing_anarchist_single_issue", "Left wing, anarchist or single issue"),
        ("other", "Other"),
    ],
    "age_band": [
        ("under_15", "Under 15"),
        ("15_20", "15 to 20"),
        ("21_30", "21 to 30"),
        ("31_40", "31 to 40"),
        ("41_50", "41 to 50"),
        ("51_60", "51 to 60"),
        ("61_plus", "61 and over"),
        ("unknown", "Not known"),
    ],
    "gender": [("male", "Male"), ("female", "Female"), ("other", "Other or not known")],
}

REFERRAL_DIMENSION_LABELS = {
    "sector": "Referring sector",
    "concern": "Type of concern",
    "age_band": "Age band",
    "gender": "Gender",
}
