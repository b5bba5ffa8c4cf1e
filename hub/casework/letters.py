"""Letters from the hub's templates: an acknowledgement to the person who reported, a warning
letter, a community protection warning and an ASB case review decision. Each is filled from
the case (reference, hub, lead agency, SPoC, the power it gives notice of, the review decided),
with the words only the officer can supply, and kept on the case as issued: a personal record
with a data category and optional restriction, read only through hub.permissions.

The templates are ours and filled with str.format_map over a fixed set of values: what a person
types is a value, never a template, so nothing typed can reach anything else. Audited; callers
commit."""

from dataclasses import dataclass
from datetime import date
from functools import cache

from marshmallow import ValidationError
from sqlalchemy import Select, select

from hub import audit
from hub import permissions as perm
from hub.casework.activity import log
from hub.casework.checks import check_category, restrict, restriction
from hub.casework.schemas import LetterSchema
from hub.core.locking import add_once, submitted_before
from hub.core.timeutil import LONDON, utcnow
from hub.extensions import db
from hub.models import (
    Case,
    CaseReview,
    Intervention,
    Letter,
    Stage,
    User,
)


@dataclass(frozen=True)
class Template:
    label: str
    subject: str
    body: str
    details_label: str  # what the officer adds, in the form's words
    needs_power: bool = False
    needs_review: bool = False


TEMPLATES = {
    "acknowledgement": Template(
        "Acknowledgement of a report",
        "Your report of antisocial behaviour: case {case_reference}",
        "Thank you for reporting the antisocial behaviour you have experienced. Your report is "
        "now part of case {case_reference}, which the partners of {hub_name} are working on "
        "together.\n\n"
        "{lead_line}{spoc_line}\n\n"
        "{details}"
        "If anything more happens, please keep a note of the date, the time and what happened, "
        "and tell us: every report counts. If you have reported three times or more in six "
        "months and feel nothing has been done, you may ask for an ASB case review.\n\n"
        "If you are in immediate danger, call 999.",
        "Anything more to tell them (optional)",
    ),
    "warning_letter": Template(
        "Warning letter",
        "Antisocial behaviour: warning ({case_reference})",
        "The partners of {hub_name} have received reports of antisocial behaviour which we "
        "believe involves you.\n\n"
        "{details}"
        "This behaviour must stop. If it continues, the partners may take further action, which "
        "can include a community protection warning or notice, an injunction or a respect "
        "order, and action on a tenancy.\n\n"
        "If you would like to talk about this letter, or about any support you need, please "
        "contact us quoting {case_reference}.",
        "The behaviour reported: dates, places and what happened",
    ),
    "community_protection_warning": Template(
        "Community protection warning",
        "Community protection warning (section 43, Anti-social Behaviour, Crime and Policing "
        "Act 2014): {case_reference}",
        "This is a community protection warning, given under section 43 of the Anti-social "
        "Behaviour, Crime and Policing Act 2014.\n\n"
        "{details}"
        "Your conduct is having a detrimental effect, of a persistent or continuing nature, on "
        "the quality of life of those in the locality, and is unreasonable. You are required "
        "to:\n{conditions}\n\n"
        "If you do not, you may be issued with a community protection notice. Failing to comply "
        "with a notice is a criminal offence.\n\n"
        "Case reference: {case_reference}.",
        "The conduct this warning is about",
        needs_power=True,
    ),
    "case_review_decision": Template(
        "ASB case review decision",
        "Your ASB case review application {review_reference}",
        "Thank you for your application for an ASB case review ({review_reference}), received "
        "on {review_received}.\n\n"
        "The partners of {hub_name} considered it at their case conference and decided that "
        "{decision}\n\n"
        "{details}"
        "If you are not satisfied with how your application was handled, you may ask for the "
        "decision to be looked at again, quoting {review_reference}.",
        "The reasons for the decision, and what happens next",
        needs_review=True,
    ),
}


