"""The signed-in shell (session, account, roles, SPOC areas, the signed-out check) is one SQL
statement: the change-password form is little more than the shell, so it costs exactly that."""

import pytest
from sqlalchemy import event

from core.extensions import db
from core.vocab import Role


def _statements(app, client, url: str) -> list[str]:
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def on_execute(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    assert response.status_code == 200, response.status_code
    return seen


@pytest.mark.parametrize("role", list(Role))
def test_the_signed_in_shell_is_one_statement_for_every_role(app, client, login_as, role):
    login_as(role)
    client.get("/account/password")  # the first request after signing in may record the session
    seen = _statements(app, client, "/account/password")
    # On PostgreSQL each transaction first names its partnership for row-level security.
    guard = [s for s in seen if s.startswith("SELECT set_config(")]
    rest = [s for s in seen if s not in guard]
    assert len(rest) == 1, rest
    assert len(guard) == (1 if db_is_postgres(app) else 0), guard


def db_is_postgres(app) -> bool:
    with app.app_context():
        return db.engine.dialect.name == "postgresql"


def test_a_page_of_a_spoc_reads_their_areas_from_the_one_shell_statement(app, client, login_as, world):
    """The SPOC's areas decide what they may write: read with the account, not once per check."""
    login_as(Role.SPOC)
    seen = _statements(app, client, "/account/password")
    shell = [s for s in seen if "FROM users" in s]
    assert len(shell) == 1
    assert "spoc_assignments" in shell[0] and "user_roles" in shell[0] and "security_events" in shell[0]
