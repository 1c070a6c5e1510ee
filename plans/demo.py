"""Demo plans: the strategy's Peterborough Education plan and county delivery plan, a plan in
the numbered risk-area format, and short plans for the other areas, with progress history,
RAG changes with reasons, due dates (some overdue), and an evidence file with two revisions.

The three source plans are imported from the spreadsheets in tests/fixtures/plans, made from
the documents in shared/seeds, so the demo also shows the importer at work; so is a Cohesion
plan kept in a spreadsheet layout of its own (its own columns kept, section rows, list markers),
then updated from its edited XLSX export as a SPOC would each quarter.
"""

import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from openpyxl import load_workbook

from core import clock
from core.dates import Quarter
from core.models import User
from core.spreadsheets import read_table
from core.uploads import check_upload
from partnership.models import BusinessArea
from plans import exports, reimport, services
from plans.imports import guess_mapping, import_plan, parse, read_lead_key
from plans.models import Plan, PlanRow, PlanStatus

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "plans"


def _import(filename: str, *, template: str, area: BusinessArea | None, title: str, period: str, lead_key=None) -> Plan:
    data = (FIXTURES / filename).read_bytes()
    header, _ = read_table(filename, data)
    parsed = parse(filename, data, template=template, mapping=guess_mapping(header, template))
    return import_plan(
        parsed=parsed,
        area_id=area.id if area else None,
        template=template,
        title=title,
        period=period,
        lead_key=lead_key,
    )


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, 30, tzinfo=UTC)


def _quarter_ago(today: date, days: int) -> date:
    return Quarter.from_date(today).start - timedelta(days=days)


#: (area, title, [(duty, actions, due in days or None, [(days ago, rag, reason, update)])])
SHORT_PLANS = [
    (
        "Children's social care",
        "Children's Social Care Prevent Action Plan 2026-2027",
        [
            (
                "Screen every Prevent referral through the MASH",
                ["Prevent screening added to MASH triage"],
                60,
                [(40, "green", "", "Screening in place for all referrals")],
            ),
            (
                "Train frontline social workers in WRAP",
                ["Book quarterly WRAP sessions"],
                -10,
                [
                    (150, "green", "", "Two sessions booked"),
                    (20, "amber", "Trainer unavailable in October", "One session cancelled"),
                ],
            ),
        ],
    ),
    (
        "Adult social care",
        "Adult Social Care Prevent Action Plan 2026-2027",
        [
            (
                "Include Prevent in adult safeguarding procedures",
                ["Update the multi-agency procedures"],
                120,
                [(30, "green", "", "Draft shared with the safeguarding board")],
            ),
            (
                "Refer adults at risk to Channel where appropriate",
                ["Brief team managers on the referral pathway"],
                20,
                [],
            ),
        ],
    ),
    (
        "MET Hub",
        "MET Hub Prevent Action Plan 2026-2027",
        [
            (
                "Share intelligence on exploitation and radicalisation",
                ["Monthly briefing with the Prevent officer"],
                None,
                [(130, "green", "", "Monthly briefings running")],
            ),
        ],
    ),
    (
        "Health and Clinical Commissioning Groups",
        "Health Prevent Action Plan 2026-2027",
        [
            (
                "Prevent training for commissioned services",
                ["Add Prevent training to contract monitoring"],
                -40,
                [(25, "red", "Two providers have not returned training data", "Returns chased")],
            ),
        ],
    ),
    (
        "Youth Offending",
        "Youth Offending Prevent Action Plan 2026-2027",
        [
            (
                "Assess Prevent risk in every youth justice assessment",
                ["Add Prevent prompts to AssetPlus reviews"],
                90,
                [(10, "green", "", "Prompts live since September")],
            ),
        ],
    ),
    (
        "Cohesion",
        "Community Cohesion Prevent Action Plan 2026-2027",
        [
            (
                "Engage communities in challenging extremism",
                ["Community conversations in each district"],
                45,
                [(35, "complete", "", "Five conversations held; report to the board")],
            ),
            ("Check venues booked for public events", ["Booking checks for council venues"], 150, []),
        ],
    ),
]