def _values(case: Case, data: dict, power: Intervention | None, review: CaseReview | None):
    spoc = db.session.get(User, case.spoc_user_id) if case.spoc_user_id else None
    details = data["details"].strip()
    values = {
        "case_reference": case.reference,
        "hub_name": case.hub.name,
        "lead_line": (
            f"{case.lead_agency.name} leads the work on it."
            if case.lead_agency
            else "The partners will agree which agency leads the work on it."
        ),
        "spoc_line": (
            f" Your single point of contact is {spoc.name}, who will keep you informed."
            if spoc
            else ""
        ),
        "details": f"{details}\n\n" if details else "",
        "conditions": "",
        "review_reference": "",
        "review_received": "",
        "decision": "",
    }
    if power is not None:
        values["conditions"] = power.conditions.strip() or "(conditions as set out overleaf)"
    if review is not None:
        values["review_reference"] = review.reference
        values["review_received"] = f"{review.received_on:%-d %B %Y}"
        values["decision"] = (
            "the threshold for a case review is met: the review will be held and you will be "
            "told its outcome."
            if review.threshold_met
            else "the threshold for a case review is not met."
        )
    return values


def decided_review(case: Case) -> CaseReview | None:
    """The case's latest case review with its threshold decided."""
    return db.session.execute(
        select(CaseReview)
        .where(CaseReview.case_id == case.id, CaseReview.threshold_met.is_not(None))
        .order_by(CaseReview.decided_at.desc(), CaseReview.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def warnings_of(user, case: Case) -> list[Intervention]:
    """The community protection warnings on the case this user may see: what a CPW letter
    gives notice of. Not audited: a caller that shows them uses shown_warnings."""
    params = perm.case_records_params(user, case)
    return list(db.session.execute(_case_warnings(), params).scalars())


def shown_warnings(user, case: Case) -> list[Intervention]:
    """warnings_of for the letter form, which names each warning's subject: an audited read."""
    return perm.read_case_records(
        user, case, _case_warnings(), what="community protection warnings"
    )


@cache
def _case_warnings() -> Select:
    return (
        perm.case_records(Intervention)
        .where(Intervention.type == "community_protection_warning")
        .order_by(Intervention.id.desc())
    )


def write_letter(case: Case, data: dict, *, actor) -> Letter:
    data = LetterSchema().load(data)
    earlier = submitted_before(Letter, case.id, data["form_token"])
    if earlier is not None:
        return earlier
    if case.stage == Stage.CLOSED.value:
        raise ValidationError({"letter_kind": ["This case is closed: it takes no new letters"]})
    template = TEMPLATES[data["kind"]]
    check_category(actor, case, data["category"], field="letter_category")
    restricted_to = restriction(case, data, actor, "the letter")
    power = review = None
    if template.needs_power:
        power = next((i for i in warnings_of(actor, case) if i.id == data["intervention_id"]), None)
        if power is None:
            raise ValidationError(
                {"intervention_id": ["Choose the community protection warning on this case"]}
            )
    if template.needs_review:
        review = decided_review(case)
        if review is None:
            raise ValidationError(
                {
                    "letter_kind": [
                        "No ASB case review on this case has had its threshold decision yet"
                    ]
                }
            )
    if not data["details"].strip() and data["kind"] in ("warning_letter", "case_review_decision"):
        raise ValidationError({"details": [f"Enter {template.details_label.lower()}"]})
    values = _values(case, data, power, review)
    today = utcnow().astimezone(LONDON).date()
    letter = Letter(
        case_id=case.id,
        kind=data["kind"],
        recipient_name=data["recipient_name"],
        recipient_address=data["recipient_address"],
        subject=template.subject.format_map(values),
        body=template.body.format_map(values),
        signed_by=f"{actor.name}, {actor.agency.name}",
        intervention_id=power.id if power else None,
        letter_date=today,
        category=data["category"],
        origin_agency_id=actor.agency_id,
        restricted=restricted_to is not None,
        created_by_id=actor.id,
        form_token=data["form_token"],
    )
    added = add_once(letter)
    if added is not letter:
        return added
    restrict(letter, restricted_to)
    audit.record(
        "letter_written",
        user=actor,
        hub=case.hub_id,
        target=letter,
        details={
            "case_id": case.id,
            "kind": letter.kind,
            "category": letter.category,
            "restricted_to": sorted(restricted_to) if restricted_to is not None else None,
        },
    )
    log(case, actor, "letter_written", f"Letter: {template.label}", record=letter)
    return letter


def listing(user, case: Case) -> list[Letter]:
    """The case's letters this user may see, newest first (one query), audited."""
    return perm.read_case_records(user, case, _case_letters(), what="letters")


@cache
def _case_letters() -> Select:
    return perm.case_records(Letter).order_by(Letter.id.desc())


def letter_date_text(day: date) -> str:
    return f"{day:%-d %B %Y}"
