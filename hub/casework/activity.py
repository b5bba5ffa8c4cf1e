"""The activity log of a case, and the notices it sends to the people who follow the case.

Every change a partner makes to a case goes through log(): one Activity row (which the feed
filters through hub.permissions.visible_activity), an in-app Notification and an email for each
follower whose agency is still a member. Notices name the case reference and the kind of update,
never any personal data: the email is a link."""

from sqlalchemy import select

from hub.core import mail
from hub.extensions import db
from hub.models import Activity, Case, CaseFollow, CaseMembership, Notification, User

KIND_LABELS = {
    "note_added": "New note",
    "action_added": "New action",
    "action_updated": "Action updated",
    "plan_saved": "Plan updated",
    "plan_signed_off": "Plan signed off",
    "risk_assessed": "Risk assessment",
    "risk_signed": "Risk assessment signed",
    "intervention_recorded": "Intervention or power recorded",
    "intervention_updated": "Intervention or power updated",
    "case_updated": "Case details updated",
    "stage_changed": "Stage changed",
    "evaluation_recorded": "Evaluation recorded",
    "evaluation_saved": "Evaluation saved",
    "evaluation_signed": "Evaluation signed off",
    "lesson_used": "Lesson used",
}


def log(case: Case, actor, kind: str, summary: str, record=None) -> Activity:
    """Record one update. `record` is the personal record it concerns, if any: the entry takes
    its category and restriction, so only those who may see the record see the entry."""
    entry = Activity(
        case_id=case.id,
        actor_id=actor.id,
        agency_id=actor.agency_id,
        kind=kind,
        summary=summary,
    )
    if record is not None:
        entry.category = record.category
        entry.restricted = record.restricted
        entry.record_type = record.record_type
        entry.record_id = record.id
    db.session.add(entry)
    db.session.flush()
    follow(case, actor)
    notify_followers(case, entry, actor)
    return entry


def follow(case: Case, user) -> None:
    """Whoever works on a case follows it, unless they already do."""
    exists = db.session.execute(
        select(CaseFollow.id).where(CaseFollow.case_id == case.id, CaseFollow.user_id == user.id)
    ).first()
    if not exists:
        db.session.add(CaseFollow(case_id=case.id, user_id=user.id))
        db.session.flush()


def unfollow(case: Case, user) -> None:
    row = db.session.execute(
        select(CaseFollow).where(CaseFollow.case_id == case.id, CaseFollow.user_id == user.id)
    ).scalar_one_or_none()
    if row is not None:
        db.session.delete(row)
        db.session.flush()


def is_following(case: Case, user) -> bool:
    query = select(CaseFollow.id).where(
        CaseFollow.case_id == case.id, CaseFollow.user_id == user.id
    )
    return db.session.execute(query).first() is not None


def followers_to_notify(case: Case, actor) -> list[User]:
    """Followers other than the actor whose agency is an active member of the case."""
    query = (
        select(User)
        .join(CaseFollow, CaseFollow.user_id == User.id)
        .where(
            CaseFollow.case_id == case.id,
            User.id != actor.id,
            User.is_active_account.is_(True),
            User.agency_id.in_(
                select(CaseMembership.agency_id).where(
                    CaseMembership.case_id == case.id, CaseMembership.removed_at.is_(None)
                )
            ),
        )
        .order_by(User.id)
    )
    return list(db.session.execute(query).scalars())


def notify_followers(case: Case, entry: Activity, actor) -> None:
    text = f"{KIND_LABELS.get(entry.kind, 'Update')} on case {case.reference}"
    link = mail.external_url("cases.show", case_id=case.id, tab="activity")
    for user in followers_to_notify(case, actor):
        db.session.add(
            Notification(user_id=user.id, case_id=case.id, activity_id=entry.id, text=text)
        )
        mail.queue_mail(
            user.email,
            f"Focus Hub: update on case {case.reference}",
            f"There is an update on case {case.reference} you follow in Focus Hub.\n\n"
            f"Sign in to see it:\n{link}\n\n"
            "You get these emails because you follow the case. You can stop following it on "
            "the case page.",
        )
    db.session.flush()
