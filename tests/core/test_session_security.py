"""Sessions and form tokens: signed cookies with safe flags, CSRF on every signed-in form, and a
signed-out session that cannot be brought back by replaying its cookie."""

import re

from sqlalchemy import func, select

from core.app import create_app
from core.extensions import db
from core.vocab import Role
from plans.models import ProgressUpdate
from tests.conftest import csrf_token, finish_sign_in, sign_in

COOKIE = "prevent_session"


def session_cookie(client) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None, "no session cookie"
    return cookie.value


def progress_count(app, row_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).where(ProgressUpdate.row_id == row_id))


def strict_app(app, **overrides):
    return create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        UPLOAD_FOLDER=app.config["UPLOAD_FOLDER"],
        WTF_CSRF_ENABLED=True,
        **overrides,
    )


def signed_in(app, world, role=Role.SPOC):
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": world.users[role].email, "password": "x", "csrf_token": token})
    assert response.status_code == 200  # wrong password; now the right one
    response = client.post(
        "/login",
        data={"email": world.users[role].email, "password": world.users[role].password, "csrf_token": token},
    )
    response = finish_sign_in(client, response, world.users[role].email)
    assert response.status_code == 302
    return client


def test_production_cookies_are_secure_httponly_and_samesite(app, world):
    production = create_app(
        "production",
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        SECRET_KEY="p" * 40,
        WTF_CSRF_ENABLED=False,
        ARGON2_FAST=True,
        ALLOW_FIXED_CLOCK=True,
    )
    response = sign_in(production.test_client(), world.users[Role.SPOC].email)
    assert response.status_code == 302
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{COOKIE}="))
    for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
        assert flag in cookie, (flag, cookie)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_a_tampered_session_cookie_is_ignored(app, client, world):
    sign_in(client, world.users[Role.SPOC].email)
    assert client.get("/").status_code == 200
    value = session_cookie(client)
    payload, _, signature = value.rpartition(".")
    # The first character: the last one of a base64 signature carries unused padding bits, so
    # changing it can leave the decoded signature as it was.
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    client.set_cookie(COOKIE, f"{payload}.{flipped}")
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_cookie_signed_with_another_key_is_ignored(app, world):
    other = create_app("test", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], SECRET_KEY="another")
    forger = other.test_client()
    # (A SPOC: the Prevent Lead's two-factor secret cannot be read under another key at all.)
    assert sign_in(forger, world.users[Role.SPOC].email).status_code == 302
    victim = app.test_client()
    victim.set_cookie(COOKIE, session_cookie(forger))
    response = victim.get("/areas")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_signed_in_forms_refuse_a_missing_or_wrong_token(app, world):
    client = signed_in(strict_app(app), world)
    url = f"/plans/{world.plan_id}/rows/{world.row_id}/progress"
    page = client.get(url).get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    data = {"items": "Assemblies planned", "rag": "green", "version": version}
    before = progress_count(app, world.row_id)
    assert client.post(url, data=data).status_code == 400
    assert client.post(url, data={**data, "csrf_token": "forged"}).status_code == 400
    # A token from another user's session is refused too.
    other = signed_in(strict_app(app), world, Role.PREVENT_LEAD)
    stolen = csrf_token(other.get(url).get_data(as_text=True))
    assert client.post(url, data={**data, "csrf_token": stolen}).status_code == 400
    assert progress_count(app, world.row_id) == before
    assert client.post(url, data={**data, "csrf_token": csrf_token(page)}).status_code == 302
    assert progress_count(app, world.row_id) == before + 1


def test_sign_out_needs_a_token(app, world):
    client = signed_in(strict_app(app), world)
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200  # still signed in: a forged link cannot sign you out


def test_a_signed_out_session_cannot_be_replayed(app, world):
    strict = strict_app(app)
    client = signed_in(strict, world)
    stolen = session_cookie(client)
    token = csrf_token(client.get("/").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302
    replay = strict.test_client()
    replay.set_cookie(COOKIE, stolen)
    response = replay.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
