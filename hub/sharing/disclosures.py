"""The disclosure register: every disclosure of one agency's data to another on a case, with
the agreement it was made under (entered as it happens by hub.permissions.record_read)."""

from sqlalchemy import select

from hub.extensions import db
from hub.models import (
    Agency,
    Case,
    Disclosure,
    InformationSharingAgreement,
    User,
)


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
