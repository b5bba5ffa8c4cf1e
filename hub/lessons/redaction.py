"""The personal-data check a lesson passes before anyone but its author sees it.

It looks for the names of the people on the lesson's source case, dates (a date of birth
among them), phone numbers, email addresses, postcodes and street addresses. Each finding must
be removed, or confirmed by the author as not personal ("Mill Lane" named as a kind of
place); a confirmation is kept as a fingerprint of the field, kind and words, so it holds only
while those words are unchanged. The check errs towards finding too much: a false alarm costs
a tick, a miss puts someone's details in front of every partner in the hub."""

import hashlib
import re
from dataclasses import dataclass

from sqlalchemy import select

from hub.extensions import db
from hub.models import Referral, ReferralPerson

KINDS = {
    "name": "the name of a person on the case",
    "date": "a date (perhaps a date of birth)",
    "phone": "a phone number",
    "email": "an email address",
    "postcode": "a postcode",
    "address": "a street address",
}

_MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    "sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_STREET = (
    "Street|St|Road|Rd|Lane|Ln|Avenue|Ave|Close|Drive|Dr|Way|Court|Ct|Crescent|Grove|"
    "Place|Terrace|Gardens|Row|Walk|Square|Mews|Parade|View|Rise|Brow|Fold|Wynd|Yard"
)
PATTERNS: list[tuple[str, re.Pattern]] = [
    ("email", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    (
        "phone",
        re.compile(r"(?<![\w+])(?:\+44\s?(?:\(0\)\s?)?|\(?0)\d(?:[\s-]?\)?\d){8,9}(?!\d)"),
    ),
    (
        "postcode",
        re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[ABD-HJLNP-UW-Z]{2}\b", re.IGNORECASE),
    ),
    (
        "date",
        re.compile(
            r"\b\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)?\d{2}\b"
            r"|\b(?:19|20)\d{2}-\d{1,2}-\d{1,2}\b"
            rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\.?,?\s+(?:19|20)\d{{2}}\b"
            rf"|\b(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{{2}}\b",
            re.IGNORECASE,
        ),
    ),
    (
        "address",
        re.compile(
            rf"\b(?:\d+[A-Za-z]?,?\s+)?(?:[A-Z][a-z']+\s+){{1,3}}(?:{_STREET})\b"
            r"|\b(?:Flat|Apartment|Apt|Unit)\s+\d+[A-Za-z]?\b"
        ),
    ),
]

# Name parts shorter than this, or these common words, are not looked for alone (the whole
# name still is): "Al" or "Mark" alone would stop every lesson.
_MIN_PART = 3


@dataclass(frozen=True)
class Finding:
    field: str
    kind: str
    text: str

    @property
    def key(self) -> str:
        return finding_key(self.field, self.kind, self.text)

    @property
    def label(self) -> str:
        return KINDS[self.kind]


def finding_key(field: str, kind: str, text: str) -> str:
    words = " ".join(text.lower().split())
    return hashlib.sha256(f"{field}\x1f{kind}\x1f{words}".encode()).hexdigest()[:20]


def _name_patterns(names: list[str]) -> list[re.Pattern]:
    parts: set[str] = set()
    for name in names:
        name = " ".join(name.split())
        if not name:
            continue
        parts.add(name)
        parts.update(p for p in re.findall(r"[^\W\d_][\w'-]*", name) if len(p) >= _MIN_PART)
    # Longest first, so "Ann Smith" is one finding rather than two.
    ordered = sorted(parts, key=len, reverse=True)
    return [re.compile(rf"(?<!\w){re.escape(p)}(?!\w)", re.IGNORECASE) for p in ordered]


def find(fields: dict[str, str], names: list[str]) -> list[Finding]:
    """Everything in `fields` (name -> text) that may be personal, in field order."""
    name_patterns = _name_patterns(names)
    found: list[Finding] = []
    for field, text in fields.items():
        text = text or ""
        taken: list[tuple[int, int]] = []  # spans already found, so each word counts once
        seen: set[tuple[str, str]] = set()
        checks = [("name", p) for p in name_patterns] + PATTERNS
        for kind, pattern in checks:
            for match in pattern.finditer(text):
                start, end = match.span()
                if any(start < e and s < end for s, e in taken):
                    continue
                taken.append((start, end))
                words = " ".join(match.group(0).split())
                if (kind, words.lower()) in seen:
                    continue
                seen.add((kind, words.lower()))
                found.append(Finding(field, kind, words))
    return found


def unconfirmed(fields: dict[str, str], names: list[str], confirmed) -> list[Finding]:
    confirmed = set(confirmed or ())
    return [f for f in find(fields, names) if f.key not in confirmed]


def case_names(case_id: int | None) -> list[str]:
    """The names of the people on a case (its referrals' people, groups aside): what a lesson
    drawn from it must not carry. One query."""
    if case_id is None:
        return []
    query = (
        select(ReferralPerson.name)
        .join(Referral, Referral.id == ReferralPerson.referral_id)
        .where(
            (ReferralPerson.case_id == case_id) | (Referral.case_id == case_id),
            ReferralPerson.is_group.is_(False),
        )
    )
    return sorted(set(db.session.execute(query).scalars()))


def messages(findings: list[Finding]) -> dict[str, list[str]]:
    """Field-level messages for the form: one a field (GOV.UK shows one), naming each finding
    and the two ways past it."""
    by_field: dict[str, list[str]] = {}
    for f in findings:
        by_field.setdefault(f.field, []).append(f"“{f.text}” looks like {f.label}")
    return {
        field: ["; ".join(found) + ". Remove it, or confirm below that it is not personal"]
        for field, found in by_field.items()
    }
