"""The audit log: append-only and tamper-evident. Writing and verifying it is here (record,
verify_chain); reading it, for a hub's managers, is hub.audit.reading.

Each entry carries the SHA-256 of its own content and of the entry before it, so an edit or
deletion of any row breaks the chain at that point. Callers add the entry in the same
transaction as the change it records, so there is never a write without its audit entry: it
is chained and written as that transaction commits (write_pending), which keeps the chain's
lock, one for the whole log, from being held for the rest of a page that audited its reads.

An entry says who did what to which record, when, from where, with what outcome and legal
basis: never what anyone wrote or who a record is about. The log is append-only and readable
by people the section 115 rule does not let see case content, so a copy of personal data here
would escape that rule and could never be corrected or erased. `record` therefore refuses
details it does not know to be metadata (see DETAIL_KEYS); a before/after of a record's content
lives in the record's own version history, which the entry points to by id and version.
"""

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import quote

from flask import current_app, g, has_request_context, request
from sqlalchemy import event, insert, select, text
from sqlalchemy.orm import Session

from hub.core import signals
from hub.core.database import take_write_lock
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import AuditAnchor, AuditEntry

GENESIS = "0" * 64
# Serialises writers on PostgreSQL so two transactions cannot chain to the same predecessor.
_CHAIN_LOCK_KEY = 0x46484155  # "FHAU"


