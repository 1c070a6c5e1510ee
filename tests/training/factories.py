"""factory-boy factories for training records. People are fictional."""

from datetime import date

import factory

from tests.factories import BaseFactory, OrganisationFactory
from training.models import (
    Completion,
    Course,
    CourseKind,
    Delivery,
    Evaluation,
    Facilitator,
    Headcount,
    Person,
    TrainingSession,
)
from training.services import expiry_date


class CourseFactory(BaseFactory):
    class Meta:
        model = Course

    name = factory.Sequence(lambda n: f"Course {n}")
    kind = CourseKind.WRAP.value
    validity_months = 36
    counts_for_coverage = True


class PersonFactory(BaseFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"Staff Member {n}")
    email = factory.Sequence(lambda n: f"staff{n}@partner.example")
    staff_number = None
    organisation = factory.SubFactory(OrganisationFactory)
    role = "Officer"


class FacilitatorFactory(BaseFactory):
    class Meta:
        model = Facilitator

    name = factory.Sequence(lambda n: f"Facilitator {n}")
    accredited_on = date(2022, 5, 1)


class CompletionFactory(BaseFactory):
    class Meta:
        model = Completion

    person = factory.SubFactory(PersonFactory)
    course = factory.SubFactory(CourseFactory)
    completed_on = date(2025, 6, 1)
    expires_on = factory.LazyAttribute(lambda c: expiry_date(c.completed_on, c.course.validity_months))
    delivery = Delivery.FACILITATED.value


class HeadcountFactory(BaseFactory):
    class Meta:
        model = Headcount

    organisation = factory.SubFactory(OrganisationFactory)
    team = ""
    as_of = date(2025, 1, 1)
    relevant_headcount = 10
    source = "HR establishment report"


class SessionFactory(BaseFactory):
    class Meta:
        model = TrainingSession

    course = factory.SubFactory(CourseFactory)
    held_on = date(2025, 6, 1)
    place = factory.Sequence(lambda n: f"Room {n}, Town Hall")
    capacity = 20


class EvaluationFactory(BaseFactory):
    class Meta:
        model = Evaluation

    session = factory.SubFactory(SessionFactory)
    understanding_before = 2
    understanding_after = 4
    confidence_before = 2
    confidence_after = 4
