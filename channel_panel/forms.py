"""Forms for Channel cases, reviews, meetings and membership (GOV.UK wording)."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Optional, StopValidation, ValidationError

from channel_panel.services import CaseDetails, CaseRuleError
from channel_panel.vocab import (
    Attendance,
    ClosureReason,
    Consent,
    IndividualType,
    LegalBasis,
    LifeStage,
    NotAdoptedOutcome,
    PanelRole,
    ReviewOutcome,
    SupportStatus,
)
from core import limits
from core.forms import SafeDateField, choices
from core.limits import MaxLength
from core.vocab import REFERRAL_CATEGORIES

DATE_HINT = "For example, 27 3 2026."


def date_required(message: str):
    """Like InputRequired for a day/month/year date, without hiding "must be a real date"."""

    def check(form, field) -> None:
        if field.data is None and not field.errors:
            raise StopValidation(message)

    return check


def _id_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def apply_rule_error(form: FlaskForm, error: CaseRuleError) -> None:
    """Show a service's refusal against the field it concerns (or the first field)."""
    field = getattr(form, error.field, None)
    if field is None or not hasattr(field, "errors"):
        field = next(f for f in form if f.name not in ("csrf_token", "submit"))
    if not isinstance(field.errors, list):
        field.errors = list(field.errors)
    field.errors.append(error.message)


class CaseForm(FlaskForm):
    reference = StringField(
        "Case reference (optional)",
        widget=GovTextInput(),
        description="Leave blank to give the case the next reference, like CP-2026-014. "
        "Enter one only for a case that already has a reference on paper.",
        validators=[MaxLength(limits.REFERENCE)],
    )
    concern_reported_on = SafeDateField(
        "Date the concern was reported",
        description="Case material is deleted six years after this date. " + DATE_HINT,
        validators=[date_required("Enter the date the concern was reported")],
    )
    referral_date = SafeDateField(
        "Referral date", description=DATE_HINT, validators=[date_required("Enter the referral date")]
    )
    referring_sector = SelectField(
        "Referring sector", widget=GovSelect(), validators=[InputRequired(message="Select the referring sector")]
    )
    concern_type = SelectField(
        "Type of concern", widget=GovSelect(), validators=[InputRequired(message="Select the type of concern")]
    )
    age_band = SelectField("Age band", widget=GovSelect(), validators=[InputRequired(message="Select the age band")])
    gender = RadioField(
        "Gender",
        widget=GovRadioInput(),
        choices=choices(REFERRAL_CATEGORIES["gender"]),
        validators=[InputRequired(message="Select the gender")],
    )
    life_stage = RadioField(
        "Child or adult",
        widget=GovRadioInput(),
        choices=choices(LifeStage.pairs()),
        validators=[InputRequired(message="Select whether the individual is a child or an adult")],
    )
    individual_type = SelectField(
        "Staff or student",
        widget=GovSelect(),
        choices=choices(IndividualType.pairs()),
        default=IndividualType.NOT_APPLICABLE.value,
        validators=[InputRequired(message="Select the individual's status")],
    )
    organisation_id = SelectField("Organisation (optional)", widget=GovSelect(), validators=[Optional()])
    department = StringField(
        "Department (optional)",
        widget=GovTextInput(),
        description="A department or service, never a person's name. It appears in the anonymised log.",
        validators=[MaxLength(limits.SHORT_TEXT)],
    )
    business_area_id = SelectField("Business area (optional)", widget=GovSelect(), validators=[Optional()])
    consent = RadioField(
        "Consent to support",
        widget=GovRadioInput(),
        choices=choices(Consent.pairs()),
        default=Consent.NOT_SOUGHT.value,
        validators=[InputRequired(message="Select where consent stands")],
    )
    consent_on = SafeDateField(
        "Date consent was sought, given or declined", description="Leave blank if not yet sought. " + DATE_HINT
    )
    submit = SubmitField("Save case", widget=GovSubmitInput())

    def __init__(self, *args, organisations, areas, **kwargs):
        super().__init__(*args, **kwargs)
        for field, dimension, prompt in (
            (self.referring_sector, "sector", "Select the sector"),
            (self.concern_type, "concern", "Select the type of concern"),
            (self.age_band, "age_band", "Select the age band"),
        ):
            field.choices = choices([("", prompt), *REFERRAL_CATEGORIES[dimension]])
        self.organisation_id.choices = choices([("", "Not recorded")] + [(o.id, o.name) for o in organisations])
        self.business_area_id.choices = choices([("", "None")] + [(a.id, a.name) for a in areas])

    def validate_consent_on(self, field) -> None:
        if (
            self.consent.data
            and self.consent.data != Consent.NOT_SOUGHT.value
            and field.data is None
            and not field.errors
        ):
            raise ValidationError("Enter the date consent was sought, given or declined")

    def details(self) -> CaseDetails:
        return CaseDetails(
            concern_reported_on=self.concern_reported_on.data,
            referral_date=self.referral_date.data,
            referring_sector=self.referring_sector.data,
            concern_type=self.concern_type.data,
            age_band=self.age_band.data,
            gender=self.gender.data,
            life_stage=self.life_stage.data,
            individual_type=self.individual_type.data,
            business_area_id=_id_or_none(self.business_area_id.data),
            organisation_id=_id_or_none(self.organisation_id.data),
            department=self.department.data or "",
            consent=self.consent.data,
            consent_on=self.consent_on.data if self.consent.data != Consent.NOT_SOUGHT.value else None,
        )


