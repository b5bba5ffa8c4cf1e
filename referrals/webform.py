"""The web question flow: which questions each page asks, and how a page's form fields become
the API-shaped values kept in the draft (and back). Validation is ReferralSchema's, page by
page, so the web and the API can never disagree about what is valid."""

import re

from marshmallow import ValidationError

from referrals.normalise import normalise_postcode
from referrals.schemas import MAX_PEOPLE, RISK_KEYS, PersonSchema, ReferralSchema

# (slug, title) in order; "people" loops (add another) before moving on.
STEPS = [
    ("start", "What the referral is about"),
    ("what", "What is happening"),
    ("where", "Where it is happening"),
    ("people", "People involved"),
    ("consent", "Consent"),
    ("risk", "Risk assessment"),
]
STEP_SLUGS = [s for s, _ in STEPS]
STEP_FIELDS = {
    "start": ("about", "category"),
    "what": (
        "summary",
        "description",
        "first_incident_on",
        "incident_count",
        "incident_category",
        "asb_type",
        "hate_strands",
        "crime_reference",
    ),
    "where": ("location",),
    "consent": ("consent",),
    "risk": ("risk",),
}
FIELD_STEP = {f: step for step, names in STEP_FIELDS.items() for f in names} | {"people": "people"}


def next_step(step: str) -> str:
    i = STEP_SLUGS.index(step)
    return STEP_SLUGS[i + 1] if i + 1 < len(STEP_SLUGS) else "check"


def _strip(form, name) -> str:
    return (form.get(name) or "").strip()


def _date(form, name) -> str | None:
    """GOV.UK date input (name-day, name-month, name-year) -> 'YYYY-MM-DD' or what was typed
    (so the schema says what is wrong); None when all three parts are empty."""
    d, m, y = (_strip(form, f"{name}-{p}") for p in ("day", "month", "year"))
    if not (d or m or y):
        return None
    if d.isdigit() and m.isdigit() and y.isdigit() and len(y) == 4:
        return f"{int(y):04d}-{int(m):02d}-{int(d):02d}"
    return f"{y}-{m}-{d}"


def _number(value: str):
    return int(value) if re.fullmatch(r"\d{1,9}", value) else (value or None)


def _float(value: str):
    try:
        return float(value) if value else None
    except ValueError:
        return value


def _yes_no(value: str):
    return {"yes": True, "no": False}.get(value, value or None)


def values_from_form(step: str, form) -> dict:
    """The API-shaped values one page's form gives."""
    if step == "start":
        return {
            "about": _strip(form, "about") or None,
            "category": _strip(form, "category") or None,
        }
    if step == "what":
        return {
            "summary": _strip(form, "summary") or None,
            "description": _strip(form, "description") or None,
            "first_incident_on": _date(form, "first_incident_on"),
            "incident_count": _number(_strip(form, "incident_count")),
            "incident_category": _strip(form, "incident_category") or None,
            "asb_type": _strip(form, "asb_type") or None,
            "hate_strands": sorted({v for v in form.getlist("hate_strands") if v}),
            "crime_reference": _strip(form, "crime_reference") or None,
        }
    if step == "where":
        return {
            "location": {
                "address": _strip(form, "address") or None,
                "postcode": _strip(form, "postcode") or None,
                "lat": _float(_strip(form, "lat")),
                "lon": _float(_strip(form, "lon")),
            }
        }
    if step == "consent":
        given = _yes_no(_strip(form, "consent_given"))
        # The reason box is hidden (not emptied) when Yes is chosen: a reason typed before
        # switching to Yes does not apply and is not kept.
        reason = None if given is True else (_strip(form, "consent_reason") or None)
        return {"consent": {"given": given, "reason": reason}}
    if step == "risk":
        # One yes / no / don't know question each; an unanswered one is no.
        answers = {"yes": True, "no": False, "unknown": "unknown"}
        return {"risk": {k: answers.get(_strip(form, f"risk-{k}"), False) for k in RISK_KEYS}}
    raise ValueError(step)


