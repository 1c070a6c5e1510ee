"""What a person sees when a text is over its limit: the field and the limit in the error summary,
the text kept in the box, nothing saved."""

import html
import re

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from core.extensions import db
from core.vocab import Role
from plans import services
from plans.models import Plan, PlanRow, ProgressUpdate
from tests.limits.test_import_limits import errors_in_summary


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_a_progress_update_over_5000_characters_is_refused_and_kept_in_the_box(app, client, world, login_as):
    login_as(Role.SPOC)
    text = "Sessions held across the county. " * 151  # 33 * 151 = 4,983 characters
    text += "x" * 18
    assert len(text) == 5001

    response = client.post(
        f"/plans/{world.plan_id}/rows/{world.row_id}/progress", data={"items": text, "rag": "green", "version": "1"}
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert errors_in_summary(page) == ["Progress update must be 5,000 characters or fewer"]
    assert page.count("<title>Error: ") == 1
    assert html.escape(text, quote=False) in page  # nothing typed is lost
    assert count(app, ProgressUpdate) == 0


def test_a_progress_update_of_too_many_items_is_refused(app, client, world, login_as):
    login_as(Role.SPOC)
    items = "\n".join(f"Session {n} held" for n in range(1, 27))
    page = client.post(
        f"/plans/{world.plan_id}/rows/{world.row_id}/progress", data={"items": items, "rag": "green", "version": "1"}
    ).get_data(as_text=True)
    assert errors_in_summary(page) == ["Progress update must have 25 items or fewer, one per line (it has 26)"]
    assert count(app, ProgressUpdate) == 0


def test_row_form_limits_list_cells_and_the_plans_own_columns(app, client, world, login_as):
    with app.app_context():
        plan = db.session.get(Plan, world.plan_id)
        plan.columns = [*plan.columns, ["extra:Guidance", "Guidance"]]
        db.session.commit()
    login_as(Role.SPOC)
    before = count(app, PlanRow)
    form = {
        "duty": "Train staff in schools",
        "actions": "\n".join(f"- Action {n}" for n in range(1, 27)),
        "leads": "Prevent Lead\n" + "L" * 1501,
        "extra_0": "g" * 3001,
    }

    page = client.post(f"/plans/{world.plan_id}/rows/new", data=form).get_data(as_text=True)

    assert errors_in_summary(page) == [
        "Actions must have 25 items or fewer, one per line (it has 26)",
        "Lead must have items of 1,500 characters or fewer (item 2 has 1,501)",
        "Guidance must be 3,000 characters or fewer",
    ]
    assert count(app, PlanRow) == before


def test_a_plan_of_1000_rows_takes_no_more(app, client, world, login_as):
    with app.app_context():
        plan = db.session.get(Plan, world.plan_id)
        for number in range(2, 1001):  # the world's plan has one row already
            services.add_row(plan, values={"duty": f"Duty {number}"})
        db.session.commit()
    login_as(Role.SPOC)

    page = client.post(f"/plans/{world.plan_id}/rows/new", data={"duty": "One more"}).get_data(as_text=True)

    assert errors_in_summary(page) == [
        "This plan has 1,000 rows, the most a plan may have. Archive rows it no longer needs (update it from a "
        "spreadsheet without them), or start a new plan"
    ]
    with app.app_context():
        assert services.live_row_count(db.session.get(Plan, world.plan_id)) == 1000


@pytest.mark.parametrize(
    ("form_class", "data", "field", "message"),
    [
        (
            "board.forms:AgendaItemForm",
            {"title": "Minutes of the last meeting", "minutes": "m" * 20001},
            "minutes",
            "Minutes must be 20,000 characters or fewer",
        ),
        (
            "board.forms:ActionForm",
            {"description": "Chase", "owner": "o" * 201},
            "owner",
            "Owner must be 200 characters or fewer",
        ),
        (
            "channel_panel.forms:ShareForm",
            {"shared_with": "MASH", "what": "w" * 5001, "legal_basis": "consent"},
            "what",
            "What was shared must be 5,000 characters or fewer",
        ),
        (
            "channel_panel.forms:PersonalDetailsForm",
            {"full_name": "n" * 201},
            "full_name",
            "Full name must be 200 characters or fewer",
        ),
        (
            "training.forms:CourseForm",
            {"name": "c" * 201, "kind": "wrap", "validity_months": "36", "counts_for_coverage": "yes"},
            "name",
            "Course name must be 200 characters or fewer",
        ),
        (
            "compliance.forms:RatingForm",
            {"rating": "met", "narrative": "n" * 20001},
            "narrative",
            "Narrative must be 20,000 characters or fewer",
        ),
        (
            "core.forms:ChangePasswordForm",
            {"current_password": "p" * 257, "new_password": "x", "confirm_password": "x"},
            "current_password",
            "Current password must be 256 characters or fewer",
        ),
    ],
)
def test_domain_forms_name_the_field_and_the_limit(app, form_class, data, field, message):
    import importlib

    module, name = form_class.split(":")
    cls = getattr(importlib.import_module(module), name)
    kwargs = {}
    if name in ("ActionForm",):
        kwargs["items"] = []
    if name == "ChangePasswordForm":
        kwargs |= {"user": type("U", (), {"email": "a@b.example"})(), "check_current": lambda *_: "wrong"}
    with app.test_request_context(method="POST"):
        form = cls(formdata=MultiDict(data), **kwargs)
        form.validate()
        assert getattr(form, field).errors == [message]
        assert re.match(r"^[A-Z]", message)
