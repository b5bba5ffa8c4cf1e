"""The hub's information-sharing agreements (ISAs): versioned, signed by partner agencies,
covering data categories for a period; and the reminders hub managers get before an
agreement's review or expiry date.

Every change validates first, writes nothing when it refuses (marshmallow ValidationError with
field messages), and is audited in the same transaction. Callers commit.
"""

from datetime import date, timedelta

from flask import current_app
from marshmallow import ValidationError
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from hub import audit
from hub import permissions as perm
from hub.core import mail
from hub.core.locking import StaleForm, check_version, flush_or_stale
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import (
    Hub,
    InformationSharingAgreement,
    IsaCategory,
    IsaReminder,
    IsaSignatory,
    IsaStatus,
    IsaVersion,
)
from hub.sharing.schemas import IsaSchema

STATUS_LABELS = {
    IsaStatus.DRAFT: "Draft",
    IsaStatus.IN_FORCE: "In force",
    IsaStatus.SUSPENDED: "Suspended",
    IsaStatus.EXPIRED: "Expired",
}


def snapshot(isa: InformationSharingAgreement) -> dict:
    """The agreement as plain values: what IsaVersion keeps and the audit log compares."""
    return {
        "reference": isa.reference,
        "title": isa.title,
        "purpose": isa.purpose,
        "legal_basis": isa.legal_basis,
        "status": isa.status,
        "starts_on": isa.starts_on.isoformat(),
        "review_on": isa.review_on.isoformat() if isa.review_on else None,
        "expires_on": isa.expires_on.isoformat() if isa.expires_on else None,
        "categories": sorted(isa.category_values),
        "signatories": sorted(
            (
                {
                    "agency_id": s.agency_id,
                    "signed_by": s.signed_by,
                    "signed_on": s.signed_on.isoformat(),
                }
                for s in isa.signatories
            ),
            key=lambda s: s["agency_id"],
        ),
    }


def _load_isa(hub: Hub, data: dict, exclude_id: int | None = None) -> dict:
    data = IsaSchema().load(data)
    errors = {}
    partners = perm.partner_ids(hub.id)
    if any(s["agency_id"] not in partners for s in data["signatories"]):
        errors["signatories"] = ["Each signatory must be a partner agency in this hub"]
    same = select(InformationSharingAgreement.id).where(
        InformationSharingAgreement.hub_id == hub.id,
        InformationSharingAgreement.reference == data["reference"],
    )
    if exclude_id is not None:
        same = same.where(InformationSharingAgreement.id != exclude_id)
    if db.session.execute(same).first():
        errors["reference"] = ["Another agreement in this hub already has this reference"]
    if errors:
        raise ValidationError(errors)
    return data


def _apply(isa: InformationSharingAgreement, data: dict) -> None:
    for name in (
        "reference",
        "title",
        "purpose",
        "legal_basis",
        "status",
        "starts_on",
        "review_on",
        "expires_on",
    ):
        setattr(isa, name, data[name])
    wanted = set(data["categories"])
    isa.categories = [c for c in isa.categories if c.category in wanted] + [
        IsaCategory(category=c) for c in sorted(wanted - isa.category_values)
    ]
    by_agency = {s.agency_id: s for s in isa.signatories}
    signatories = []
    for row in data["signatories"]:
        sig = by_agency.get(row["agency_id"]) or IsaSignatory(agency_id=row["agency_id"])
        sig.signed_by, sig.signed_on = row["signed_by"], row["signed_on"]
        signatories.append(sig)
    isa.signatories = signatories
    # Touching the row makes SQLAlchemy bump the version even when only children changed.
    isa.updated_at = utcnow()


def _record_version(isa: InformationSharingAgreement, actor) -> dict:
    after = snapshot(isa)
    db.session.add(
        IsaVersion(isa_id=isa.id, version=isa.version, snapshot=after, changed_by_id=actor.id)
    )
    return after


# An agreement's fields that are codes and dates; its words (title, purpose, the signing
# officers' names) are kept in its version history, which the audit entry points to.
ISA_CODES = ("status", "starts_on", "review_on", "expires_on", "categories")


def _isa_codes(values: dict) -> dict:
    codes = {k: values[k] for k in ISA_CODES}
    codes["signatories"] = [s["agency_id"] for s in values["signatories"]]
    return codes


def create_isa(hub: Hub, data: dict, *, actor) -> InformationSharingAgreement:
    data = _load_isa(hub, data)
    isa = InformationSharingAgreement(hub_id=hub.id)
    _apply(isa, data)
    db.session.add(isa)
    db.session.flush()
    after = _record_version(isa, actor)
    audit.record(
        "isa_created",
        user=actor,
        hub=hub,
        target=isa,
        details={"version": isa.version, "after": _isa_codes(after)},
    )
    db.session.flush()
    return isa


ISA_CHANGED = (
    "Someone else changed this agreement while you were editing it. Check the current version "
    "below, then make your changes again."
)
ISA_CHANGED_MEANWHILE = "Someone else changed this agreement while you were editing it."