class PersonalDetailsForm(FlaskForm):
    full_name = StringField("Full name", widget=GovTextInput(), validators=[MaxLength(limits.SHORT_TEXT)])
    other_names = StringField(
        "Other names (optional)",
        widget=GovTextInput(),
        description="Previous names or names they are known by.",
        validators=[MaxLength(limits.TITLE)],
    )
    date_of_birth = SafeDateField("Date of birth (optional)", description="For example, 14 6 2010.")
    address = TextAreaField("Address (optional)", widget=GovTextArea(), validators=[MaxLength(limits.NOTE)])
    submit = SubmitField("Save personal details", widget=GovSubmitInput())

    def validate_full_name(self, field) -> None:
        if not (field.data or "").strip():
            raise ValidationError("Enter the individual's full name")


class StageForm(FlaskForm):
    stage = RadioField("New stage", widget=GovRadioInput(), validators=[InputRequired(message="Select the new stage")])
    on = SafeDateField("Date of the change", description=DATE_HINT, validators=[date_required("Enter the date")])
    not_adopted_outcome = RadioField(
        "If not adopted, what happened to the case",
        widget=GovRadioInput(),
        choices=choices(NotAdoptedOutcome.pairs()),
        validators=[Optional()],
    )
    submit = SubmitField("Save stage", widget=GovSubmitInput())

    def __init__(self, *args, stages, **kwargs):
        super().__init__(*args, **kwargs)
        self.stage.choices = choices((s.value, s.label) for s in stages)

    def validate_not_adopted_outcome(self, field) -> None:
        if self.stage.data == "not_adopted" and not field.data:
            raise ValidationError("Select what happened to the case when it was not adopted")


class CloseCaseForm(FlaskForm):
    closed_on = SafeDateField(
        "Closure date", description=DATE_HINT, validators=[date_required("Enter the closure date")]
    )
    reason = RadioField(
        "Reason for closing",
        widget=GovRadioInput(),
        choices=choices(ClosureReason.pairs()),
        validators=[InputRequired(message="Select why the case is closing")],
    )
    note = TextAreaField(
        "Note (optional)",
        widget=GovTextArea(),
        description="Case material: deleted with the case. Do not name the individual.",
        validators=[MaxLength(limits.LONG_TEXT)],
    )
    #: "yes" once the chair has seen the confirmation page.
    confirmed = HiddenField()
    submit = SubmitField("Continue", widget=GovSubmitInput())


class ReviewForm(FlaskForm):
    held_on = SafeDateField(
        "Date the review was held",
        description=DATE_HINT,
        validators=[date_required("Enter the date the review was held")],
    )
    outcome = RadioField(
        "Outcome",
        widget=GovRadioInput(),
        choices=choices(ReviewOutcome.pairs()),
        validators=[InputRequired(message="Select the outcome of the review")],
    )
    note = TextAreaField("Note (optional)", widget=GovTextArea(), validators=[MaxLength(limits.LONG_TEXT)])
    early_reason = TextAreaField(
        "Reason for holding the review early",
        widget=GovTextArea(),
        description="Needed when the review is held more than a week before it is due.",
        validators=[MaxLength(limits.NOTE)],
    )
    submit = SubmitField("Save review", widget=GovSubmitInput())


class SupportItemForm(FlaskForm):
    need = TextAreaField(
        "Need", widget=GovTextArea(), validators=[InputRequired(message="Enter the need"), MaxLength(limits.NOTE)]
    )
    provider = StringField("Provider (optional)", widget=GovTextInput(), validators=[MaxLength(limits.SHORT_TEXT)])
    status = RadioField(
        "Status",
        widget=GovRadioInput(),
        choices=choices(SupportStatus.pairs()),
        default=SupportStatus.PLANNED.value,
        validators=[InputRequired(message="Select the status")],
    )
    submit = SubmitField("Save support plan item", widget=GovSubmitInput())


