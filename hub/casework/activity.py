"""The activity log of a case, and the notices it sends to the people who follow the case.

Every change a partner makes to a case goes through log(): one Activity row (which the feed
filters through hub.permissions.visible_activity), an in-app Notification and an email for each
follower whose agency is still a member. Notices name the case reference and the kind of update,
never any personal data: the email is a link."""

from functools import cache

from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.exc import IntegrityError

from hub.core import mail
from hub.core.database import dialect_insert, dialect_name, read_values
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import (
    Activity,
    Case,
    CaseFollow,
    CaseMembership,
    DataCategory,
    Notification,
    User,
)

# Past tense, never "New ...": the notices page marks unread ones, and "New New note" read
# as a stammer.
KIND_LABELS = {
    "note_added": "Note added",
    "action_added": "Action added",
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
    # victims and their SPoCs (hub.victims): the entries carry the victim contact category
    "victim_added": "Victim added",
    "victim_updated": "Victim's contact needs updated",
    "victim_contacted": "Contact with a victim",
    "call_back_scheduled": "Call-back scheduled",
    "victim_told": "Victim told of a step",
    "incident_logged": "New incident logged",
    "case_review_threshold": "ASB case review threshold met",
    "complaint_recorded": "Complaint to an agency recorded",
    "evidence_uploaded": "Evidence uploaded",
    "letter_written": "Letter written",
    "power_step": "Power: next step",
    "power_breached": "Breach of a power",
}


def log(case: Case, actor, kind: str, summary: str, record=None, working=None) -> Activity:
    """Record one update. `record` is the personal record it concerns, if any: the entry takes
    its category and restriction, so only those who may see the record see the entry.
    `working` is a working record it concerns (an action): incident data (hub.permissions)."""
    entry = Activity(
        case_id=case.id,
        actor_id=actor.id,
        agency_id=actor.agency_id,
        kind=kind,
        summary=summary,
    )
    if working is not None:
        entry.category = DataCategory.INCIDENT.value
        entry.record_type = working.__tablename__
        entry.record_id = working.id
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
    """Whoever works on a case follows it, unless they already do. One statement that does
    nothing when the row is there: two saves by one person at once (a double click) would
    otherwise both find no row and the second fail on the first's."""
    db.session.execute(_follow(dialect_name()), {"case_id": case.id, "user_id": user.id})


@cache
def _follow(dialect: str):
    return (
        dialect_insert(dialect, CaseFollow.__table__)
        .values(case_id=bindparam("case_id"), user_id=bindparam("user_id"))
        .on_conflict_do_nothing(index_elements=["case_id", "user_id"])
    )


def unfollow(case: Case, user) -> None:
    row = db.session.execute(
        select(CaseFollow).where(CaseFollow.case_id == case.id, CaseFollow.user_id == user.id)
    ).scalar_one_or_none()
    if row is not None:
        db.session.delete(row)
        db.session.flush()


def is_following(case: Case, user) -> bool:
    params = {"case_id": case.id, "user_id": user.id}
    return read_values(_follow_of(), params).first() is not None


@cache
def _follow_of() -> Select:
    return select(CaseFollow.id).where(
        CaseFollow.case_id == bindparam("case_id"), CaseFollow.user_id == bindparam("user_id")
    )


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
    kind = KIND_LABELS.get(entry.kind, "Update")
    link = mail.external_url("cases.show", case_id=case.id, tab="activity")
    for user in followers_to_notify(case, actor):
        send_notice(
            user,
            f"{kind} on case {case.reference}",
            case_id=case.id,
            activity_id=entry.id,
            subject=f"Focus Hub: update on case {case.reference}",
            body=f"There is an update on case {case.reference} you follow in Focus Hub.\n\n"
            f"Sign in to see it:\n{link}\n\n"
            "You get these emails because you follow the case. You can stop following it on "
            "the case page. While this update is unread, further updates on the case are "
            "added to it without another email.",
        )
    db.session.flush()


def send_notice(
    user,
    text: str,
    *,
    subject: str,
    body: str,
    case_id=None,
    referral_id=None,
    conference_id=None,
    activity_id=None,
) -> Notification:
    """One notice (and one email) per thing a person has not yet read news of: further news on
    the same case, referral or conference while the notice is unread is counted into it, with
    no further email. Seven updates in fifteen minutes are one notice saying 7 updates, and
    one email. The same news twice (the same text) is not counted twice. Alerts (reminders, a
    victim's worse risk) are notices of their own, never counted into or rewritten."""
    about = {"case_id": case_id, "referral_id": referral_id, "conference_id": conference_id}
    text = text[:300]
    # A second look is needed only when someone else made (or read) the unread notice at the
    # same moment: it then finds the notice as it now is.
    for _attempt in range(3):
        unread = _unread_notice(user.id, about)
        if unread is None:
            notice = Notification(
                user_id=user.id, activity_id=activity_id, text=text, counts_news=True, **about
            )
            try:
                with db.session.begin_nested():
                    db.session.add(notice)
                    db.session.flush()
            except IntegrityError:
                continue  # another update made the unread notice a moment ago: count into it
            mail.queue_mail(user.email, subject, body)
            return notice
        if unread.text == text and unread.activity_id == activity_id:
            return unread  # the same news twice
        # Counted in the database, and only while the notice is still unread: news that
        # lands as the person marks it read is a notice (and an email) of its own.
        counted = db.session.execute(
            update(Notification)
            .where(Notification.id == unread.id, Notification.read_at.is_(None))
            .values(
                updates=Notification.updates + 1,
                text=text,
                activity_id=activity_id,
                created_at=utcnow(),
            )
            .execution_options(synchronize_session=False)
        )
        if counted.rowcount == 1:
            db.session.expire(unread)
            return unread
    raise RuntimeError("the person's unread notice kept changing while news was counted")


def _unread_notice(user_id: int, about: dict) -> Notification | None:
    """The person's unread news about this case, referral or conference (at most one)."""
    return db.session.execute(
        select(Notification).where(
            Notification.user_id == user_id,
            Notification.read_at.is_(None),
            Notification.counts_news,
            *(
                getattr(Notification, key).is_(None)
                if value is None
                else getattr(Notification, key) == value
                for key, value in about.items()
            ),
        )
    ).scalar_one_or_none()
