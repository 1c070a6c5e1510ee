"""Error pages: styled, plain-spoken, never a stack trace."""

import contextlib

from flask import Flask, g, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from core.extensions import db, login_manager
from core.pdf import PdfError

_TITLES = {
    400: ("Sorry, there is a problem with that request", "Check what you entered and try again."),
    403: (
        "You do not have permission to see this page",
        "Your role does not give access to it. If you think it should, contact your Prevent Lead.",
    ),
    404: ("Page not found", "If you typed the web address, check it is correct."),
    405: ("Sorry, that action is not available here", "Go back and use the buttons on the page."),
    413: ("The file is too large", ""),
    500: ("Sorry, there is a problem with the service", "Try again later. Nothing you entered was saved."),
    503: (
        "Sorry, the service is unavailable",
        "The database cannot be reached just now. Try again in a few minutes. Nothing you entered was saved.",
    ),
}


def _too_large() -> str:
    """The 413 page's words: the limits, and where a larger spreadsheet can go."""
    from flask import current_app

    from core import limits
    from core.uploads import size_label

    upload = size_label(current_app.config["MAX_UPLOAD_BYTES"])
    spreadsheet = size_label(limits.IMPORT_BYTES)
    return (
        f"A file you upload must be {upload} or smaller, and a spreadsheet to import {spreadsheet} or smaller. "
        "Nothing was saved. Go back and choose a smaller file: split a large spreadsheet into smaller files, "
        "or ask your administrator to import it from the command line."
    )


def _page(status: int, detail: str | None = None):
    title, body = _TITLES.get(status, _TITLES[500])
    if status == 413 and not detail:
        body = _too_large()
    return render_template("errors/error.html", status=status, title=title, body=detail or body), status


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        from flask_login import current_user

        from core import accounts

        # The 400 rolls the request back; the event is kept (core.transactions), and a failure to
        # write it is logged, never turned into a 500.
        accounts.log_event(
            "csrf_failed",
            user=current_user if current_user.is_authenticated else None,
            detail=str(error.description)[:200],
            survives_rollback=True,
        )
        return _page(
            400,
            "The form could not be accepted because its security token was missing or out of date. "
            "Go back, reload the page and try again.",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return _page(error.code or 500)

    @app.errorhandler(PdfError)
    def pdf_failed(error: PdfError):
        # The renderer has logged the cause; the user gets a plain message and no file, and the
        # 503 rolls back whatever the request had written (core.transactions).
        body = f"{error}. Nothing was saved. Try again in a few minutes; if it keeps failing, tell your administrator."
        title = "Sorry, the document could not be produced"
        return render_template("errors/error.html", status=503, title=title, body=body), 503

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def out_of_range(error):
        # A number past what a column holds (SQLite's OverflowError, PostgreSQL's "out of range"),
        # from a query string or form: routes' ids are bounded by core.app.IdConverter already.
        with contextlib.suppress(DBAPIError):
            db.session.rollback()
        app.logger.info("value out of the database's range on %s", request.path)
        return _page(404)

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def database_unavailable(error):
        with contextlib.suppress(DBAPIError):  # the connection may be gone already
            db.session.rollback()
        # The page must not reach for the database again: show it as to a signed-out visitor
        # (loading the user, or their expired attributes after the rollback, would fail again).
        g._login_user = login_manager.anonymous_user()
        app.logger.error("database error on %s: %s", request.path, error)
        return _page(503)

    @app.errorhandler(Exception)
    def unexpected(error):
        db.session.rollback()
        app.logger.exception("unhandled error on %s", request.path)
        return _page(500)
