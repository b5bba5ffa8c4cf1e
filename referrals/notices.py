"""The referrer hears back: a notice and an email to the person who sent a referral when it
is triaged (a case opened, added to a case, signposted or declined) and when a conference
decides about it or its case. The notice names the referral and the case reference (board-card
data), never anyone's details or the decision's words; it links to her own referral page,
where the case reference is a link only if the permission module lets her open the case."""

from sqlalchemy import select

from hub.casework.activity import send_notice
from hub.core import mail
from hub.core.timeutil import format_local
from hub.extensions import db
from hub.models import Case, Referral, User
from hub.models.referral import TriageDecision

TRIAGED = {
    TriageDecision.NEW_CASE: "a case was opened: {case}",
    TriageDecision.ADDED_TO_CASE: "it was added to case {case}",
    TriageDecision.SIGNPOSTED: "it was signposted to one agency",
    TriageDecision.DECLINED: "it was declined",
}


def _tell(referral: Referral, text: str, actor) -> None:
    author = db.session.get(User, referral.user_id) if referral.user_id else None
    if author is None or not author.is_active_account or author.id == getattr(actor, "id", None):
        return
    link = mail.external_url("referrals.show", referral_id=referral.id)
    send_notice(
        author,
        text,
        referral_id=referral.id,
        subject=f"Focus Hub: news on your referral {referral.reference}",
        body=f"There is news on your referral {referral.reference} in Focus Hub.\n\n"
        f"Sign in to see it:\n{link}\n\n"
        "You get these emails because you sent the referral.",
    )


def referral_triaged(referral: Referral, case: Case | None, *, actor) -> None:
    outcome = TRIAGED[TriageDecision(referral.decision)].format(case=case.reference if case else "")
    _tell(referral, f"Your referral {referral.reference} was triaged: {outcome}", actor)


def conference_decided(conference, case: Case, *, actor) -> None:
    """Each referral on the case tells its referrer that the conference decided about it."""
    day = format_local(conference.starts_at, "%-d %B %Y")
    referrals = db.session.execute(
        select(Referral).where(Referral.case_id == case.id).order_by(Referral.id)
    ).scalars()
    for referral in list(referrals):
        _tell(
            referral,
            f"The conference on {day} decided about case {case.reference}, from your referral "
            f"{referral.reference}",
            actor,
        )
