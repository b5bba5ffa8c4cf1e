"""Letters to an ASB case review's applicant, in plain English: the acknowledgement of their
application, the outcome (why the threshold was not met, or what the review found and
recommends, and how to appeal by when), and the outcome of an appeal.

A letter is filled only from the review's own fields (its reference and dates, the reason the
partners gave for the threshold decision, which the conference records for the applicant, the
outcome written to name no one, the roles of the chairs), the hub's name and the signer's name,
agency and email. Nothing else on the case reaches it: no note, incident, referral or power,
whoever made it. The applicant's name and address are personal: they come from the case's
victim record only through hub.permissions (victim_records), and only when the application is
the victim's own, the case has that one victim, and their record says a letter is safe.
Otherwise the letter has a blank address block to fill in by hand.

Sending a letter is the review's own step (review_steps: acknowledge, send_outcome_letter,
send_appeal_letter), so its timescale is met or missed as before."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from hub import audit
from hub import permissions as perm
from hub.conferences.case_reviews import decisions_on
from hub.conferences.timescales import appeal_by_from, decided_on, settings_for, timescales_of
from hub.extensions import db
from hub.models import (
    CaseReview,
    CaseReviewApplicant,
    CaseReviewStatus,
    DecisionKind,
    LetterChannel,
    Victim,
)
from hub.permissions import hub_today

KINDS = {
    "acknowledgement": "Your application for an ASB case review",
    "outcome": "The outcome of your application for an ASB case review",
    "appeal": "The outcome of your appeal",
}
# The review step each letter's sending records, and the fields it sets.
STEPS = {
    "acknowledgement": ("acknowledge", "acknowledged_on", "acknowledged_by"),
    "outcome": ("outcome_letter", "outcome_sent_on", "outcome_sent_by"),
    "appeal": ("appeal_letter", "appeal_letter_sent_on", "appeal_letter_sent_by"),
}


class NotReady(Exception):
    """The review has not reached the step this letter is about."""


@dataclass(frozen=True)
class Addressee:
    name: str
    address: str


@dataclass(frozen=True)
class ReviewLetter:
    kind: str
    title: str
    dated: date
    sent_on: date | None
    sent_by: str | None  # a LetterChannel, once sent
    to: Addressee | None  # None: a blank block, filled in by hand
    reference: str
    hub_name: str
    signer_name: str
    signer_agency: str
    signer_email: str
    paragraphs: list[str]
    findings: str  # the review's outcome, in its own words (the outcome letter of a review held)
    appeal_by: date | None

    @property
    def sent_by_label(self) -> str:
        return LetterChannel(self.sent_by).label.lower() if self.sent_by else ""


def available(review: CaseReview) -> list[str]:
    """The letters this review has reached, in order."""
    found = []
    if review.source == "application":
        found.append("acknowledgement")
    not_met = review.status == CaseReviewStatus.THRESHOLD_NOT_MET.value and review.decided_at
    held = review.status == CaseReviewStatus.COMPLETED.value and review.held_on
    if not_met or held:
        found.append("outcome")
    if review.appeal_decided_on is not None:
        found.append("appeal")
    return found


def applicant(user, review: CaseReview) -> Victim | None:
    """The applicant's victim record, when this user may see it and it may be used to
    address a letter (see the module's docstring); otherwise None."""
    if review.applicant != CaseReviewApplicant.VICTIM.value or review.case_id is None:
        return None
    on_case = db.session.execute(
        select(func.count()).select_from(Victim).where(Victim.case_id == review.case_id)
    ).scalar_one()
    if on_case != 1:
        return None
    return db.session.execute(
        perm.victim_records(user, Victim, review.hub).where(
            Victim.case_id == review.case_id, Victim.safe_to_send_letter.is_(True)
        )
    ).scalar_one_or_none()


def _long(day: date) -> str:
    return f"{day:%-d %B %Y}"


def _threshold_reason(review: CaseReview) -> str:
    for decision in reversed(decisions_on(review)):
        if decision.kind == DecisionKind.REVIEW_THRESHOLD.value and decision.reason.strip():
            return decision.reason.strip()
    return ""


def _appeal_paragraph(review: CaseReview, last: date, days: int) -> str:
    return (
        "If you are not satisfied with how your application was dealt with, you can appeal. "
        f"Write to us or email us, quoting {review.reference}, within {days} working days of "
        f"the date of this letter: by {_long(last)}. Someone who took no part in the decision "
        "will look at it again."
    )


def make(user, review: CaseReview, kind: str, *, to: Victim | None = None) -> ReviewLetter:
    """The letter, dated the day it was sent or, until then, today, addressed to `to` (from
    applicant()) or with a blank address block: the preview on the review's page reads no
    personal record."""
    if kind not in KINDS:
        raise KeyError(kind)
    if kind not in available(review):
        raise NotReady(kind)
    _, day_field, by_field = STEPS[kind]
    sent_on, sent_by = getattr(review, day_field), getattr(review, by_field)
    dated = sent_on or hub_today()
    rules = settings_for(review.hub_id)
    hub_name = review.hub.name
    received = _long(review.received_on)
    findings, last = "", None
    if kind == "acknowledgement":
        decide = next(s for s in timescales_of(review, dated, rules) if s.step == "decide")
        # A letter sent late promises no day already gone.
        by_when = (
            f"by {_long(decide.due_on)}"
            if decide.due_on >= dated
            else "at their next case conference"
        )
        paragraphs = [
            f"Thank you for your application for an ASB case review, which {hub_name} "
            f"received on {received}. Its reference is {review.reference}: please quote it "
            "if you contact us.",
            "The partners (the council, the police, housing providers and other services) "
            "will look at the reports of antisocial behaviour you have made and decide "
            f"{by_when} whether your application meets the threshold for a case review. We "
            "will write to tell you what they decide, and why.",
            "If the antisocial behaviour carries on, please keep reporting it. If you are in "
            "danger, call 999.",
        ]
    elif kind == "outcome":
        last = appeal_by_from(dated, rules)
        if review.status == CaseReviewStatus.THRESHOLD_NOT_MET.value:
            reason = _threshold_reason(review)
            decided = decided_on(review)
            paragraphs = [
                f"Thank you for your application for an ASB case review ({review.reference}), "
                f"received on {received}.",
                f"The partners considered it at their case conference on {_long(decided)} and "
                "decided that it does not meet the threshold for a case review.",
                *([f"Their reason: {reason}"] if reason else []),
                "This does not mean the partners will stop working on the problem. Please "
                "keep reporting antisocial behaviour when it happens.",
                _appeal_paragraph(review, last, rules.appeal_days),
            ]
        else:
            chair = (
                f"{review.chair_role} of {review.chair_agency.name}"
                if review.chair_agency
                else f"{review.chair_role}, from outside the partnership"
            )
            paragraphs = [
                f"Thank you for your application for an ASB case review ({review.reference}), "
                f"received on {received}. The partners agreed that it met the threshold.",
                f"The case review was held on {_long(review.held_on)}. It was chaired by the "
                f"{chair}, who had not worked on your case.",
                *(
                    [
                        "The review's recommendations have been given to the partner agencies "
                        "to carry out, and the hub follows them up until they are done."
                    ]
                    if review.recommendations
                    else []
                ),
                _appeal_paragraph(review, last, rules.appeal_days),
            ]
            findings = review.outcome
    else:
        upheld = (
            "Your appeal was upheld. The partners will look at your case review again and "
            "write to tell you what they will do."
            if review.appeal_upheld
            else "Your appeal was not upheld, so the outcome you were told of stands."
        )
        paragraphs = [
            f"You appealed on {_long(review.appeal_lodged_on)} about your ASB case review "
            f"({review.reference}).",
            f"Your appeal was heard by the {review.appeal_chair_role}, who took no part in the "
            f"decision you appealed against, and decided on {_long(review.appeal_decided_on)}.",
            upheld,
            "If you are still unhappy with how the partners dealt with your application, you "
            "can complain to the Local Government and Social Care Ombudsman about the council, "
            "or to your Police and Crime Commissioner about the police.",
        ]
    return ReviewLetter(
        kind=kind,
        title=KINDS[kind],
        dated=dated,
        sent_on=sent_on,
        sent_by=sent_by,
        to=Addressee(to.name, to.address or "") if to is not None else None,
        reference=review.reference,
        hub_name=hub_name,
        signer_name=user.name,
        signer_agency=user.agency.name,
        signer_email=user.email,
        paragraphs=paragraphs,
        findings=findings,
        appeal_by=last,
    )


def printed(user, review: CaseReview, kind: str) -> ReviewLetter:
    """The letter to print, addressed when it may be; its making audited (which letter, and
    whether it was addressed) and the applicant's record, if read, entered as read. The
    caller commits."""
    victim = applicant(user, review)
    letter = make(user, review, kind, to=victim)
    if victim is not None:
        perm.record_read(user, review.case, [victim], what="case review letter")
    audit.record(
        "case_review_letter_made",
        user=user,
        hub=review.hub,
        target=review,
        details={"kind": kind, "addressed": letter.to is not None},
    )
    return letter
