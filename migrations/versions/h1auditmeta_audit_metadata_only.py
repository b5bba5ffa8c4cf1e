"""audit entries hold metadata only: the legal basis as text, each action's revisions, and a
one-off re-chaining that takes personal data out of entries written before, anchored

Entries written before this revision could copy a record's content into `details` (an
action's words, a typed reason, an email address). The log is append-only and hash-chained,
so no change can leave every old hash standing. This revision therefore:

1. cleans each old entry's details by the rules `hub.audit.check_details` now enforces,
   keeping what is metadata and naming each removed part under "redacted";
2. re-chains every entry from the first one it changed, so `hub audit verify` still passes;
3. keeps the head the chain had before in `audit_anchor` (superseded_hash), and appends an
   "audit_log_rechained" entry pointing at that anchor, so anyone holding the old head can
   see where and why the chain changed.

Entries before the first changed one keep their hashes. Downgrading keeps the cleaned log:
the removed content is gone for good, which is the point.

Revision ID: h1auditmeta
Revises: g1agenda
Create Date: 2026-12-05 23:30:00

"""
import hashlib
import json
import re
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

from hub.models.base import UTCDateTime

# revision identifiers, used by Alembic.
revision = "h1auditmeta"
down_revision = "g1agenda"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
BATCH = 1000
# Frozen copies of hub.audit's rules as they stood when this revision was written: a
# migration must go on doing what it did, whatever the application's code becomes.
KEYS = frozenset(
    """
    action_id active after agency_id agency_ids agenda_hours_before applicant approved_at
    approved_by attendance_id band before case case_id case_review_id cases categories category
    chair_id changed circulated_at conference_due_by conference_id count decision decision_id
    deputy_id due_by due_on email_digest fields filters for_user format found from isa_ids
    item item_id items_added kind lead_agency_id lead_agreed_conference_id length locked_now
    method n named next_conference_on next_review_on outcome path people person_records place
    plan_id position received_on reason reference recipients record record_id records redacted
    referral referral_id referrals removed replaced repeat restricted_to role route rows
    ruleset_version scope score search_digest signposted_agency_id source spoc_user_id stage
    standing starts_at status subject suggested_cases threshold_met time type user_id version
    victim weekday weeks_ahead what
    """.split()
)
CODE = re.compile(r"[A-Za-z0-9_.:+/%~\-]{0,200}\Z")
REASONS = frozenset({"idle", "locked", "no_recipient", "slot_changed", "revoked", "expired"})

entries = sa.table(
    "audit_entry",
    sa.column("id", sa.Integer),
    sa.column("at", UTCDateTime()),
    sa.column("action", sa.String),
    sa.column("outcome", sa.String),
    sa.column("user_id", sa.Integer),
    sa.column("agency_id", sa.Integer),
    sa.column("hub_id", sa.Integer),
    sa.column("target_type", sa.String),
    sa.column("target_id", sa.String),
    sa.column("ip_address", sa.String),
    sa.column("request_id", sa.String),
    sa.column("legal_basis", sa.Text),
    sa.column("details", sa.JSON),
    sa.column("prev_hash", sa.String),
    sa.column("entry_hash", sa.String),
)
anchors = sa.table(
    "audit_anchor",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("at", UTCDateTime()),
    sa.column("entry_id", sa.Integer),
    sa.column("entry_hash", sa.String),
    sa.column("superseded_hash", sa.String),
    sa.column("first_changed_id", sa.Integer),
    sa.column("redacted_entries", sa.Integer),
)
actions = sa.table(
    "case_action",
    sa.column("id", sa.Integer),
    sa.column("version", sa.Integer),
    sa.column("description", sa.Text),
    sa.column("agency_id", sa.Integer),
    sa.column("owner_id", sa.Integer),
    sa.column("due_on", sa.Date),
    sa.column("status", sa.String),
    sa.column("outcome", sa.Text),
    sa.column("created_by_id", sa.Integer),
    sa.column("updated_at", UTCDateTime()),
)
revisions = sa.table(
    "case_action_revision",
    sa.column("action_id", sa.Integer),
    sa.column("version", sa.Integer),
    sa.column("snapshot", sa.JSON),
    sa.column("saved_by_id", sa.Integer),
    sa.column("saved_at", UTCDateTime()),
)