def _canonical(entry: AuditEntry) -> str:
    return json.dumps(
        {
            "at": entry.at.isoformat(),
            "action": entry.action,
            "outcome": entry.outcome,
            "user_id": entry.user_id,
            "agency_id": entry.agency_id,
            "hub_id": entry.hub_id,
            "target_type": entry.target_type,
            "target_id": entry.target_id,
            "ip_address": entry.ip_address,
            "request_id": entry.request_id,
            "legal_basis": entry.legal_basis,
            "details": entry.details,
            "prev_hash": entry.prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )


# The only keys an entry's details may carry, at any depth. Each names metadata: ids, codes,
# counts, versions, dates of events, field names. A key that could hold free text or a person's
# particulars (a reason, a title, a name, an email) is deliberately absent.
DETAIL_KEYS = frozenset(
    [
        "action_id",
        "active",
        "addressed",
        "after",
        "agency_id",
        "agency_ids",
        "agenda_hours_before",
        "applicant",
        "approved_at",
        "approved_by",
        "attendance_id",
        "band",
        "before",
        "case",
        "case_id",
        "case_review_id",
        "cases",
        "categories",
        "category",
        "chair_id",
        "changed",
        "circulated_at",
        "conference_due_by",
        "conference_id",
        "count",
        "decision",
        "decision_id",
        "deputy_id",
        "due_by",
        "due_on",
        "email_digest",
        "expires_on",
        "fields",
        "filters",
        "for_user",
        "format",
        "found",
        "from",
        "imported_from",
        "isa_ids",
        "item",
        "item_id",
        "items_added",
        "kind",
        "lead_agency_id",
        "lead_agreed_conference_id",
        "length",
        "locked_now",
        "method",
        "n",
        "named",
        "next_conference_on",
        "next_review_on",
        "outcome",
        "owner_id",
        "path",
        "people",
        "person_records",
        "place",
        "plan_id",
        "position",
        "provider_id",
        "reason",
        "received_on",
        "recipients",
        "record",
        "record_id",
        "records",
        "redacted",
        "reference",
        "referral",
        "referral_id",
        "referrals",
        "removed",
        "repeat",
        "replaced",
        "required",
        "restricted_to",
        "review_on",
        "role",
        "route",
        "rows",
        "ruleset_version",
        "scope",
        "score",
        "search_digest",
        "signatories",
        "signposted_agency_id",
        "source",
        "spoc_user_id",
        "stage",
        "standing",
        "starts_at",
        "starts_on",
        "status",
        "subject",
        "suggested_cases",
        "threshold_met",
        "time",
        "type",
        "user_id",
        "version",
        "victim",
        "weekday",
        "weeks_ahead",
        "what",
    ]
)
# Values must be short codes: enum values, references, ISO dates, paths. No spaces and no "@",
# so a sentence, a name with a surname or an email address cannot pass.
_CODE = re.compile(r"[A-Za-z0-9_.:+/%~\-]{0,200}\Z")
# What was read is named by the code in lower-case words: no capitals, digits or signs.
_WHAT = re.compile(r"[a-z ()]{1,60}\Z")
_RECORD_TYPE = re.compile(r"[a-z_]{1,40}\Z")
# Reasons are codes too, from this list; the words a person typed stay on their record.
REASON_CODES = frozenset(
    {"idle", "locked", "no_recipient", "slot_changed", "revoked", "expired"}
) | {
    # why a sign-in was refused or a session ended (hub/accounts)
    "account_conflict",
    "awaiting_approval",
    "bad_signature",
    "client_secret_unreadable",
    "code_refused",
    "deactivated",
    "domain_not_allowed",
    "email_not_verified",
    "email_taken",
    "expired_id_token",
    "expired_state",
    "invalid_id_token",
    "no_code",
    "no_email",
    "no_id_token",
    "password_changed",
    "provider_refused",
    "provider_unreachable",
    "replayed_state",
    "signed_out_everywhere",
    "state_mismatch",
    "two_factor_reset",
    "unknown_state",
    "unused",
    "wrong_agency",
    "wrong_aud",
    "wrong_azp",
    "wrong_iss",
    "wrong_issuer",
    "wrong_nonce",
    # why the end of a record's retention was refused (hub/lifecycle/retention.py)
    "case_open",
    "legal_hold",
}


class AuditContentError(ValueError):
    """An audit entry would carry content that is not metadata: a programming error."""


def check_details(details, path: str = "details") -> None:
    """Raise AuditContentError unless `details` holds only metadata (see DETAIL_KEYS).
    Under "records", keys are record types ("case_note") and values their ids."""
    if details is None or isinstance(details, bool | int | float | date | datetime):
        return
    if isinstance(details, str):
        if not _CODE.match(details):
            raise AuditContentError(f"{path} holds text, not a code: audit metadata only")
        return
    if isinstance(details, list | tuple):
        for i, value in enumerate(details):
            check_details(value, f"{path}[{i}]")
        return
    if isinstance(details, dict):
        for key, value in details.items():
            known = key in DETAIL_KEYS or (isinstance(key, str) and key.isdigit())
            if not known and path.endswith(".records") and _RECORD_TYPE.match(str(key)):
                known = True
            if not known:
                raise AuditContentError(f"{path} has key {key!r}, which is not audit metadata")
            if key == "reason" and value not in REASON_CODES:
                raise AuditContentError(f"{path}.reason must be one of {sorted(REASON_CODES)}")
            if key == "what" and isinstance(value, str) and _WHAT.match(value):
                continue  # the code's own words for a page ("case activity")
            check_details(value, f"{path}.{key}")
        return
    raise AuditContentError(f"{path} holds a {type(details).__name__}: audit metadata only")


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(_canonical(entry).encode()).hexdigest()


def record(
    action: str,
    *,
    user=None,
    hub=None,
    agency_id: int | None = None,
    target=None,
    target_type: str | None = None,
    target_id=None,
    outcome: str = "ok",
    legal_basis: str | None = None,
    details: dict | None = None,
    commit: bool = False,
) -> AuditEntry:
    """Append one entry, in the transaction of what it records: it is chained and written when
    the transaction commits (write_pending), and never if it rolls back. `target` may be any
    model with an id; its class names the type. `details` must be metadata only
    (check_details), or AuditContentError is raised."""
    check_details(details)
    session = db.session()
    if not session.in_transaction():
        session.begin()  # so that a rollback from here on takes the entry with it
    if session.autoflush:
        session.flush()  # a target added a moment ago has its id, as the ORM's reads would give
    if target is not None:
        target_type = target_type or type(target).__name__.lower()
        target_id = target.id
    entry = AuditEntry(
        at=utcnow().replace(microsecond=0),
        action=action,
        outcome=outcome,
        user_id=getattr(user, "id", None),
        agency_id=agency_id if agency_id is not None else getattr(user, "agency_id", None),
        hub_id=getattr(hub, "id", hub if isinstance(hub, int) else None),
        target_type=target_type,
        target_id=None if target_id is None else as_code(target_id, 60),
        ip_address=request.remote_addr if has_request_context() else None,
        request_id=g.get("request_id") if has_request_context() else None,
        legal_basis=legal_basis,
        details=details or {},
    )
    session.info.setdefault(_PENDING, []).append(entry)
    if commit:
        session.commit()
    return entry


_PENDING = "audit_entries_to_write"


def write_pending(session=None) -> None:
    """Chain and write the entries recorded in this transaction, in the order they were
    recorded: when it commits, or before anything in it reads the log (the listeners below).
    The chain is one sequence, so writers take its lock before reading its head and hold it
    to their commit; writing at the commit holds it for a moment, not for the rest of a page
    that audited a read at its start (under load every audited page queued behind that).
    An entry's id is therefore in commit order, and its `at` is when it was recorded. A read
    of the log that names no entry to the ORM (a count over a subquery, a read on the
    session's connection) calls this first."""
    session = session if session is not None else db.session()
    pending = session.info.get(_PENDING)
    if not pending or session.in_nested_transaction():
        # Not inside a savepoint: rolled back, it would take written entries with it (and on
        # SQLite, taking the write lock ends a read transaction, savepoints and all).
        return
    session.info[_PENDING] = []
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(_CHAIN_LOCK, {"k": _CHAIN_LOCK_KEY})
    else:
        take_write_lock(session)  # before reading the head, so no one chains to it meanwhile
    prev = connection.execute(_CHAIN_HEAD).scalar_one_or_none()
    for entry in pending:
        entry.prev_hash = prev or GENESIS
        entry.entry_hash = prev = entry_hash(entry)
    # One INSERT for them all, not the unit of work's flush: every audited page writes one,
    # and a page that audits two reads writes both in one statement.
    rows = [{c.key: getattr(entry, c.key) for c in _ENTRY_COLUMNS} for entry in pending]
    ids = connection.execute(_INSERT_ENTRIES, rows).scalars().all()
    for entry, entry_id in zip(pending, ids, strict=True):
        entry.id = entry_id


@event.listens_for(Session, "before_commit")
def _write_at_commit(session) -> None:
    write_pending(session)  # the transaction's own commit; a savepoint's release passes


@event.listens_for(Session, "do_orm_execute")
def _write_before_reading_the_log(state) -> None:
    if (
        state.is_select
        and state.session.info.get(_PENDING)
        and any(mapper.class_ is AuditEntry for mapper in state.all_mappers)
    ):
        write_pending(state.session)


@event.listens_for(Session, "after_transaction_end")
def _forget_at_the_end(session, transaction) -> None:
    # Written at a commit; rolled back with everything else otherwise. A savepoint's end
    # (transaction.parent) keeps them: the read or change they record still happened.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def append_copies(copies: list[dict]) -> list[AuditEntry]:
    """Append entries brought from another instance's log (hub.lifecycle's import), each
    with the time, action and outcome it had there and its ids already remapped. Each is
    chained here like any new entry; `details` is checked as record() checks it."""
    for fields in copies:
        check_details(fields.get("details"))
    session = db.session()
    added = [AuditEntry(**fields) for fields in copies]
    # After what this transaction recorded before them, chained like any other entry.
    session.info.setdefault(_PENDING, []).extend(added)
    write_pending(session)
    return added


# Built once: every audited read runs these three, and building them cost more than running.
_CHAIN_LOCK = text("SELECT pg_advisory_xact_lock(:k)")
_CHAIN_HEAD = select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1)
_ENTRY_COLUMNS = [c for c in AuditEntry.__table__.columns if c.key != "id"]
# The table, not the class: an ORM-enabled insert would run its bulk-insert machinery.
# The ids come back in the order of the rows sent (sort_by_parameter_order), so in the chain's.
_INSERT_ENTRIES = insert(AuditEntry.__table__).returning(
    AuditEntry.__table__.c.id, sort_by_parameter_order=True
)


