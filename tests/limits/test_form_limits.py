"""Every text a person can type into a form has a length limit from core.limits, with a GOV.UK message."""

import importlib
import pkgutil

import pytest
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, TextAreaField
from wtforms.fields.core import UnboundField

from core import limits
from core.limits import ListLimits, MaxLength

PACKAGES = ("core", "partnership", "spoc", "plans", "training", "channel_panel", "board", "compliance")


def _import_everything() -> None:
    for package in PACKAGES:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, prefix=f"{package}."):
            importlib.import_module(info.name)


def _form_classes() -> list[type]:
    _import_everything()
    seen, todo = [], list(FlaskForm.__subclasses__())
    while todo:
        cls = todo.pop()
        if cls not in seen:
            seen.append(cls)
            todo.extend(cls.__subclasses__())
    return seen


def _validators(unbound: UnboundField) -> list:
    if "validators" in unbound.kwargs:
        return list(unbound.kwargs["validators"] or [])
    return list(unbound.args[1]) if len(unbound.args) > 1 else []


def _text_fields(cls) -> list[tuple[str, UnboundField]]:
    out = []
    for name in dir(cls):
        attr = getattr(cls, name, None)
        if isinstance(attr, UnboundField) and issubclass(attr.field_class, StringField | TextAreaField | PasswordField):
            if attr.field_class.__name__ == "HiddenField":
                continue
            out.append((name, attr))
    return out


def _dynamic_forms(app) -> list[type]:
    """Forms built per plan or per file: built here with a plan that has an extra column."""
    from core.importing.pages import _mapping_form
    from plans import imports
    from plans.forms import columns_form_class, row_form_class

    with app.test_request_context():
        return [
            row_form_class([["duty", "Duty"], ["extra:Guidance", "Guidance"]]),
            columns_form_class([["duty", "Duty"]]),
            type(_mapping_form(imports.plan_spec("spoc"), ["Duty"], "Import")),
        ]


def test_every_text_field_of_every_form_has_a_length_limit(app):
    missing = []
    classes = _form_classes() + _dynamic_forms(app)
    assert len(classes) > 60  # the walk found the forms (there are about 70)
    for cls in classes:
        for name, unbound in _text_fields(cls):
            if not any(isinstance(v, MaxLength) for v in _validators(unbound)):
                missing.append(f"{cls.__module__}.{cls.__qualname__}.{name}")
    assert missing == [], "\n".join(missing)


def test_list_boxes_limit_their_items(app):
    """Every box that holds a list cell of a plan row counts its items and their length."""
    from plans.forms import ProgressForm, RowForm

    for cls, names in (
        (RowForm, ("actions", "impact", "leads", "responsible_agency", "evidence", "next_steps")),
        (ProgressForm, ("items",)),
    ):
        for name in names:
            assert any(isinstance(v, ListLimits) for v in _validators(getattr(cls, name))), name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 5000, None),
        ("a" * 5001, "must be 5,000 characters or fewer (it has 5,001)"),
        ("", None),
        (None, None),
    ],
)
def test_too_long_says_the_limit_and_the_length(text, expected):
    assert limits.too_long(text, 5000) == expected


def test_list_problem_names_the_count_or_the_item():
    assert limits.list_problem(["x"] * 25) is None
    assert limits.list_problem(["x"] * 26) == "must have 25 items or fewer, one per line (it has 26)"
    assert limits.list_problem(["x", "y" * 1500]) is None
    assert limits.list_problem(["x", "y" * 1501]) == "must have items of 1,500 characters or fewer (item 2 has 1,501)"


def _string_columns() -> dict[str, list[tuple[str, int]]]:
    """package -> (column name, String length) of every String column of its models."""
    from sqlalchemy import String

    from core.db import Base

    out: dict[str, list[tuple[str, int]]] = {}
    for mapper in Base.registry.mappers:
        package = mapper.class_.__module__.split(".")[0]
        for column in mapper.columns:
            if isinstance(column.type, String) and column.type.length:
                out.setdefault(package, []).append((column.key, column.type.length))
    return out


def test_no_column_is_shorter_than_the_limit_of_the_form_field_that_fills_it(app):
    """A form field and the column it is saved in share a name (or are paired here by hand): the
    column must hold everything the field lets through, or a valid form would fail to save."""
    columns = _string_columns()
    #: form field -> the column it is saved in, where the names differ: (package, column).
    by_hand = {
        ("training.forms", "name"): ("training", "full_name"),
        ("plans.forms", "section_title"): ("plans", "title"),
        ("core.forms", "entity_id"): None,
        ("core.forms", "code"): None,
    }
    too_short = []
    checked = 0
    for cls in _form_classes() + _dynamic_forms(app):
        package = cls.__module__.split(".")[0]
        for name, unbound in _text_fields(cls):
            limit = next((v.limit for v in _validators(unbound) if isinstance(v, MaxLength)), None)
            if limit is None:
                continue
            target = by_hand.get((cls.__module__, name), (package, name))
            if target is None:
                continue
            # Several models of a package may have a column of the name (a meeting's title, an agenda
            # item's): the field fills one of them, so the longest must hold it.
            lengths = [length for column, length in columns.get(target[0], []) if column == target[1]]
            if lengths:
                checked += 1
                if max(lengths) < limit:
                    too_short.append(f"{cls.__qualname__}.{name} ({limit}) -> {target[0]} {target[1]} {lengths}")
    assert checked > 40
    assert too_short == [], "\n".join(too_short)
