"""Section 115 administration: information-sharing agreements (ISAs), case membership,
record restrictions, reminders and the disclosure register.

Every change validates first, writes nothing when it refuses (marshmallow ValidationError with
field messages), and is audited with before and after in the same transaction. Callers commit.
"""

from datetime import date, timedelta

from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from hub import audit
from hub.core import mail
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import (
    Agency,
    Case,
    CaseMembership,
    DataCategory,
    Disclosure,
    Hub,
    HubAgency,
    InformationSharingAgreement,
    IsaCategory,
    IsaReminder,
    IsaSignatory,
    IsaStatus,
    IsaVersion,
    MembershipRoute,
    RecordRestriction,
    Role,
    User,
    UserRole,
)

STATUS_LABELS = {
    IsaStatus.DRAFT: "Draft",
    IsaStatus.IN_FORCE: "In force",
    IsaStatus.SUSPENDED: "Suspended",
    IsaStatus.EXPIRED: "Expired",
}
ROUTE_LABELS = {
    MembershipRoute.REFERRAL: "Referring agency",
    MembershipRoute.TRIAGE: "Added at triage",
    MembershipRoute.CONFERENCE: "Conference decision",
    MembershipRoute.HUB_MANAGER: "Added by the hub manager",
}


class NotAllowed(Exception):
    """The actor may not make this change; views turn it into an audited 404 (deny)."""


# -- agreements --------------------------------------------------------------------------------


class SignatorySchema(Schema):
    agency_id = fields.Integer(required=True, error_messages={"invalid": "Choose an agency"})
    signed_by = fields.String(
        required=True,
        validate=validate.Length(min=2, max=200, error="Enter the signing officer's name"),
        error_messages={"required": "Enter the signing officer's name"},
    )
    signed_on = fields.Date(
        required=True,
        error_messages={
            "required": "Enter the date it was signed",
            "invalid": "Enter the date it was signed as a real date",
        },
    )


class IsaSchema(Schema):
    reference = fields.String(
        required=True,
        validate=validate.Length(min=2, max=40, error="Enter a reference of 2 to 40 characters"),
        error_messages={"required": "Enter the agreement's reference"},
    )
    title = fields.String(
        required=True,
        validate=validate.Length(min=3, max=200, error="Enter a title of 3 to 200 characters"),
        error_messages={"required": "Enter a title"},
    )
    purpose = fields.String(
        required=True,
        validate=validate.Length(min=3, max=5000, error="Enter the purpose of the sharing"),
        error_messages={"required": "Enter the purpose of the sharing"},
    )
    legal_basis = fields.String(
        required=True,
        validate=validate.Length(min=3, max=5000, error="Enter the legal basis"),
        error_messages={"required": "Enter the legal basis (s115 and the data-protection basis)"},
    )
    status = fields.String(
        required=True,
        validate=validate.OneOf([s.value for s in IsaStatus], error="Choose a status"),
        error_messages={"required": "Choose a status"},
    )
    starts_on = fields.Date(
        required=True,
        error_messages={
            "required": "Enter the start date",
            "invalid": "Start date must be a real date",
        },
    )
    review_on = fields.Date(
        load_default=None, error_messages={"invalid": "Review date must be a real date"}
    )
    expires_on = fields.Date(
        load_default=None, error_messages={"invalid": "Expiry date must be a real date"}
    )
    categories = fields.List(
        fields.String(
            validate=validate.OneOf(
                [c.value for c in DataCategory], error="Choose data categories from the list"
            )
        ),
        load_default=list,
    )
    signatories = fields.List(fields.Nested(SignatorySchema), load_default=list)

    @validates_schema
    def _dates_and_lists(self, data, **_):
        errors = {}
        starts, expires, review = (
            data.get("starts_on"),
            data.get("expires_on"),
            data.get("review_on"),
        )
        if starts and expires and expires <= starts:
            errors["expires_on"] = ["Expiry date must be after the start date"]
        if starts and review and review < starts:
            errors["review_on"] = ["Review date must be on or after the start date"]
        if not data.get("categories"):
            errors["categories"] = ["Choose at least one data category"]
        ids = [s["agency_id"] for s in data.get("signatories", [])]
        if len(ids) != len(set(ids)):
            errors["signatories"] = ["Each agency signs once"]
        if errors:
            raise ValidationError(errors)


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


