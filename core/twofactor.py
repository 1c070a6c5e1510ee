"""Two-factor authentication for password accounts: TOTP secrets (encrypted at rest), codes
checked once each, single-use recovery codes, and who must use it.

Functions add and flush; the request (or command) commits once, at its end. The two checks that
must hold under concurrency are single SQL statements: a TOTP step is accepted only if it is
later than the last one accepted, and a recovery code is spent only if it was unused.
"""

import base64
import hashlib
import secrets
from datetime import datetime

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from markupsafe import Markup
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from core import clock
from core.db import utcnow
from core.extensions import db
from core.models import RecoveryCode, User
from core.vocab import Role

#: Roles whose accounts must use a second factor (TWO_FACTOR_FOR_EVERYONE adds every account).
REQUIRED_ROLES = frozenset(
    {Role.PREVENT_LEAD, Role.PANEL_CHAIR, Role.PANEL_MEMBER, Role.AUDITOR, Role.REGIONAL_COORDINATOR}
)
RECOVERY_CODE_COUNT = 10
#: 30-second steps; a code is accepted one step either side of now (a phone's clock drifts).
STEP_SECONDS = 30
ISSUER = "Prevent partnership tracker"


class SecretUnreadable(Exception):
    """The stored secret cannot be decrypted with the configured key."""


def required_for(user: User) -> bool:
    """Whether this account must use a second factor."""
    return bool(current_app.config.get("TWO_FACTOR_FOR_EVERYONE")) or bool(user.role_set & REQUIRED_ROLES)


def _fernet() -> Fernet:
    key = current_app.config.get("TWO_FACTOR_KEY") or ""
    if key:
        return Fernet(key.encode())
    # Derived from SECRET_KEY (which every app server shares and the database does not hold),
    # so a copy of the database alone does not give the secrets away.
    digest = hashlib.sha256(b"prevent-totp-secrets:" + current_app.config["SECRET_KEY"].encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt_secret(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt_secret(stored: str) -> str:
    try:
        return _fernet().decrypt(stored.encode()).decode()
    except (InvalidToken, ValueError) as exc:
        raise SecretUnreadable("the two-factor secret cannot be read with this server's key") from exc


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(
        name=user.email, issuer_name=current_app.config.get("SERVICE_NAME") or ISSUER
    )


def qr_svg(uri: str) -> Markup:
    """The enrolment QR code as inline SVG, drawn here (no image service, no script)."""
    qr = segno.make(uri, error="m")
    svg = qr.svg_inline(scale=5, dark="#0b0c0c", light="#ffffff", border=4, omitsize=False)
    labelled = svg.replace("<svg ", '<svg role="img" aria-label="QR code for your authenticator app" ', 1)
    # segno's SVG holds only path data (the email is encoded in the modules, not written as text).
    return Markup(labelled)  # noqa: S704  # nosec B704


def group_secret(secret: str) -> str:
    """The secret in groups of four, for typing into an app."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _step(at: datetime) -> int:
    return int(at.timestamp()) // STEP_SECONDS


def _clean(code: str) -> str:
    return "".join(ch for ch in (code or "") if ch.isalnum()).upper()


def code_matches(secret: str, code: str, *, at: datetime | None = None) -> int | None:
    """The time step ``code`` belongs to (now, or one step either side), or None."""
    code = _clean(code)
    if len(code) != 6 or not code.isdigit():
        return None
    at = at or clock.now()
    totp = pyotp.TOTP(secret)
    for offset in (0, -1, 1):
        step = _step(at) + offset
        if secrets.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def enrol(user: User, *, secret: str) -> list[str]:
    """Set up TOTP with ``secret`` (whose code the person has just entered) and issue recovery
    codes; returns them, to be shown once. Other sessions end: they passed no second factor."""
    user.totp_secret = encrypt_secret(secret)
    user.totp_enrolled_at = utcnow()
    user.totp_last_step = None
    user.session_epoch = (user.session_epoch or 0) + 1
    db.session.flush()
    return issue_recovery_codes(user)


def disable(user: User) -> None:
    """Remove TOTP and the recovery codes (the person chose to, or lost their device)."""
    user.totp_secret = None
    user.totp_enrolled_at = None
    user.totp_last_step = None
    user.session_epoch = (user.session_epoch or 0) + 1
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()


def verify_code(user: User, code: str) -> bool:
    """Accept a TOTP code once: its step must be later than the last accepted, set in the same
    SQL statement, so a code seen over someone's shoulder (or sent twice at once) fails."""
    if user.totp_secret is None:
        return False
    step = code_matches(decrypt_secret(user.totp_secret), code)
    if step is None:
        return False
    accepted = db.session.execute(
        update(User)
        .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    if accepted:
        set_committed_value(user, "totp_last_step", step)  # written above; bookkeeping, not audited
    return accepted == 1


def _hash_code(code: str) -> str:
    return hashlib.sha256(_clean(code).encode()).hexdigest()


def issue_recovery_codes(user: User) -> list[str]:
    """Replace the account's recovery codes with new ones; returns them (only hashes are kept)."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
    codes = ["".join(secrets.choice(alphabet) for _ in range(10)) for _ in range(RECOVERY_CODE_COUNT)]
    for code in codes:
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash_code(code)))
    db.session.flush()
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def use_recovery_code(user: User, code: str) -> bool:
    """Spend a recovery code: marked used in one statement that finds it unused, or refused."""
    cleaned = _clean(code)
    if len(cleaned) != 10:
        return False
    spent = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash_code(cleaned),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    return spent == 1


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def looks_like_recovery_code(code: str) -> bool:
    return len(_clean(code)) == 10
