"""Which rows are one hub's, worked out from the models' metadata rather than listed by hand.

A table is the hub's when it has a `hub_id` pointing at the hub, or a foreign key to a row
that is the hub's (a case's notes, a note's agenda item...), or, for the few tables that name
a record by kind and id instead of a foreign key, when the record it names is the hub's.
Agencies and people are shared between hubs: they go with a hub as far as its rows name
them, and an instance that has them already (by name, by email) keeps its own. Everything
else is the instance's own (its scheduler, sign-in machinery, single sign-on set-up) and
stays behind. tests/lifecycle/test_moving.py fails when a table fits none of these, so a new
table is placed on purpose.
"""

from dataclasses import dataclass, field

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    insert,
    literal,
    or_,
    select,
)

from hub.extensions import db

HUB = "hub"

# Shared between hubs; matched on import by these columns.
SHARED = {"agency": ("name",), "user_account": ("email",)}

# What a person's row carries that belongs to the instance that issued it: a password hash or
# a two-factor key sealed with that instance's SECRET_KEY, a link to its identity provider. A
# person new to the target arrives without them and is sent a password link there (or signs
# in by the target's single sign-on).
CREDENTIALS = {
    "user_account": (
        "password_hash",
        "identity_provider_id",
        "oidc_issuer",
        "oidc_subject",
        "totp_secret",
        "totp_enabled_at",
        "totp_last_step",
        "last_sign_in_at",
        "dormancy_notice_at",
    )
}

# The instance's own, never moved with a hub, and why.
STAYS = {
    "audit_anchor": "the instance's own re-chainings of its whole log",
    "job_run": "the scheduler's record of work done here",
    "scheduler_heartbeat": "the scheduler of this instance",
    "scheduler_job": "the scheduler's job store",
    "sign_in_failure": "lockout counters of this instance",
    "identity_provider": "single sign-on is set up per instance",
    "identity_provider_domain": "single sign-on is set up per instance",
    "sso_sign_in": "sign-ins in flight on this instance",
    "api_token": "tokens are issued by one instance",
    "password_link": "password links are issued by one instance",
    "recovery_code": "two-factor recovery codes belong to the instance's two-factor key",
    "user_session": "sessions on this instance",
}

# Columns that name a record by kind and id rather than by a foreign key: (table, column) ->
# (the column saying which kind, and each kind's table; None when the kind is the table name).
BY_KIND = {
    ("record_restriction", "record_id"): ("record_type", None),
    ("case_activity", "record_id"): ("record_type", None),
    ("lesson", "source_record_id"): (
        "source",
        {
            "evaluation": "case_evaluation",
            "decision": "conference_decision",
            "case_review": "case_review",
        },
    ),
    ("case_deadline", "record_id"): (
        "source",
        {
            "triage": "referral",
            "reassessment": "risk_assessment",
            "conference": "conference",
            "incident": "case_incident",
        },
    ),
}

# JSON lists of ids: (table, column) -> the table the ids are of.
ID_LISTS = {("referral", "suggested_case_ids"): "case"}


def kind_table(table: str, column: str, kind) -> str | None:
    """The table a by-kind column's value names, for a row whose kind column says `kind`."""
    _, kinds = BY_KIND[(table, column)]
    if kind is None:
        return None
    return kind if kinds is None else kinds.get(kind)


@dataclass
class Plan:
    """The hub's tables in an order that inserts parents first, with how each one's rows are
    found."""

    owned: list[str] = field(default_factory=list)  # parents first; "hub" first of all
    parents: dict[str, list[Column]] = field(default_factory=dict)  # FKs to owned tables
    self_refs: dict[str, list[Column]] = field(default_factory=dict)
    # Tables owned only through a by-kind column (they come last, after what they name).
    by_kind_only: list[str] = field(default_factory=list)


def references(column: Column) -> str | None:
    """The table a column is a foreign key to, if any."""
    for fk in column.foreign_keys:
        return fk.column.table.name
    return None


def plan(metadata=None) -> Plan:
    """Work out the hub's tables from the metadata (see the module's docstring)."""
    result = Plan(owned=[HUB], parents={HUB: []}, self_refs={HUB: []})
    by_kind_tables = {t for t, _ in BY_KIND}
    for table in (metadata or db.metadata).sorted_tables:  # parents before children
        if table.name == HUB or table.name in SHARED or table.name in STAYS:
            continue
        parents, self_refs = [], []
        for column in table.columns:
            target = references(column)
            if target == table.name:
                self_refs.append(column)
            elif target in result.owned:
                parents.append(column)
        if parents:
            result.owned.append(table.name)
        elif table.name in by_kind_tables:
            result.by_kind_only.append(table.name)
        else:
            continue
        result.parents[table.name] = parents
        result.self_refs[table.name] = self_refs
    result.owned += result.by_kind_only
    return result


def unplaced(metadata=None) -> list[str]:
    """Tables that are neither the hub's, shared, nor the instance's own: each needs a
    decision (a foreign key to what it belongs to, or an entry in STAYS)."""
    metadata = metadata or db.metadata
    placed = set(plan(metadata).owned) | set(SHARED) | set(STAYS)
    return sorted(set(metadata.tables) - placed)


# The ids of the hub's rows, table by table, collected in a temporary table: each table's
# rows are then found one subquery deep, however far from the hub they are.
_collected = Table(
    "lifecycle_rows",
    MetaData(),
    Column("tbl", String(60), primary_key=True),
    Column("id", Integer, primary_key=True),
    prefixes=["TEMPORARY"],  # each connection's own, gone when it closes
)


def _found(name: str):
    return select(_collected.c.id).where(_collected.c.tbl == name)


def collect(hub_id: int, the_plan: Plan) -> dict[str, object]:
    """Collect the ids of the hub's rows (and of the agencies and people they name). Returns,
    for each table, a SELECT of those ids, good for the rest of the transaction."""
    session = db.session
    _collected.create(session.connection(), checkfirst=True)
    session.execute(delete(_collected))
    meta = db.metadata.tables

    def add(name: str, ids) -> None:
        session.execute(insert(_collected).from_select(["tbl", "id"], ids))

    add(HUB, select(literal(HUB), meta[HUB].c.id).where(meta[HUB].c.id == hub_id))
    for name in the_plan.owned[1:]:
        table = meta[name]
        conditions = [column.in_(_found(references(column))) for column in the_plan.parents[name]]
        if name in the_plan.by_kind_only:
            for (owner, column_name), (kind_column, kinds) in BY_KIND.items():
                if owner != name:
                    continue
                for kind in kinds or the_plan.owned[: the_plan.owned.index(name)]:
                    target = kind_table(name, column_name, kind)
                    conditions.append(
                        (table.c[kind_column] == kind) & table.c[column_name].in_(_found(target))
                    )
        add(name, select(literal(name), table.c.id).where(or_(*conditions)))
    # People the hub's rows name, then agencies (theirs too).
    for shared in ("user_account", "agency"):
        for name in [*the_plan.owned, "user_account"]:
            if name == shared:
                continue
            table = meta[name]
            source = _found(name) if name in the_plan.owned or name in SHARED else None
            for column in table.columns:
                if references(column) != shared:
                    continue
                add(
                    shared,
                    select(literal(shared), column)
                    .where(table.c.id.in_(source), column.is_not(None))
                    .where(column.not_in(_found(shared)))
                    .distinct(),
                )
    return {name: _found(name) for name in [*SHARED, *the_plan.owned]}
