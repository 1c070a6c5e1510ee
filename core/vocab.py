"""Closed vocabularies shared across the domains, stored as strings."""

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    PREVENT_LEAD = "prevent_lead"
    SPOC = "spoc"
    BOARD_MEMBER = "board_member"
    PANEL_CHAIR = "panel_chair"
    PANEL_MEMBER = "panel_member"
    TRAINING_COORDINATOR = "training_coordinator"
    AUDITOR = "auditor"
    #: Sees roll-ups of the partnerships granted to them (partnership.models.RegionalGrant), and
    #: nothing of any partnership's rows, people or cases, their own partnership's included.
    REGIONAL_COORDINATOR = "regional_coordinator"

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
    Role.REGIONAL_COORDINATOR: "Regional Prevent coordinator",
}

_ROLE_HINTS = {
    Role.PREVENT_LEAD: "Administers the partnership, its users and the board",
    Role.SPOC: "Edits the plans of the business areas they lead or deputise for",
    Role.BOARD_MEMBER: "Reads board agendas, packs, minutes and plans",
    Role.PANEL_CHAIR: "Runs the Channel Panel; sees case details",
    Role.PANEL_MEMBER: "Sits on the Channel Panel; sees case details",
    Role.TRAINING_COORDINATOR: "Records training and headcounts",
    Role.AUDITOR: "Reads everything except personal case details; writes findings",
    Role.REGIONAL_COORDINATOR: "Sees roll-ups of the partnerships granted to them; no plan rows, people or cases",
}


class Rag(StrEnum):
    """RAG status of a plan row, with the two extra states some plans use. How each shows (label,
    GOV.UK tag, colour) is in RAG_LOOKS; no status at all shows as NOT_RATED (Rag.look_of)."""

    RED = "red"
    AMBER = "amber"
    GREEN = "green"
    COMPLETE = "complete"
    NOT_STARTED = "not_started"

    @property
    def label(self) -> str:
        return RAG_LOOKS[self].label

    @property
    def tag_colour(self) -> str:
        """GOV.UK tag modifier for this status (govuk-tag--<tag_colour>)."""
        return RAG_LOOKS[self].tag_colour

    @property
    def colour(self) -> str:
        """Hex colour for charts and the swatch beside the label in PDFs."""
        return RAG_LOOKS[self].colour

    @property
    def needs_reason(self) -> bool:
        """Moving a row to Red or Amber must be explained."""
        return self in (Rag.RED, Rag.AMBER)

    @classmethod
    def look_of(cls, status: "Rag | str | None") -> "RagLook":
        """How a stored status shows: a Rag or its value, or NOT_RATED for none (None, "", or
        "unset", the key roll-ups count rows without a status under)."""
        if not status or status == "unset":
            return NOT_RATED
        return RAG_LOOKS[cls(status)]


@dataclass(frozen=True)
class RagLook:
    """How a RAG status shows wherever it is printed."""

    label: str
    #: GOV.UK tag modifier on pages: govuk-tag--<tag_colour>.
    tag_colour: str
    #: Hex colour (GOV.UK Frontend's palette) for chart bars and the swatch in PDFs.
    colour: str


#: The one table of RAG colours: pages, charts, the board pack and compliance all read it, and
#: the components/macros.html rag_tag macro prints it. Amber is GOV.UK's orange, never yellow.
RAG_LOOKS: dict[Rag, RagLook] = {
    Rag.RED: RagLook("Red", "red", "#d4351c"),
    Rag.AMBER: RagLook("Amber", "orange", "#f47738"),
    Rag.GREEN: RagLook("Green", "green", "#00703c"),
    Rag.COMPLETE: RagLook("Complete", "blue", "#1d70b8"),
    Rag.NOT_STARTED: RagLook("Not started", "grey", "#b1b4b6"),
}
#: No status given yet (a plan row never rated, a compliance section not fully rated).
NOT_RATED = RagLook("Not rated", "grey", "#505a5f")


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