def person_from_form(form) -> dict:
    return {
        "role": _strip(form, "role") or None,
        "name": _strip(form, "name") or None,
        "date_of_birth": _date(form, "date_of_birth"),
        "age_band": _strip(form, "age_band") or None,
        "address": _strip(form, "address") or None,
        "phone": _strip(form, "phone") or None,
        "email": _strip(form, "email") or None,
        "vulnerabilities": form.getlist("vulnerabilities"),
    }


def _drop_none(values: dict) -> dict:
    return {k: v for k, v in values.items() if v is not None and v != []}


def validate_step(step: str, values: dict) -> dict:
    """Check one page's values with ReferralSchema. Raises ValidationError with field ids
    matching the page's inputs (location-address -> address)."""
    names = STEP_FIELDS[step]
    data = {k: v for k, v in values.items() if k in names}
    for k in ("location", "consent"):
        if k in data and isinstance(data[k], dict):
            data[k] = _drop_none(data[k])
    data = _drop_none(data)
    try:
        ReferralSchema(only=names).load(data)
    except ValidationError as exc:
        # Whole-referral rules (people named when about a person) wait for check-your-answers.
        mine = {k: v for k, v in exc.messages.items() if k in names}
        if mine:
            raise ValidationError(page_messages(mine)) from None
    location = values.get("location")
    if isinstance(location, dict) and location.get("postcode"):
        location["postcode"] = normalise_postcode(location["postcode"])
    return values


def validate_person(person: dict, count: int) -> dict:
    if count >= MAX_PEOPLE:
        raise ValidationError({"name": [f"A referral can name up to {MAX_PEOPLE} people"]})
    return PersonSchema().load(_drop_none(person) | {"vulnerabilities": person["vulnerabilities"]})


def page_messages(messages: dict) -> dict:
    """Nested API messages -> this page's input ids."""
    flat = {}
    for key, value in messages.items():
        if key == "location" and isinstance(value, dict):
            flat.update(value)
        elif key == "consent" and isinstance(value, dict):
            flat.update({f"consent_{k}": v for k, v in value.items()})
        elif key == "consent":
            flat["consent_given"] = value
        elif key == "risk" and isinstance(value, dict):
            flat["risk"] = ["Answer each question yes, no or don't know"]
        else:
            flat[key] = value
    return flat


def form_values(draft: dict) -> dict:
    """The draft's values as the pages' input values (for showing them again). A missing
    answer is "", never None: a textarea would show None as the text "None"."""
    loc = draft.get("location") or {}
    consent = draft.get("consent") or {}
    first = draft.get("first_incident_on") or ""
    y, _, rest = first.partition("-")
    m, _, d = rest.partition("-")
    given = consent.get("given")
    return {
        "about": draft.get("about"),
        "category": draft.get("category"),
        "summary": draft.get("summary") or "",
        "description": draft.get("description") or "",
        "first_incident_on": {"day": d, "month": m, "year": y},
        "incident_count": draft.get("incident_count"),
        "incident_category": draft.get("incident_category"),
        "asb_type": draft.get("asb_type"),
        "hate_strands": draft.get("hate_strands") or [],
        "crime_reference": draft.get("crime_reference") or "",
        "address": loc.get("address") or "",
        "postcode": loc.get("postcode") or "",
        "lat": loc.get("lat"),
        "lon": loc.get("lon"),
        "consent_given": {True: "yes", False: "no"}.get(given),
        "consent_reason": consent.get("reason") or "",
        "risk": [k for k, v in (draft.get("risk") or {}).items() if v is True],
        "risk_unknown": [k for k, v in (draft.get("risk") or {}).items() if v == "unknown"],
    }


def incomplete_steps(draft: dict) -> list[str]:
    """Pages whose answers are missing or no longer valid, in order."""
    missing = []
    for step in ("start", "what", "where", "consent"):
        try:
            validate_step(step, draft)
        except ValidationError:
            missing.append(step)
    return missing