def partner_ids(hub: Hub) -> set[int]:
    rows = db.session.execute(select(HubAgency.agency_id).where(HubAgency.hub_id == hub.id))
    return set(rows.scalars())


def _load_isa(hub: Hub, data: dict, exclude_id: int | None = None) -> dict:
    data = IsaSchema().load(data)
    errors = {}
    partners = partner_ids(hub)
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


class StaleEdit(ValidationError):
    pass


def update_isa(
    isa: InformationSharingAgreement, data: dict, *, actor, version
) -> InformationSharingAgreement:
    """Refuses a save made from an older version of the agreement (another manager saved in
    between), so nobody's change is silently overwritten."""
    if str(version) != str(isa.version):
        raise StaleEdit(
            {
                "version": [
                    "Someone else changed this agreement while you were editing it. Check the "
                    "current version below, then make your changes again."
                ]
            }
        )
    hub = db.session.get(Hub, isa.hub_id)
    data = _load_isa(hub, data, exclude_id=isa.id)
    before = snapshot(isa)
    _apply(isa, data)
    try:
        db.session.flush()
    except StaleDataError:
        # Another save landed between our read and this write: the version column caught it.
        raise StaleEdit(
            {"version": ["Someone else changed this agreement while you were editing it."]}
        ) from None
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


# -- reminders ---------------------------------------------------------------------------------


def _hub_managers(hub_id: int) -> list[User]:
    query = (
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .join(HubAgency, HubAgency.agency_id == User.agency_id)
        .where(
            UserRole.hub_id == hub_id,
            UserRole.role == Role.HUB_MANAGER.value,
            HubAgency.hub_id == hub_id,
            User.is_active_account.is_(True),
        )
        .order_by(User.id)
    )
    return list(db.session.execute(query).scalars().unique())


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
            managers = _hub_managers(agreement.hub_id)
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


# -- case membership ---------------------------------------------------------------------------


class MemberSchema(Schema):
    agency_id = fields.Integer(
        required=True,
        error_messages={"required": "Choose an agency", "invalid": "Choose an agency"},
    )
    route = fields.String(
        required=True,
        validate=validate.OneOf(
            [MembershipRoute.TRIAGE, MembershipRoute.CONFERENCE, MembershipRoute.HUB_MANAGER],
            error="Choose how the agency is being added",
        ),
        error_messages={"required": "Choose how the agency is being added"},
    )
    reason = fields.String(
        required=True,
        validate=validate.Length(min=3, max=2000, error="Enter why the agency is being added"),
        error_messages={"required": "Enter why the agency is being added"},
    )


def case_members(case: Case) -> list[CaseMembership]:
    """Every membership of the case, present and past, oldest first."""
    query = (
        select(CaseMembership)
        .where(CaseMembership.case_id == case.id)
        .order_by(
            CaseMembership.removed_at.is_not(None), CaseMembership.added_at, CaseMembership.id
        )
    )
    return list(db.session.execute(query).scalars())


def addable_agencies(case: Case) -> list[Agency]:
    active = select(CaseMembership.agency_id).where(
        CaseMembership.case_id == case.id, CaseMembership.removed_at.is_(None)
    )
    query = (
        select(Agency)
        .join(HubAgency, HubAgency.agency_id == Agency.id)
        .where(HubAgency.hub_id == case.hub_id, Agency.id.not_in(active))
        .order_by(Agency.name)
    )
    return list(db.session.execute(query).scalars())


def add_member(case: Case, data: dict, *, actor, may_use_hub_manager_route: bool):
    data = MemberSchema().load(data)
    if data["route"] == MembershipRoute.HUB_MANAGER and not may_use_hub_manager_route:
        raise ValidationError({"route": ["Only the hub manager can add an agency this way"]})
    agency = db.session.get(Agency, data["agency_id"])
    if agency is None or agency.id not in partner_ids(case.hub):
        raise ValidationError({"agency_id": ["Choose an agency that is a partner in this hub"]})
    if agency.id not in {a.id for a in addable_agencies(case)}:
        raise ValidationError({"agency_id": [f"{agency.name} is already a member of this case"]})
    membership = CaseMembership(
        case_id=case.id,
        agency_id=agency.id,
        route=data["route"],
        reason=data["reason"].strip(),
        added_by_id=actor.id,
        added_at=utcnow(),
    )
    db.session.add(membership)
    db.session.flush()
    audit.record(
        "case_member_added",
        user=actor,
        hub=case.hub_id,
        target=case,
        details={"after": {"agency_id": agency.id, "route": data["route"]}},
    )
    return membership