def clean(value, path: str, removed: list):
    """The metadata of `value`; each part that is not metadata is dropped and its path noted."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        if CODE.match(value):
            return value
        removed.append(path)
        return None
    if isinstance(value, list):
        return [clean(v, f"{path}.{i}", removed) for i, v in enumerate(value)]
    if isinstance(value, dict):
        kept = {}
        for key, inner in value.items():
            where = f"{path}.{key}" if path else str(key)
            allowed = key in KEYS or (isinstance(key, str) and key.isdigit())
            if not allowed or (key == "reason" and inner not in REASONS):
                removed.append(where)
                continue
            kept[key] = clean(inner, where, removed)
        return kept
    removed.append(path)
    return None


def canonical(row: dict) -> str:
    """hub.audit's canonical form of an entry."""
    return json.dumps(
        {
            "at": row["at"].isoformat(),
            "action": row["action"],
            "outcome": row["outcome"],
            "user_id": row["user_id"],
            "agency_id": row["agency_id"],
            "hub_id": row["hub_id"],
            "target_type": row["target_type"],
            "target_id": row["target_id"],
            "ip_address": row["ip_address"],
            "request_id": row["request_id"],
            "legal_basis": row["legal_basis"],
            "details": row["details"],
            "prev_hash": row["prev_hash"],
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )


def sha(row: dict) -> str:
    return hashlib.sha256(canonical(row).encode()).hexdigest()


def _show(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def upgrade():
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.alter_column(
            "legal_basis", existing_type=sa.String(length=200), type_=sa.Text(), existing_nullable=True
        )
    op.create_table(
        "audit_anchor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.Column("superseded_hash", sa.String(length=64), nullable=True),
        sa.Column("first_changed_id", sa.Integer(), nullable=True),
        sa.Column("redacted_entries", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_anchor")),
    )
    op.create_table(
        "case_action_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("saved_by_id", sa.Integer(), nullable=True),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"], ["case_action.id"],
            name=op.f("fk_case_action_revision_action_id_case_action"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["saved_by_id"], ["user_account.id"],
            name=op.f("fk_case_action_revision_saved_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_action_revision")),
        sa.UniqueConstraint(
            "action_id", "version", name=op.f("uq_case_action_revision_action_id_version")
        ),
    )
    conn = op.get_bind()
    _backfill_action_revisions(conn)
    _rechain(conn)


def _backfill_action_revisions(conn) -> None:
    """Each existing action's current state becomes its first recorded revision."""
    rows = conn.execute(sa.select(actions)).mappings().all()
    if rows:
        conn.execute(
            revisions.insert(),
            [
                {
                    "action_id": r["id"],
                    "version": r["version"],
                    "snapshot": {
                        k: _show(r[k])
                        for k in ("description", "agency_id", "owner_id", "due_on", "status", "outcome")
                    },
                    "saved_by_id": r["created_by_id"],
                    "saved_at": r["updated_at"],
                }
                for r in rows
            ],
        )


def _rechain(conn) -> None:
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        conn.execute(sa.text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only"))
    prev, old_head, first_changed, redacted, last_id, after_id = GENESIS, None, None, 0, None, 0
    while True:
        rows = conn.execute(
            sa.select(entries).where(entries.c.id > after_id).order_by(entries.c.id).limit(BATCH)
        ).mappings().all()
        if not rows:
            break
        for stored in rows:
            row = dict(stored)
            # Re-chaining a chain that is already broken would launder the break: refuse.
            if row["prev_hash"] != (old_head or GENESIS) or sha(row) != row["entry_hash"]:
                raise RuntimeError(
                    f"The audit log's chain is broken at entry {row['id']}: run "
                    "`flask --app wsgi hub audit verify` and investigate before upgrading."
                )
            old_head, last_id, after_id = row["entry_hash"], row["id"], row["id"]
            removed: list[str] = []
            details = clean(row["details"] or {}, "", removed)
            if removed:
                details["redacted"] = sorted(removed)
                redacted += 1
            changed = bool(removed) or row["prev_hash"] != prev
            if changed:
                first_changed = first_changed or row["id"]
                row.update(details=details, prev_hash=prev)
                row["entry_hash"] = sha(row)
                conn.execute(
                    entries.update()
                    .where(entries.c.id == row["id"])
                    .values(details=details, prev_hash=prev, entry_hash=row["entry_hash"])
                )
            prev = row["entry_hash"]
    if first_changed is not None:
        now = datetime.now(UTC).replace(microsecond=0)
        conn.execute(
            anchors.insert().values(
                kind="rechain",
                at=now,
                entry_id=last_id,
                entry_hash=prev,
                superseded_hash=old_head,
                first_changed_id=first_changed,
                redacted_entries=redacted,
            )
        )
        anchor_id = conn.execute(sa.select(sa.func.max(anchors.c.id))).scalar_one()
        entry = {
            "at": now,
            "action": "audit_log_rechained",
            "outcome": "ok",
            "user_id": None,
            "agency_id": None,
            "hub_id": None,
            "target_type": "audit_anchor",
            "target_id": str(anchor_id),
            "ip_address": None,
            "request_id": None,
            "legal_basis": "UK GDPR Article 5(1)(c): data minimisation",
            "details": {"count": redacted, "record_id": first_changed},
            "prev_hash": prev,
        }
        entry["entry_hash"] = sha(entry)
        conn.execute(entries.insert().values(**entry))
    if postgres:
        conn.execute(sa.text("ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_append_only"))


def downgrade():
    op.drop_table("case_action_revision")
    op.drop_table("audit_anchor")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.alter_column(
            "legal_basis", existing_type=sa.Text(), type_=sa.String(length=200), existing_nullable=True
        )
