"""The password policy and hashing."""

import pytest

from core.passwords import hash_password, password_problem, verify_password


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short-one", "Password must be 12 characters or more"),
        ("password123456", "Password is too common"),
        ("Password2026!", "Password is too common"),
        ("Manchester-United-99", "Password is too common"),
        ("qwertyuiop", "Password must be 12 characters or more"),
        ("aaaaaaaaaaaaaaaa", "Password must use more than a few different characters"),
        ("ababababababab", "Password must use more than a few different characters"),
        ("jane.smith-rocks-2026", "Password must not contain your email address"),
        ("x" * 257, "Password must be 256 characters or fewer"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password, message):
    problem = password_problem(password, email="jane.smith@council.example")
    assert problem is not None
    assert problem.startswith(message)


def test_a_good_password_passes():
    assert password_problem("Fenland-Heron-Lantern-7", email="jane.smith@council.example") is None


def test_hash_verifies_and_is_salted(ctx):
    first, second = hash_password("Fenland-Heron-Lantern-7"), hash_password("Fenland-Heron-Lantern-7")
    assert first != second
    assert first.startswith("$argon2")
    assert verify_password(first, "Fenland-Heron-Lantern-7")
    assert not verify_password(first, "fenland-heron-lantern-7")
    assert not verify_password("not a hash", "anything")
