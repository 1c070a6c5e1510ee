"""The figures beside each regional chart, as rows of text: the same on the page and in the pack."""

from core.vocab import Rag
from region.rollups import CHANNEL_MEASURES, RegionalRollup

#: The RAG columns of the plan table, in the order pages list them, then rows with no status.
RAG_COLUMNS = [(value, Rag.look_of(value).label) for value in [*(rag.value for rag in Rag), "unset"]]


def _percent(value) -> str:
    return "No headcount" if value is None else f"{value}%"


def measure_tables(rollup: RegionalRollup) -> dict[str, dict]:
    """measure -> {"headings": [...], "rows": [[...], ...]} (the first cell of a row names the partnership)."""
    ps = rollup.partnerships
    return {
        "rag": {
            "headings": ["Partnership", *(label for _, label in RAG_COLUMNS), "All rows"],
            "rows": [
                [p.name, *(str(p.plans.by_rag.get(value, 0)) for value, _ in RAG_COLUMNS), str(p.plans.rows)]
                for p in ps
            ],
        },
        "red_amber": {
            "headings": ["Partnership", "Red", "Amber", "All rows"],
            "rows": [
                [
                    p.name,
                    str(p.plans.by_rag.get(Rag.RED.value, 0)),
                    str(p.plans.by_rag.get(Rag.AMBER.value, 0)),
                    str(p.plans.rows),
                ]
                for p in ps
            ],
        },
        "overdue": {
            "headings": ["Partnership", "Overdue rows", "All rows"],
            "rows": [[p.name, str(p.plans.overdue), str(p.plans.rows)] for p in ps],
        },
        "stale": {
            "headings": ["Partnership", "Stale rows", "All rows"],
            "rows": [[p.name, str(p.plans.stale), str(p.plans.rows)] for p in ps],
        },
        "coverage": {
            "headings": ["Partnership", "Trained", "Headcount", "Coverage", "Target", "Status"],
            "rows": [
                [
                    p.name,
                    str(p.coverage.trained),
                    str(p.coverage.headcount),
                    _percent(p.coverage.percent),
                    f"{p.coverage.settings.target_percent}%",
                    Rag.look_of(p.coverage.rag).label if p.coverage.rag else "No headcount",
                ]
                for p in ps
            ],
        },
        "referrals": {
            "headings": ["Partnership", "Referrals"],
            "rows": [[p.name, str(p.channel["referrals"])] for p in ps],
        },
        "coverage_percent": {
            "headings": ["Partnership", "Coverage", "Target"],
            "rows": [[p.name, _percent(p.coverage.percent), f"{p.coverage.settings.target_percent}%"] for p in ps],
        },
        "channel": {
            "headings": ["Partnership", *(label for _, label in CHANNEL_MEASURES)],
            "rows": [[p.name, *(str(p.channel[key]) for key, _ in CHANNEL_MEASURES)] for p in ps],
        },
    }
