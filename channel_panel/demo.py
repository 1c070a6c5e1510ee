"""Demo Channel Panel: the membership in the strategy, monthly meetings, and a dozen cases.

Everyone named here is fictional. The individuals' names are deliberately unlike real names
(Jordan Example, Casey Sample ...) so a search for them in any page, agenda, export or audit
entry shows at once whether a name has leaked.
"""

from datetime import date, timedelta

from channel_panel import meetings, services
from channel_panel.dates import add_months
from channel_panel.models import ChannelCase, PanelMeeting
from channel_panel.services import CaseDetails
from channel_panel.vocab import PanelRole
from core.models import User
from partnership.models import Organisation

#: (role, member, deputy, organisation short name, user email or None)
MEMBERS = [
    (PanelRole.YOUTH_OFFENDING, "Joanna Price", "Sam Whitfield", "PCC", "joanna.price@peterborough.example"),
    (PanelRole.EDUCATION, "Daniel Okafor", "Tom Baxter", "PRS", "daniel.okafor@peterborough.example"),
    (PanelRole.CHANNEL_LEAD, "Rachel Osei", "Liam Hartley", "PCC", None),
    (PanelRole.CHANNEL_LEAD, "Martin Greaves", "Chloe Dunn", "CCC", None),
    (PanelRole.CHILDRENS_SOCIAL_CARE, "Hannah Brooks", "Ian Farrow", "PCC", None),
    (PanelRole.ADULT_SOCIAL_CARE, "Priti Shah", "Gemma Lowe", "CCC", None),
    (PanelRole.POLICE_COORDINATOR, "Kieran Walsh", "Emma Clarke", "Police", "kieran.walsh@cambs.police.example"),
    (PanelRole.POLICE_PREVENT, "Josh Reynolds", "Aisha Karim", "Police", None),
    (PanelRole.SCHOOLS, "Angela Pike", "", "PRS", None),
    (PanelRole.DISTRICT_COUNCIL, "Owain Roberts", "Beth Nolan", "Fenland", None),
    (PanelRole.MENTAL_HEALTH, "Nia Campbell", "Peter Quayle", "CPFT", None),
    (PanelRole.PRISON_PROBATION, "Colin Ashworth", "Dee Mensah", "Probation", None),
]

PLACES = ["Sand Martin House, Peterborough", "New Shire Hall, Alconbury Weald", "Online (Microsoft Teams)"]

#: The individuals in the demo cases: fictional, and easy to search for.
DEMO_CASE_NAMES = [
    "Jordan Example",
    "Casey Sample",
    "Riley Placeholder",
    "Morgan Testcase",
    "Taylor Fictional",
    "Jamie Madeup",
    "Avery Specimen",
    "Quinn Dummy",
    "Rowan Imaginary",
    "Skyler Invented",
    "Drew Pretend",
    "Harper Notreal",
]


def _second_tuesday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(1 - first.weekday()) % 7 + 7)


def _meeting_dates(today: date) -> list[date]:
    """Monthly, on the second Tuesday, from 13 months ago to 8 months ahead."""
    dates = []
    for offset in range(-13, 9):
        month = add_months(date(today.year, today.month, 1), offset)
        dates.append(_second_tuesday(month.year, month.month))
    return dates


def load_channel(*, organisations: dict[str, Organisation], users: dict[str, User], today: date) -> None:
    """Add the demo panel to the database (the caller commits)."""
    members = [
        meetings.save_member(
            None,
            role=role.value,
            member_name=name,
            deputy_name=deputy,
            organisation_id=organisations[org].id,
            user_id=users[email].id if email else None,
            joined_on=date(2019, 4, 1),
            left_on=None,
        )
        for role, name, deputy, org, email in MEMBERS
    ]
    panel = meetings.get_panel()
    meetings.update_panel(
        panel,
        chair_id=members[0].id,
        deputy_chair_id=members[1].id,
        terms_reviewed_on=add_months(today, -11) - timedelta(days=10),
        terms_review_due_on=add_months(today, 1) - timedelta(days=10),
        today=today,
    )
    held = []
    for n, held_on in enumerate(_meeting_dates(today)):
        meeting = meetings.create_meeting(held_on=held_on, place=PLACES[n % len(PLACES)])
        if held_on < today:
            held.append(meeting)
            _attendance(meeting, members, n, today)
    _cases(organisations, [m.held_on for m in held], today)


