"""Closed vocabularies of the Channel Panel: roles, case stages, consent, outcomes."""

from enum import StrEnum

from core.vocab import REFERRAL_CATEGORIES


class _Labelled(StrEnum):
    @property
    def label(self) -> str:
        return self._labels()[self.value]

    @classmethod
    def _labels(cls) -> dict[str, str]:
        raise NotImplementedError

    @classmethod
    def pairs(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]

    @classmethod
    def sql_values(cls) -> str:
        return ", ".join(f"'{m.value}'" for m in cls)


class PanelRole(_Labelled):
    """Seats on the panel, as listed in the delivery strategy."""

    CHANNEL_LEAD = "channel_lead"
    EDUCATION = "education"
    YOUTH_OFFENDING = "youth_offending"
    ADULT_SOCIAL_CARE = "adult_social_care"
    CHILDRENS_SOCIAL_CARE = "childrens_social_care"
    POLICE_COORDINATOR = "police_coordinator"
    POLICE_PREVENT = "police_prevent"
    SCHOOLS = "schools"
    DISTRICT_COUNCIL = "district_council"
    MENTAL_HEALTH = "mental_health"
    PRISON_PROBATION = "prison_probation"
    OTHER = "other"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "channel_lead": "Council Channel Lead",
            "education": "Education",
            "youth_offending": "Youth Offending Services",
            "adult_social_care": "Adult social care",
            "childrens_social_care": "Children's social care",
            "police_coordinator": "Police Channel Co-ordinator",
            "police_prevent": "Police Prevent Officer",
            "schools": "Schools",
            "district_council": "District council",
            "mental_health": "Mental health",
            "prison_probation": "Prison and probation",
            "other": "Other, as a case needs",
        }


class Attendance(_Labelled):
    PRESENT = "present"
    DEPUTY = "deputy"
    APOLOGIES = "apologies"
    ABSENT = "absent"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {"present": "Present", "deputy": "Deputy attended", "apologies": "Apologies", "absent": "Absent"}


class CaseStage(_Labelled):
    """Where a case is: referral, screening, discussed at panel, adopted or not, support, closed."""

    REFERRAL = "referral"
    SCREENING = "screening"
    DISCUSSED = "discussed"
    ADOPTED = "adopted"
    NOT_ADOPTED = "not_adopted"
    SUPPORT_PLAN = "support_plan"
    CLOSED = "closed"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "referral": "Referral",
            "screening": "Screening",
            "discussed": "Discussed at panel",
            "adopted": "Adopted",
            "not_adopted": "Not adopted",
            "support_plan": "Support plan",
            "closed": "Closed",
        }

    @property
    def tag_colour(self) -> str:
        return {
            "referral": "light-blue",
            "screening": "blue",
            "discussed": "purple",
            "adopted": "turquoise",
            "not_adopted": "grey",
            "support_plan": "green",
            "closed": "grey",
        }[self.value]

    @property
    def is_open(self) -> bool:
        return self not in (CaseStage.NOT_ADOPTED, CaseStage.CLOSED)

    @property
    def date_field(self) -> str:
        """The case's column holding the date the case reached this stage."""
        return {
            "referral": "referral_date",
            "screening": "screened_on",
            "discussed": "discussed_on",
            "adopted": "adopted_on",
            "not_adopted": "not_adopted_on",
            "support_plan": "support_plan_on",
            "closed": "closed_on",
        }[self.value]

    @property
    def next_stages(self) -> list["CaseStage"]:
        """Stages a case may move on to through a stage change (closing has its own step)."""
        return {
            "referral": [CaseStage.SCREENING, CaseStage.NOT_ADOPTED],
            "screening": [CaseStage.DISCUSSED, CaseStage.NOT_ADOPTED],
            "discussed": [CaseStage.ADOPTED, CaseStage.NOT_ADOPTED],
            "adopted": [CaseStage.SUPPORT_PLAN],
            "support_plan": [],
            "not_adopted": [],
            "closed": [],
        }[self.value]

    @property
    def can_close(self) -> bool:
        return self in (CaseStage.ADOPTED, CaseStage.SUPPORT_PLAN)


OPEN_STAGES = [s.value for s in CaseStage if s.is_open]


class NotAdoptedOutcome(_Labelled):
    CHILDRENS_SOCIAL_CARE = "childrens_social_care"
    ADULTS_SOCIAL_CARE = "adults_social_care"
    OTHER_SUPPORT = "other_support"
    NO_FURTHER_ACTION = "no_further_action"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "childrens_social_care": "Passed to children's social care",
            "adults_social_care": "Passed to adult social care",
            "other_support": "Other support (for example early help or health services)",
            "no_further_action": "No further action",
        }


class Consent(_Labelled):
    NOT_SOUGHT = "not_sought"
    SOUGHT = "sought"
    GIVEN = "given"
    DECLINED = "declined"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {"not_sought": "Not yet sought", "sought": "Sought", "given": "Given", "declined": "Declined"}


class ClosureReason(_Labelled):
    SUPPORT_COMPLETED = "support_completed"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    MOVED_AWAY = "moved_away"
    STATUTORY_PROCESS = "statutory_process"
    OTHER = "other"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "support_completed": "Support completed: vulnerability reduced",
            "consent_withdrawn": "Consent withdrawn",
            "moved_away": "Moved out of the area (case transferred)",
            "statutory_process": "Continuing under another statutory process",
            "other": "Other",
        }


class ReviewOutcome(_Labelled):
    NO_FURTHER_CONCERNS = "no_further_concerns"
    RE_REFERRED = "re_referred"
    OTHER = "other"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {"no_further_concerns": "No further concerns", "re_referred": "Re-referred", "other": "Other"}


class SupportStatus(_Labelled):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    STOPPED = "stopped"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {"planned": "Planned", "in_progress": "In progress", "completed": "Completed", "stopped": "Stopped"}


class LegalBasis(_Labelled):
    CONSENT = "consent"
    PUBLIC_TASK = "public_task"
    SAFEGUARDING = "safeguarding"
    LEGAL_OBLIGATION = "legal_obligation"
    VITAL_INTERESTS = "vital_interests"
    OTHER = "other"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "consent": "Consent of the individual (or of a parent or carer)",
            "public_task": "Public task: Counter-Terrorism and Security Act 2015, sections 36 to 38",
            "safeguarding": "Safeguarding of children and individuals at risk (Data Protection Act 2018)",
            "legal_obligation": "Legal obligation",
            "vital_interests": "Vital interests",
            "other": "Other",
        }


class LifeStage(_Labelled):
    CHILD = "child"
    ADULT = "adult"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {"child": "Child (under 18)", "adult": "Adult"}


class IndividualType(_Labelled):
    """Staff or student type, where relevant (the anonymised log's "status of the individual")."""

    NOT_APPLICABLE = "not_applicable"
    SCHOOL_PUPIL = "school_pupil"
    COLLEGE_STUDENT = "college_student"
    UNIVERSITY_STUDENT = "university_student"
    STAFF = "staff"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "not_applicable": "Not a student or member of staff",
            "school_pupil": "School pupil",
            "college_student": "College student (further education)",
            "university_student": "University student (higher education)",
            "staff": "Member of staff",
        }


def category_values(dimension: str) -> str:
    """SQL list of a national category's codes, for a CHECK constraint."""
    return ", ".join(f"'{code}'" for code, _ in REFERRAL_CATEGORIES[dimension])


def category_label(dimension: str, code: str | None) -> str:
    return dict(REFERRAL_CATEGORIES[dimension]).get(code or "", "")