class ShareForm(FlaskForm):
    shared_on = SafeDateField("Date shared", description=DATE_HINT, validators=[date_required("Enter the date shared")])
    shared_with = StringField(
        "Shared with",
        widget=GovTextInput(),
        description="The organisation or team, for example Children's social care, MASH.",
        validators=[InputRequired(message="Enter who the information was shared with"), MaxLength(limits.TITLE)],
    )
    what = TextAreaField(
        "What was shared",
        widget=GovTextArea(),
        validators=[InputRequired(message="Enter what was shared"), MaxLength(limits.LONG_TEXT)],
    )
    legal_basis = RadioField(
        "Legal basis",
        widget=GovRadioInput(),
        choices=choices(LegalBasis.pairs()),
        validators=[InputRequired(message="Select the legal basis for sharing")],
    )
    submit = SubmitField("Add to the information-sharing log", widget=GovSubmitInput())


class MeetingForm(FlaskForm):
    held_on = SafeDateField("Date of the meeting", description=DATE_HINT, validators=[date_required("Enter the date")])
    place = StringField("Place (optional)", widget=GovTextInput(), validators=[MaxLength(limits.SHORT_TEXT)])
    submit = SubmitField("Save meeting", widget=GovSubmitInput())


class MemberForm(FlaskForm):
    role = SelectField("Role on the panel", widget=GovSelect(), validators=[InputRequired(message="Select the role")])
    member_name = StringField(
        "Member",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the member's name"), MaxLength(limits.SHORT_TEXT)],
    )
    deputy_name = StringField("Deputy (optional)", widget=GovTextInput(), validators=[MaxLength(limits.SHORT_TEXT)])
    organisation_id = SelectField(
        "Organisation", widget=GovSelect(), validators=[InputRequired(message="Select the member's organisation")]
    )
    user_id = SelectField(
        "Account (optional)",
        widget=GovSelect(),
        description="Linking an account lets the member confirm for themselves that they checked the case logs.",
        validators=[Optional()],
    )
    joined_on = SafeDateField("Joined the panel (optional)", description=DATE_HINT)
    left_on = SafeDateField("Left the panel (optional)", description="Leave blank while they are a member.")
    submit = SubmitField("Save member", widget=GovSubmitInput())

    def __init__(self, *args, organisations, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = choices([("", "Select the role"), *PanelRole.pairs()])
        self.organisation_id.choices = choices(
            [("", "Select the organisation")] + [(o.id, o.name) for o in organisations]
        )
        self.user_id.choices = choices([("", "No account")] + [(u.id, f"{u.full_name} ({u.email})") for u in users])

    def values(self) -> dict:
        return {
            "role": self.role.data,
            "member_name": self.member_name.data,
            "deputy_name": self.deputy_name.data or "",
            "organisation_id": int(self.organisation_id.data),
            "user_id": _id_or_none(self.user_id.data),
            "joined_on": self.joined_on.data,
            "left_on": self.left_on.data,
        }


class PanelForm(FlaskForm):
    chair_id = SelectField("Chair", widget=GovSelect(), validators=[Optional()])
    deputy_chair_id = SelectField("Deputy chair", widget=GovSelect(), validators=[Optional()])
    terms_reviewed_on = SafeDateField("Terms of reference last reviewed (optional)", description=DATE_HINT)
    terms_review_due_on = SafeDateField("Terms of reference next review due (optional)", description=DATE_HINT)
    submit = SubmitField("Save", widget=GovSubmitInput())

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        options = [("", "Not set")] + [(m.id, f"{m.member_name}, {m.role_label}") for m in members]
        self.chair_id.choices = choices(options)
        self.deputy_chair_id.choices = choices(options)


def attendance_form_class(members):
    """One status and one case-logs checkbox per member: status_<id> and checked_<id>."""

    class AttendanceForm(FlaskForm):
        submit = SubmitField("Save attendance", widget=GovSubmitInput())

        def entries(self) -> dict[int, tuple[str | None, bool]]:
            return {
                m.id: (getattr(self, f"status_{m.id}").data or None, bool(getattr(self, f"checked_{m.id}").data))
                for m in members
            }

    for member in members:
        setattr(
            AttendanceForm,
            f"status_{member.id}",
            RadioField(
                f"{member.member_name}, {member.role_label}",
                widget=GovRadioInput(),
                choices=choices([("", "Not recorded"), *Attendance.pairs()]),
                default="",
                validators=[Optional()],
            ),
        )
        setattr(
            AttendanceForm,
            f"checked_{member.id}",
            BooleanField(f"{member.member_name} checked the case logs beforehand", widget=GovCheckboxInput()),
        )
    return AttendanceForm