def _attendance(meeting: PanelMeeting, members, n: int, today: date) -> None:
    entries = {}
    for i, member in enumerate(members):
        turn = (n + i) % 7
        status = "apologies" if turn == 3 else "deputy" if turn == 5 else "present"
        # One member in seven did not confirm the case-log check that month.
        entries[member.id] = (status, turn != 6)
    meetings.record_attendance(meeting, entries=entries, today=today)


def _first_on_or_after(days: list[date], day: date, today: date) -> date:
    later = [d for d in days if d >= day]
    return later[0] if later else min(day, today)


def _case(
    today: date,
    *,
    reported: date,
    referred: date | None = None,
    sector: str,
    concern: str,
    age_band: str,
    gender: str,
    life_stage: str,
    individual_type: str = "not_applicable",
    organisation: Organisation | None = None,
    department: str = "",
    name: str,
    born: date,
    address: str,
) -> ChannelCase:
    case = services.create_case(
        details=CaseDetails(
            concern_reported_on=reported,
            referral_date=referred or reported + timedelta(days=3),
            referring_sector=sector,
            concern_type=concern,
            age_band=age_band,
            gender=gender,
            life_stage=life_stage,
            individual_type=individual_type,
            organisation_id=organisation.id if organisation else None,
            department=department,
        ),
        today=today,
    )
    services.save_personal_details(case, full_name=name, date_of_birth=born, address=address, today=today)
    return case


def _move(case: ChannelCase, today: date, *steps: tuple[str, date]) -> None:
    for stage, on in steps:
        if stage == "consent":
            services.record_consent(case, consent="given", on=on, today=today)
            continue
        services.change_stage(case, stage=stage, on=on, today=today, not_adopted_outcome=None)


def _supported(case: ChannelCase, today: date, referred: date, *, items: list[tuple[str, str, str]]) -> None:
    """Screened, discussed, adopted with consent, a support plan, and a share or two."""
    _move(
        case,
        today,
        ("screening", referred + timedelta(days=5)),
        ("discussed", referred + timedelta(days=20)),
        ("adopted", referred + timedelta(days=20)),
        ("consent", referred + timedelta(days=27)),
        ("support_plan", referred + timedelta(days=30)),
    )
    for need, provider, status in items:
        services.add_support_item(case, need=need, provider=provider, status=status)
    services.add_share(
        case,
        shared_on=referred + timedelta(days=4),
        shared_with="Children's social care (MASH)" if case.life_stage == "child" else "Adult social care",
        what="Referral summary and vulnerability assessment",
        legal_basis="safeguarding" if case.life_stage == "child" else "public_task",
        today=today,
    )


