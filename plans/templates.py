"""Plan templates: which columns a plan shows and what it calls them.

Every plan row can hold every field below; a template chooses and names the ones its
source documents use, so no source column is lost and no empty column is forced on a reader.
"""

from dataclasses import dataclass

#: field -> (default heading, kind). Kinds: text, list, date, rag.
FIELDS: dict[str, tuple[str, str]] = {
    "reference": ("Ref", "text"),
    "duty": ("Duty", "text"),
    "actions": ("Actions", "list"),
    "impact": ("Impact", "list"),
    "leads": ("Lead", "list"),
    "responsible_agency": ("Responsible agency", "list"),
    "timescale": ("Timescale", "text"),
    "due_date": ("Due date", "date"),
    "progress": ("Progress", "list"),
    "evidence": ("Evidence", "list"),
    "next_steps": ("Next steps", "list"),
    "rag": ("RAG", "rag"),
}

#: Fields a person edits on the row form (progress and RAG are recorded as updates).
ROW_FORM_FIELDS = [f for f in FIELDS if f not in ("progress", "rag")]


@dataclass(frozen=True)
class Template:
    name: str
    label: str
    description: str
    columns: tuple[tuple[str, str], ...]


TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in [
        Template(
            "spoc",
            "Cambridgeshire SPOC action plan",
            "Duty, Actions, Impact, Lead, Progress, Evidence and RAG, as in the Peterborough Education plan.",
            (
                ("duty", "Duty"),
                ("actions", "Actions"),
                ("impact", "Impact"),
                ("leads", "Lead"),
                ("progress", "Progress"),
                ("evidence", "Evidence"),
                ("due_date", "Due date"),
                ("rag", "RAG"),
            ),
        ),
        Template(
            "county",
            "County delivery plan",
            "Themed sections with Area, Responsible agency, Timescale, Expected outcomes and Updates.",
            (
                ("actions", "Area"),
                ("responsible_agency", "Responsible agency"),
                ("timescale", "Timescale"),
                ("impact", "Expected outcomes"),
                ("progress", "Updates"),
                ("due_date", "Due date"),
                ("rag", "RAG"),
            ),
        ),
        Template(
            "kent",
            "Numbered risk-area plan",
            "Numbered rows with Risk area, Action taken, Next steps, Lead (initials with a key) and RAG.",
            (
                ("reference", "No."),
                ("duty", "Risk area"),
                ("actions", "Action taken to mitigate/address risk"),
                ("next_steps", "Next steps"),
                ("leads", "Lead"),
                ("due_date", "Due date"),
                ("rag", "R A G"),
            ),
        ),
        Template(
            "custom",
            "Custom",
            "Every column; rename or drop columns to match your own format.",
            tuple((field, heading) for field, (heading, _) in FIELDS.items()),
        ),
    ]
}


def default_columns(template: str) -> list[list[str]]:
    return [list(c) for c in TEMPLATES[template].columns]
