"""Password rules and setting a password.

The rules follow the NCSC's password guidance: a minimum length, a deny-list of common and
breached passwords, and no composition rules (no "one capital, one symbol"), which only push
people to predictable patterns. A password is refused when it is, or is built on, a common
password ("Password2026!", "p@ssw0rd", "letmeinletmein"), an obvious sequence, the service's
name or the person's own name or address.
"""

import re
from functools import cache
from pathlib import Path

from marshmallow import ValidationError

from hub import audit
from hub.accounts import oidc, sessions, tokens
from hub.accounts.sign_in import email_key, find_user_by_email
from hub.core.security import check_password, hash_password
from hub.models import User

MIN_LENGTH = 12
MAX_LENGTH = 200  # long enough for any passphrase; argon2 hashes it in constant memory
_DENY_LIST = Path(__file__).with_name("common_passwords.txt")
_SERVICE_WORDS = ("focushub", "focus hub")
_SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890123456789",
    "qwertyuiopasdfghjklzxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
)
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")


@cache
def common_passwords() -> frozenset[str]:
    lines = _DENY_LIST.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def _is_sequence(text: str) -> bool:
    squashed = re.sub(r"[\W_]+", "", text)
    if len(squashed) < 6:
        return False
    return any(squashed in seq or squashed in seq[::-1] for seq in _SEQUENCES)


def _repeats(text: str) -> bool:
    """ "aaaaaaaaaaaa", "abcabcabcabc", "letmeinletmein": a short unit said again and again."""
    for size in range(1, len(text) // 2 + 1):
        if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
            return size <= 4 or text[:size] in common_passwords()
    return False


def _bases(password: str) -> set[str]:
    """What a guesser would try first: the password, lower-cased, without the digits and
    symbols stuck on either end, and with look-alike characters read back as letters."""
    lowered = " ".join(password.lower().split())
    candidates = {lowered, lowered.translate(_LEET), lowered.replace(" ", "")}
    for text in list(candidates):
        candidates.add(_EDGES.sub("", text))
        candidates.add(_EDGES.sub("", text.translate(_LEET)))
    return {c for c in candidates if c}


def _personal_words(user: User | None) -> set[str]:
    if user is None:
        return set()
    words = {user.email.split("@")[0].lower()}
    words |= {part.lower() for part in re.split(r"[\W_]+", user.name or "") if len(part) >= 4}
    return {w for w in words if len(w) >= 4}


def checked_new_password(data: dict, user: User | None = None) -> dict:
    """A new password form's data, refused (ValidationError on the password field) when the
    password itself is not good enough."""
    problem = password_problem(data["password"], user)
    if problem:
        raise ValidationError({"password": [problem]})
    return data


def password_problem(password: str, user: User | None = None) -> str | None:
    """What is wrong with a new password, in words a person understands, or None."""
    if len(password) < MIN_LENGTH:
        return f"Password must be {MIN_LENGTH} characters or more"
    if len(password) > MAX_LENGTH:
        return f"Password must be {MAX_LENGTH} characters or fewer"
    bases = _bases(password)
    common = common_passwords()
    if any(b in common for b in bases):
        return (
            "This password is too common: people who guess passwords try it first. "
            "Three or four unrelated words make a strong password you can remember"
        )
    if any(_is_sequence(b) or _repeats(b) for b in bases):
        return "Password must not be a sequence or repeated characters, like abcd1234 or aaaa"
    squashed = {b.replace(" ", "") for b in bases}
    if any(word in b for b in squashed for word in _SERVICE_WORDS):
        return "Password must not contain the name of this service"
    personal = _personal_words(user)
    if any(word in b for b in squashed for word in personal):
        return "Password must not contain your name or email address"
    return None


def change_password(user: User, current: str, new: str) -> None:
    """A person changes their own password, proving they know the current one. Raises
    ValidationError with field messages; the caller commits."""
    if not check_password(user.password_hash, current):
        raise ValidationError({"current": ["Your current password is not right"]})
    problem = password_problem(new, user)
    if problem:
        raise ValidationError({"password": [problem]})
    set_password(user, new)


def set_password(user: User, password: str, *, actor: User | None = None) -> None:
    """Store a new password (the caller has checked password_problem) and end every session
    the person has: whoever knew the old password is signed out. The caller commits."""
    user.password_hash = hash_password(password)
    sessions.end_all(user, reason="password_changed", actor=actor or user)
    audit.record("password_set", user=actor or user, target=user, target_type="user")


def request_reset(email: str) -> None:
    """Someone asks for a reset link. It is emailed only to an active account that signs in
    with a password here; the page says the same whatever happened. The caller commits."""
    user = find_user_by_email(email)
    if (
        user is None
        or not user.is_active
        or user.uses_single_sign_on
        or oidc.provider_for_email(email)
    ):
        details = {} if user else {"email_digest": email_key(email)}
        audit.record("password_reset_requested", outcome="ignored", user=user, details=details)
        return
    audit.record("password_reset_requested", user=user)
    tokens.send_password_link(user, "reset")