def update_isa(
    isa: InformationSharingAgreement, data: dict, *, actor, version
) -> InformationSharingAgreement:
    """Refuses a save made from an older version of the agreement (another manager saved in
    between), so nobody's change is silently overwritten."""
    check_version(isa.version, version, lambda: StaleForm(ISA_CHANGED, field="version"))
    hub = db.session.get(Hub, isa.hub_id)
    data = _load_isa(hub, data, exclude_id=isa.id)
    before = snapshot(isa)
    _apply(isa, data)
    # Another save landing between our read and this write: the version column catches it.
    flush_or_stale(lambda: StaleForm(ISA_CHANGED_MEANWHILE, field="version"))
    after = _record_version(isa, actor)
    audit.record(
        "isa_updated",
        user=actor,
        hub=hub,
        target=isa,
        details={
            "version": isa.version,
            "changed": sorted(k for k in after if after[k] != before.get(k)),
            "before": _isa_codes(before),
            "after": _isa_codes(after),
        },
    )
    db.session.flush()
    return isa


def hub_isas(hub: Hub) -> list[InformationSharingAgreement]:
    query = (
        select(InformationSharingAgreement)
        .where(InformationSharingAgreement.hub_id == hub.id)
        .order_by(InformationSharingAgreement.starts_on.desc(), InformationSharingAgreement.id)
    )
    return list(db.session.execute(query).scalars())


def isa_versions(isa: InformationSharingAgreement) -> list[IsaVersion]:
    query = select(IsaVersion).where(IsaVersion.isa_id == isa.id).order_by(IsaVersion.version)
    return list(db.session.execute(query).scalars())


def ending_soon(hub: Hub, horizon: date) -> list[tuple[InformationSharingAgreement, str, date]]:
    """The hub's live agreements (in force or suspended) whose review or expiry date falls on
    or before `horizon`, passed ones included, soonest first: (agreement, "review" or
    "expiry", date). One statement."""
    isa = InformationSharingAgreement
    live = isa.status.in_([IsaStatus.IN_FORCE.value, IsaStatus.SUSPENDED.value])
    rows = db.session.execute(
        select(isa).where(
            isa.hub_id == hub.id,
            live,
            or_(isa.review_on <= horizon, isa.expires_on <= horizon),
        )
    ).scalars()
    found = []
    for agreement in rows:
        for kind, on in (("Review due", agreement.review_on), ("Expires", agreement.expires_on)):
            if on is not None and on <= horizon:
                found.append((agreement, kind, on))
    return sorted(found, key=lambda f: (f[2], f[0].id))


# -- reminders ---------------------------------------------------------------------------------


def isa_reminders(today: date, days: int | None = None) -> list[tuple[int, str, date]]:
    """Email each hub's managers `days` before an agreement's review or expiry date. Records
    every reminder it sends (unique per agreement, kind and date), so running it again, or
    from two workers, never sends twice. Emails carry only a link. Commits; returns what it
    sent as (isa id, kind, date)."""
    days = current_app.config.get("ISA_REMINDER_DAYS", 30) if days is None else days
    horizon = today + timedelta(days=days)
    isa = InformationSharingAgreement
    live = isa.status.in_([IsaStatus.IN_FORCE.value, IsaStatus.SUSPENDED.value])
    sent = []
    for kind, column in (("review", isa.review_on), ("expiry", isa.expires_on)):
        done = select(IsaReminder.id).where(
            IsaReminder.isa_id == isa.id, IsaReminder.kind == kind, IsaReminder.due_on == column
        )
        due = db.session.execute(
            select(isa)
            .where(live, column.is_not(None), column >= today, column <= horizon, ~done.exists())
            .order_by(isa.id)
        ).scalars()
        for agreement in list(due):
            due_on = getattr(agreement, column.key)
            managers = perm.hub_managers(agreement.hub_id)
            try:
                with db.session.begin_nested():
                    db.session.add(
                        IsaReminder(
                            isa_id=agreement.id, kind=kind, due_on=due_on, recipients=len(managers)
                        )
                    )
            except IntegrityError:
                continue  # another worker sent this one
            audit.record(
                "isa_reminder_sent",
                hub=agreement.hub_id,
                target=agreement,
                details={"kind": kind, "due_on": due_on.isoformat(), "recipients": len(managers)},
            )
            db.session.commit()
            link = _isa_link(agreement)
            what = "is due for review" if kind == "review" else "expires"
            for manager in managers:
                mail.send(
                    manager.email,
                    f"An information-sharing agreement {what} soon",
                    f"An information-sharing agreement in your hub {what} on "
                    f"{due_on:%-d %B %Y}.\n\nSee it on Focus Hub:\n{link}\n",
                )
            sent.append((agreement.id, kind, due_on))
    return sent


def _isa_link(agreement: InformationSharingAgreement) -> str:
    slug = db.session.execute(select(Hub.slug).where(Hub.id == agreement.hub_id)).scalar_one()
    return mail.external_url("sharing.isa_show", slug=slug, isa_id=agreement.id)
