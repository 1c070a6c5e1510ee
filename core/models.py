"""Accounts: users, their roles, and the security event log."""

import hashlib
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import clock
from core.db import Base, Timestamped, utcnow
from core.tenancy import Scoped, ScopedOptional
from core.vocab import Role

ROLE_VALUES = ", ".join(f"'{r.value}'" for r in Role)


class User(Scoped, UserMixin, Timestamped, Base):
    __tablename__ = "users"
    __audited__ = True

    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), info={"person_name": True})
    job_title: Mapped[str] = mapped_column(String(200), default="")
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    password_hash: Mapped[str] = mapped_column(String(255), info={"audit": "redact"})
    #: False once deactivated; users are never deleted because records name them.
    active: Mapped[bool] = mapped_column(default=True)
    #: The day the account was last deactivated (None while active): its personal fields are
    #: redacted a set period after it (core.account_retention).
    deactivated_on: Mapped[date | None]
    #: The day its name, email and job title were redacted under retention; None until then.
    personal_data_removed_on: Mapped[date | None]
    #: Set when the Prevent Lead sets a temporary password; cleared when the user picks one.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    #: Consecutive failed sign-ins since the last success.
    failed_logins: Mapped[int] = mapped_column(default=0, info={"audit": False})
    locked_until: Mapped[datetime | None] = mapped_column(info={"audit": False})
    last_login_at: Mapped[datetime | None] = mapped_column(info={"audit": False})
    #: Last day the account may sign in (auditors' time-limited access); None for no limit.
    access_expires_on: Mapped[date | None]
    #: The one compliance year an auditor may see; None for every year.
    audit_year: Mapped[int | None]
    #: Raised to end every session of the account at once (a password reset, a 2FA reset).
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0", info={"audit": False})
    #: The TOTP secret, encrypted with a key from the configuration (core.twofactor); None when
    #: two-factor authentication is not set up.
    totp_secret: Mapped[str | None] = mapped_column(String(255), info={"audit": "redact"})
    #: When two-factor authentication was last set up; None when it is not.
    totp_enrolled_at: Mapped[datetime | None] = mapped_column(info={"audit": False})
    #: The last TOTP time step accepted: a code is refused at or before it, so no code works twice.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, info={"audit": False})

    roles: Mapped[list["UserRole"]] = relationship(back_populates="user", cascade="all, delete-orphan", lazy="selectin")
    organisation: Mapped["Organisation | None"] = relationship(lazy="joined")  # noqa: F821
    spoc_assignments: Mapped[list["SpocAssignment"]] = relationship(  # noqa: F821
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive users
        return self.active

    @property
    def is_authenticated(self) -> bool:
        # flask-login ties this to is_active; the request guard wants to tell a deactivated
        # user apart from an anonymous one, to say why they were signed out.
        return True

    @property
    def session_tag(self) -> str:
        """A short fingerprint of the password hash and the session epoch: a new password, or a
        raised epoch, ends every other session."""
        fingerprint = f"{self.password_hash}:{self.session_epoch or 0}"
        return hashlib.sha256(fingerprint.encode()).hexdigest()[:12]

    def get_id(self) -> str:  # what flask-login keeps in the signed session cookie
        return f"{self.id}:{self.session_tag}"

    @property
    def role_set(self) -> frozenset[Role]:
        return frozenset(Role(r.role) for r in self.roles)

    @property
    def lead_area_ids(self) -> frozenset[int]:
        return frozenset(a.area_id for a in self.spoc_assignments)

    def has_role(self, role: Role) -> bool:
        return role in self.role_set

    @property
    def role_labels(self) -> list[str]:
        return [Role(r).label for r in sorted(self.role_set)]

    def access_expired(self, today: date | None = None) -> bool:
        return self.access_expires_on is not None and (today or clock.today()) > self.access_expires_on

    def is_locked(self, now: datetime | None = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or utcnow())

    @property
    def has_two_factor(self) -> bool:
        return self.totp_secret is not None


class UserRole(Scoped, Base):
    __tablename__ = "user_roles"
    __audited__ = True
    __audit_label__ = "role"
    __table_args__ = (
        UniqueConstraint("user_id", "role"),
        CheckConstraint(f"role IN ({ROLE_VALUES})", name="known_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(40))

    user: Mapped[User] = relationship(back_populates="roles")

    def __repr__(self) -> str:
        return f"<UserRole {self.user_id} {self.role}>"


class SecurityEvent(ScopedOptional, Base):
    """Sign-ins, failures, lockouts, refused pages and bad form tokens, for the Prevent Lead."""

    __tablename__ = "security_events"
    __table_args__ = (
        Index("ix_security_events_at", "at"),
        # Every signed-in request asks whether its session was signed out (core.auth.load_user):
        # one user's events of one kind, never a scan of every sign-out ever recorded.
        Index("ix_security_events_user_kind", "user_id", "kind"),
        # As for the audit trail: no RETURNING for an event of no partnership (core.tenancy).
        {"implicit_returning": False},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    #: login_ok, login_failed, login_unknown_email, login_locked, login_inactive, login_expired,
    #: account_locked, logout, forbidden, csrf_failed, session_expired, password_check_failed,
    #: password_check_locked, two_factor_enrolled, two_factor_disabled, two_factor_reset,
    #: two_factor_failed, two_factor_ok, recovery_code_used, recovery_codes_issued,
    #: password_reset_requested, password_reset_done, password_reset_refused
    kind: Mapped[str] = mapped_column(String(40), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    email: Mapped[str] = mapped_column(String(254), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    path: Mapped[str] = mapped_column(String(500), default="")
    detail: Mapped[str] = mapped_column(String(500), default="")

    def __repr__(self) -> str:
        return f"<SecurityEvent {self.kind} {self.email or self.user_id}>"


class LoginThrottle(Base):
    """Failed attempts counted per key, in a window: one row per (email, source address) pair,
    one per email across every address, one per account's current-password check.

    The key is a SHA-256 of what it counts, so no email typed at sign-in is stored here. The
    count is raised in SQL (core.throttle), so concurrent attempts cannot overwrite each other.
    """

    __tablename__ = "login_throttles"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    #: Attempts claimed since ``window_start`` (each is claimed before its password is checked).
    failures: Mapped[int] = mapped_column(default=0)
    window_start: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<LoginThrottle {self.key[:8]} {self.failures}>"


class RecoveryCode(Base):
    """A single-use code that stands in for the authenticator app; only its hash is kept."""

    __tablename__ = "recovery_codes"
    __table_args__ = (UniqueConstraint("user_id", "code_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the code (the codes are random, 50 bits each: a slow hash adds nothing).
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<RecoveryCode {self.user_id} {'used' if self.used_at else 'unused'}>"


class PasswordResetToken(Base):
    """A password reset link sent by email: single-use and time-limited; only its hash is kept."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<PasswordResetToken {self.user_id} {'used' if self.used_at else 'open'}>"