def as_code(value, limit: int = 200) -> str:
    """A URL-typed value (a path, a slug) as a code an entry can hold: percent-encoded, so
    spaces, NUL bytes and other characters cannot reach the log raw, and cut to `limit`."""
    return quote(str(value), safe="/:+-._~")[:limit]


def digest(*values) -> str:
    """A keyed fingerprint of what someone typed (an email address at sign-in, a subject-access
    search): entries about the same input can be matched, and an investigator holding the
    input can confirm it, but the log never holds the input itself."""
    key = current_app.config["SECRET_KEY"].encode()
    text = "\x1f".join("" if v is None else str(v).strip().lower() for v in values)
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:32]


def field_names(messages) -> list[str]:
    """The names of the fields a refused form got wrong, as codes (a tampered form can send
    any name)."""
    return sorted(as_code(k, 60) for k in messages)


@signals.csrf_refused.connect
def _record_csrf_refusal(_app, *, user, method: str, path: str, **_) -> None:
    record(
        "csrf_refused",
        outcome="denied",
        user=user,
        details={"method": method, "path": as_code(path)},
        commit=True,
    )


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_at: int | None  # id of the first entry that does not verify
    reason: str | None


def anchors() -> list[AuditAnchor]:
    """The chain's anchors, oldest first (see migration h1auditmeta)."""
    return list(db.session.execute(select(AuditAnchor).order_by(AuditAnchor.id)).scalars())


def verify_chain(batch: int = 1000) -> ChainReport:
    prev = GENESIS
    checked = 0
    rows = db.session.execute(
        select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=batch)
    ).scalars()
    for entry in rows:
        if entry.prev_hash != prev:
            return ChainReport(checked, entry.id, "does not follow the entry before it")
        if entry_hash(entry) != entry.entry_hash:
            return ChainReport(checked, entry.id, "its content does not match its hash")
        prev = entry.entry_hash
        checked += 1
    return ChainReport(checked, None, None)