def _cases(organisations: dict[str, Organisation], meeting_days: list[date], today: date) -> None:
    prs, ccc, pcc = organisations["PRS"], organisations["CCC"], organisations["PCC"]
    months = lambda n: add_months(today, -n)  # noqa: E731

    # Reported more than six years ago, closed and reviewed long since: past its retention date.
    old = months(6 * 12 + 2)
    case = _case(
        today,
        reported=old,
        sector="education",
        concern="extreme_right_wing",
        age_band="15_20",
        gender="male",
        life_stage="child",
        individual_type="school_pupil",
        organisation=prs,
        department="Key Stage 4",
        name=DEMO_CASE_NAMES[0],
        born=add_months(old, -16 * 12),
        address="1 Example Row, Peterborough PE1 0XX",
    )
    _supported(
        case, today, case.referral_date, items=[("Mentoring with an intervention provider", "Home Office", "completed")]
    )
    closed = add_months(old, 5)
    services.close_case(case, closed_on=closed, reason="support_completed", today=today)
    for review in case.reviews:
        services.record_review(review, held_on=review.due_on, outcome="no_further_concerns", today=today)

    # Closed 5 to 13 months ago: reviews due, overdue and held.
    closures = [
        # (months ago closed, days later, months ago referred, hold the 6-month review?, the 12-month?)
        (13, -9, 20, True, False),  # 12-month review overdue
        (11, 5, 17, True, False),  # 12-month review due next month
        (9, 0, 15, True, False),  # 6-month review held
        (7, 12, 12, False, False),  # 6-month review overdue
        (5, -4, 10, False, False),  # 6-month review due next month
    ]
    profiles = [
        ("police", "islamist", "21_30", "male", "adult", "not_applicable", None, ""),
        ("education", "mixed_unclear_unstable", "under_15", "male", "child", "school_pupil", prs, "Year 9"),
        ("health", "extreme_right_wing", "31_40", "male", "adult", "not_applicable", None, ""),
        ("local_authority", "conflicted", "15_20", "female", "child", "college_student", ccc, "Sixth form"),
        ("family_friends", "school_massacre", "under_15", "male", "child", "school_pupil", prs, "Year 8"),
    ]
    for n, ((closed_ago, days, referred_ago, hold_6, hold_12), profile) in enumerate(
        zip(closures, profiles, strict=True)
    ):
        sector, concern, age_band, gender, life, kind, org, department = profile
        referred = months(referred_ago)
        case = _case(
            today,
            reported=referred - timedelta(days=6),
            referred=referred,
            sector=sector,
            concern=concern,
            age_band=age_band,
            gender=gender,
            life_stage=life,
            individual_type=kind,
            organisation=org,
            department=department,
            name=DEMO_CASE_NAMES[n + 1],
            born=add_months(today, -(14 + 5 * n) * 12),
            address=f"{n + 2} Sample Street, Huntingdon PE29 0XX",
        )
        _supported(
            case,
            today,
            referred,
            items=[
                ("Theological or ideological mentoring", "Intervention provider", "completed"),
                ("Education, training or employment support", "Youth Support Service", "completed"),
            ],
        )
        closed_on = months(closed_ago) + timedelta(days=days)
        services.close_case(case, closed_on=closed_on, reason="support_completed", today=today)
        for review in case.reviews:
            hold = hold_6 if review.months == 6 else hold_12
            if hold:
                held_on = _first_on_or_after(meeting_days, review.due_on, today)
                services.record_review(review, held_on=held_on, outcome="no_further_concerns", today=today)

    # Open cases at each stage.
    open_cases = [
        ("support_plan", 4, "education", "extreme_right_wing", "15_20", "male", "child", "school_pupil", prs),
        ("adopted", 2, "police", "islamist", "21_30", "female", "adult", "university_student", None),
        ("discussed", 1, "health", "mixed_unclear_unstable", "41_50", "male", "adult", "not_applicable", None),
        ("screening", 0, "community", "left_wing_anarchist_single_issue", "21_30", "other", "adult", "staff", pcc),
    ]
    for n, (stage, referred_ago, sector, concern, age_band, gender, life, kind, org) in enumerate(open_cases):
        referred = months(referred_ago) - timedelta(days=12)
        case = _case(
            today,
            reported=referred - timedelta(days=2),
            referred=referred,
            sector=sector,
            concern=concern,
            age_band=age_band,
            gender=gender,
            life_stage=life,
            individual_type=kind,
            organisation=org,
            name=DEMO_CASE_NAMES[n + 6],
            born=add_months(today, -(16 + 9 * n) * 12),
            address=f"{n + 10} Placeholder Lane, Wisbech PE13 0XX",
        )
        if stage == "support_plan":
            _supported(case, today, referred, items=[("Mentoring", "Intervention provider", "in_progress")])
            continue
        steps = [("screening", referred + timedelta(days=4)), ("discussed", referred + timedelta(days=10))]
        steps += [("adopted", referred + timedelta(days=10))]
        _move(case, today, *steps[: ["screening", "discussed", "adopted"].index(stage) + 1])

    # Not adopted: passed on to other support.
    for n, outcome in enumerate(["childrens_social_care", "no_further_action"]):
        referred = months(3 + n * 2)
        case = _case(
            today,
            reported=referred - timedelta(days=1),
            referred=referred,
            sector="education" if n == 0 else "other",
            concern="other" if n == 0 else "conflicted",
            age_band="under_15" if n == 0 else "51_60",
            gender="female" if n == 0 else "male",
            life_stage="child" if n == 0 else "adult",
            individual_type="school_pupil" if n == 0 else "not_applicable",
            organisation=prs if n == 0 else None,
            name=DEMO_CASE_NAMES[n + 10],
            born=add_months(today, -(12 + 40 * n) * 12),
            address=f"{n + 20} Notreal Avenue, Ely CB7 0XX",
        )
        _move(case, today, ("screening", referred + timedelta(days=3)))
        services.change_stage(
            case, stage="not_adopted", on=referred + timedelta(days=8), today=today, not_adopted_outcome=outcome
        )
