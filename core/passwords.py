"""Password hashing (argon2) and the password policy."""

from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

_COMMON_FILE = Path(__file__).with_name("common_passwords.txt")


def _hasher() -> PasswordHasher:
    if current_app and current_app.config.get("ARGON2_FAST"):
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A hash to verify against when the email is unknown, so both paths cost the same time. Kept
# per process, one per hashing setting: it is a hash of a constant, not data.
_DUMMY_HASHES: dict[bool, str] = {}


def burn_verification_time() -> None:
    fast = bool(current_app.config.get("ARGON2_FAST"))
    if fast not in _DUMMY_HASHES:
        _DUMMY_HASHES[fast] = _hasher().hash("not-a-real-password")
    verify_password(_DUMMY_HASHES[fast], "wrong")


@cache
def common_passwords() -> frozenset[str]:
    words = _COMMON_FILE.read_text(encoding="utf-8").split()
    return frozenset(w.strip().lower() for w in words if w.strip())


def password_problem(password: str, *, email: str = "", min_length: int = 12) -> str | None:
    """The reason a new password is not acceptable, in GOV.UK wording, or None."""
    if len(password) < min_length:
        return f"Password must be {min_length} characters or more"
    if len(password) > 256:
        return "Password must be 256 characters or fewer"
    lowered = password.lower()
    squashed = "".join(ch for ch in lowered if ch.isalnum())
    # "Password2026!" is "password" with decoration: strip trailing digits and symbols too.
    decoration = "0123456789!@#$%^&*?.-_ "
    candidates = {lowered, squashed, lowered.rstrip(decoration), squashed.rstrip(decoration)}
    if candidates & common_passwords():
        return "Password is too common. Choose a password that is harder to guess"
    if len(set(lowered)) < 4:
        return "Password must use more than a few different characters"
    local = email.split("@")[0].lower()
    if local and len(local) >= 4 and local in lowered:
        return "Password must not contain your email address"
    return None