def remove_member(case: Case, membership: CaseMembership, reason: str, *, actor) -> None:
    reason = (reason or "").strip()
    if membership.case_id != case.id or membership.removed_at is not None:
        raise ValidationError({"membership": ["This agency is not a member of the case"]})
    if membership.route == MembershipRoute.REFERRAL:
        raise ValidationError(
            {"reason": ["The referring agency stays a member of the case: it cannot be removed"]}
        )
    if len(reason) < 3 or len(reason) > 2000:
        raise ValidationError({"reason": ["Enter why the agency is being removed"]})
    membership.removed_at = utcnow()
    membership.removed_by_id = actor.id
    membership.removal_reason = reason
    db.session.flush()
    audit.record(
        "case_member_removed",
        user=actor,
        hub=case.hub_id,
        target=case,
        details={
            "before": {"agency_id": membership.agency_id, "route": membership.route},
            "after": {"removed": True},
        },
    )


# -- record restriction ------------------------------------------------------------------------


def restrict_record(record, agency_ids, actor, *, case: Case | None = None) -> None:
    """The originating agency narrows who may see one of its records to named agencies of the
    hub (need to know). Replaces any earlier list."""
    if actor.agency_id != record.origin_agency_id:
        raise NotAllowed("only the originating agency may restrict its record")
    case = case or db.session.get(Case, record.case_id)
    ids = set()
    for value in agency_ids or ():
        try:
            ids.add(int(value))
        except (TypeError, ValueError):
            raise ValidationError({"agency_ids": ["Choose agencies from the list"]}) from None
    ids.discard(record.origin_agency_id)  # the originator always sees its own record
    if not ids:
        raise ValidationError(
            {"agency_ids": ["Choose at least one other agency that may see this record"]}
        )
    if not ids <= partner_ids(case.hub):
        raise ValidationError(
            {"agency_ids": ["Choose only agencies that are partners in this hub"]}
        )
    rows = db.session.execute(
        select(RecordRestriction).where(
            RecordRestriction.record_type == record.record_type,
            RecordRestriction.record_id == record.id,
        )
    ).scalars()
    rows = list(rows)
    before = sorted(r.agency_id for r in rows) if record.restricted else None
    for row in rows:
        if row.agency_id not in ids:
            db.session.delete(row)
    for agency_id in sorted(ids - {r.agency_id for r in rows}):
        db.session.add(
            RecordRestriction(
                record_type=record.record_type, record_id=record.id, agency_id=agency_id
            )
        )
    record.restricted = True
    db.session.flush()
    audit.record(
        "record_restricted",
        user=actor,
        hub=case.hub_id,
        target=case,
        details={
            "record": [record.record_type, record.id],
            "before": {"restricted_to": before},
            "after": {"restricted_to": sorted(ids)},
        },
    )


# -- disclosure register -----------------------------------------------------------------------


def disclosure_rows(case: Case, from_agency_id: int | None):
    """The register for a case: every row (from_agency_id None) or one agency's outgoing."""
    query = (
        select(Disclosure, InformationSharingAgreement.reference)
        .join(InformationSharingAgreement, InformationSharingAgreement.id == Disclosure.isa_id)
        .where(Disclosure.case_id == case.id)
        .order_by(Disclosure.last_disclosed_at.desc(), Disclosure.id)
    )
    if from_agency_id is not None:
        query = query.where(Disclosure.from_agency_id == from_agency_id)
    return list(db.session.execute(query))


def agency_names(ids) -> dict[int, str]:
    ids = set(ids)
    if not ids:
        return {}
    rows = db.session.execute(select(Agency.id, Agency.name).where(Agency.id.in_(ids)))
    return dict(rows.all())


def user_names(ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