def load_plans(*, areas: dict[str, BusinessArea], users: dict[str, User], today: date | None = None) -> None:
    today = today or clock.today()
    education = areas["Education"]
    spoc = users["priya.natarajan@cambridgeshire.example"]
    lead = users["helen.marsh@cambridgeshire.example"]

    archived = _import(
        "peterborough-education-2017-2018.xlsx",
        template="spoc",
        area=education,
        title="Peterborough Education Prevent Action Plan 2017-2018",
        period="2017-2018",
    )
    archived.status = PlanStatus.ARCHIVED.value
    current = _import(
        "peterborough-education-2017-2018.xlsx",
        template="spoc",
        area=education,
        title="Peterborough Education Prevent Action Plan 2026-2027",
        period="2026-2027",
    )
    current.introduction = (
        "This plan sets out how Peterborough schools will work together, and in partnership with other "
        "agencies, to deliver the Prevent duty."
    )
    current.principles = [
        "Assess risk of radicalisation in their area / organisation",
        "Develop an action plan to reduce this risk",
        "Train staff to recognise radicalisation and extremism",
        "Work in partnership with others",
        "Establish referral mechanisms and refer people to Channel Panel",
        "Maintain records and reports to show compliance",
    ]
    rows = _rows(current)
    updates = [
        (rows[0], 120, "complete", "", ["SPOC and deputy in post; structures for information exchange in place"]),
        (rows[1], 100, "green", "", ["Updated CTLP recommendations circulated to head teachers"]),
        (rows[2], 95, "green", "", ["Half-termly WRAP sessions continue"]),
        (
            rows[2],
            12,
            "amber",
            "Two academies have not yet booked WRAP for new staff",
            ["Coverage audit shows 84% of staff WRAP trained", "Follow-up sessions offered in January"],
        ),
        (rows[3], 15, "green", "", ["Referral process reviewed with the MASH; no changes needed"]),
    ]
    for row, days_ago, rag, reason, items in updates:
        services.record_progress(
            row, items=items, rag=rag, reason=reason, actor=spoc, at=_at(today - timedelta(days=days_ago))
        )
    rows[2].due_date = today + timedelta(days=20)
    rows[4].due_date = today - timedelta(days=14)
    rows[5].due_date = today + timedelta(days=75)

    register = _register_pdf("WRAP training register, autumn term", "48 staff trained across 6 sessions")
    checked = check_upload("WRAP register autumn 2026.pdf", register, max_bytes=20 * 1024 * 1024)
    first = services.add_evidence_file(rows[2], checked=checked, data=register, note="Autumn term", actor=spoc)
    revised = _register_pdf("WRAP training register, autumn term (revised)", "52 staff trained across 7 sessions")
    checked = check_upload("WRAP register autumn 2026 v2.pdf", revised, max_bytes=20 * 1024 * 1024)
    services.add_evidence_file(
        rows[2], checked=checked, data=revised, note="Late session added", actor=spoc, replaces=first
    )

    kent_key = read_lead_key("kent-lead-key.csv", (FIXTURES / "kent-lead-key.csv").read_bytes())
    numbered = _import(
        "kent-prevent-duty-action-plan-2019.csv",
        template="kent",
        area=education,
        title="University Prevent Duty Action Plan 2019 (numbered format example)",
        period="2019-2020",
        lead_key=kent_key,
    )
    numbered.status = PlanStatus.ARCHIVED.value

    county = _import(
        "county-delivery-plan-2019.xlsx",
        template="county",
        area=None,
        title="Cambridgeshire and Peterborough County Prevent Delivery Plan 2026-2027",
        period="2026-2027",
    )
    county_rows = _rows(county)
    for index, (days_ago, rag, reason, items, due) in {
        0: (110, "green", "", ["Board met in each quarter this year"], None),
        4: (100, "green", "", ["Every specified authority has a named Prevent lead"], None),
        8: (
            18,
            "amber",
            "Coverage is below the 90% target in three organisations",
            ["WRAP coverage across the partnership is 86%"],
            60,
        ),
        13: (50, "complete", "", ["Membership reviewed at the September board"], None),
        17: (140, "green", "", ["Terms of reference review started"], -21),
    }.items():
        row = county_rows[index]
        services.record_progress(
            row, items=items, rag=rag, reason=reason, actor=lead, at=_at(today - timedelta(days=days_ago))
        )
        if due is not None:
            row.due_date = today + timedelta(days=due)

    for area_name, title, plan_rows in SHORT_PLANS:
        area = areas[area_name]
        plan = services.create_plan(area_id=area.id, title=title, period="2026-2027")
        author = next((a.user for a in area.assignments if a.capacity == "spoc"), lead)
        for duty, actions, due, history in plan_rows:
            row = services.add_row(
                plan,
                values={
                    "duty": duty,
                    "actions": actions,
                    "leads": [author.job_title or author.full_name],
                    "due_date": today + timedelta(days=due) if due is not None else None,
                },
            )
            for days_ago, rag, reason, text in history:
                services.record_progress(
                    row, items=[text], rag=rag, reason=reason, actor=author, at=_at(today - timedelta(days=days_ago))
                )

    cohesion = areas.get("Cohesion")
    if cohesion is not None:
        _own_layout_plan(cohesion, users.get("imran.siddiqui@peterborough.example", lead))


def _rows(plan: Plan) -> list[PlanRow]:
    from sqlalchemy import select

    from core.extensions import db

    return list(db.session.scalars(select(PlanRow).where(PlanRow.plan_id == plan.id).order_by(PlanRow.position)))


def _register_pdf(title: str, summary: str) -> bytes:
    from weasyprint import HTML

    html = (
        f"<h1>{title}</h1><p>Peterborough education settings</p><p>{summary}.</p>"
        "<p>Attendance sheets are held by the Education SPOC.</p>"
    )
    return HTML(string=html).write_pdf()


def _own_layout_plan(area: BusinessArea, spoc: User) -> Plan:
    """A plan imported from a layout no template knows, then updated from its edited export."""
    plan = _import(
        "custom-layout-community-safety-2026.xlsx",
        template="custom",
        area=area,
        title="Cohesion Prevent Delivery Plan 2026-2027 (own spreadsheet layout)",
        period="2026-2027",
    )
    book = load_workbook(io.BytesIO(exports.plans_xlsx([plan])))
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    status, actions = header.index("Status") + 1, header.index("What we will do") + 1
    sheet.cell(row=3, column=status).value = "Green"  # T1: Amber to Green
    sheet.cell(
        row=4, column=actions
    ).value = "- Local briefing on referrals\n- Local briefing on the Channel Panel\n- Briefing for district councils"
    out = io.BytesIO()
    book.save(out)
    found = reimport.preview(plan, "cohesion-plan-q3.xlsx", out.getvalue())
    reimport.apply(found, actor=spoc)
    return plan
