"""One transaction per request, ended by the framework; and the few writes that stand whatever
becomes of the request.

Views, services and helpers add and flush; none commits. When the response is ready, the
request's transaction is committed if the response is a success (2xx or 3xx) and rolled back
otherwise (4xx, 5xx, and every exception, which the error handlers turn into a 4xx or 5xx), so
a failed request writes nothing at all. (A view that answers a service's refusal with its form
rolls back what the call wrote before answering, so the commit that follows keeps none of it.)

Some records must stand even when the request is refused or fails, because they say what
happened rather than what was changed: a refused page, a form with a bad security token, a
failed sign-in (and its count towards the lockout), an opening of a Channel case's personal
details. ``keep()`` holds such a write until the end of the request and runs it there: inside
the request's transaction when that is committed (one commit), or alone, in a short transaction
of its own, after the request's work has been rolled back. It is never run while the request's
own writes are pending, so it never commits them; and it never waits on them either: on SQLite a
second connection writing while this request holds the write lock would wait for the busy
timeout, but here the rollback has released the lock before the kept write begins.
"""

import contextlib
from collections.abc import Callable

from flask import Flask, Response, current_app, g, has_request_context
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable

from core.extensions import db


def register(app: Flask) -> None:
    # Registered after the other after-request functions, so Flask runs it before them: the
    # error page that replaces a response whose commit failed still gets the security headers.
    app.after_request(end_request)


def keep(statement: Executable) -> None:
    """Write ``statement`` (an INSERT or UPDATE) at the end of this request, whether it succeeds
    or fails. Outside a request (a command), there is no request to outlast: it runs at once,
    in the command's transaction."""
    if not has_request_context():
        db.session.execute(statement)
        return
    if "kept_writes" not in g:
        g.kept_writes = []
    g.kept_writes.append(statement)


def after_commit(action: Callable[[], None]) -> None:
    """Run ``action`` once this request's transaction has been committed, and not at all if it is
    rolled back (e.g. remove a stashed upload only when its records are saved). Outside a request
    it runs at once: a command calls it after its own commit."""
    if not has_request_context():
        action()
        return
    if "after_commit" not in g:
        g.after_commit = []
    g.after_commit.append(action)


def end_request(response: Response) -> Response:
    """Commit a successful request's transaction, with its kept writes; roll back any other,
    then write its kept writes alone."""
    kept = g.pop("kept_writes", [])
    afterwards = g.pop("after_commit", [])
    if not kept and not db.session.registry.has():
        return response  # the request never touched the database
    if response.status_code >= 400:
        _rollback()
        _write_alone(kept)
        return response
    session = db.session()
    # The page is built, so nothing needs fresh values: what the request loaded stays loaded
    # rather than expiring. A streamed body is read after this commit, and a test client leaves
    # one unread with its context (and Flask-Login's user) in place for the next request.
    session.expire_on_commit = False
    try:
        for statement in kept:
            session.execute(statement)
        session.commit()
    except Exception as error:  # the commit failed (the database went away, a constraint refused it)
        _rollback()
        _write_alone(kept)
        # Answer as if the view had raised it: the error handlers give the 503 or 500 page.
        return current_app.make_response(current_app.handle_user_exception(error))
    for action in afterwards:
        try:
            action()
        except Exception:  # what was saved stands; tidying up after it must not turn it into an error
            current_app.logger.exception("an action after the commit failed")
    return response


def _rollback() -> None:
    with contextlib.suppress(DBAPIError):  # the connection may be gone already
        db.session.rollback()


def _write_alone(kept: list[Executable]) -> None:
    if not kept:
        return
    try:
        for statement in kept:
            db.session.execute(statement)
        db.session.commit()
    except Exception:  # recording must not turn a refusal into a 500; the log keeps the loss
        _rollback()
        current_app.logger.exception("could not record %d write(s) kept from a failed request", len(kept))
