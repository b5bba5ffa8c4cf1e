"""PostgreSQL: the web and the scheduler run under a role that may only add to the audit log.

The append-only trigger refuses UPDATE, DELETE and TRUNCATE, but a role that owns the table
can switch the trigger off, and a superuser can skip triggers altogether. So production runs
two roles: the owner, which runs the migrations, and the application's role, which
`flask --app wsgi hub audit grant-app-role ROLE` (run as the owner after every upgrade) lets
read and write the hub's tables, and only read and append to the audit log's. The hub says at
start-up and on /healthz when it runs under a role that could alter the log.
"""

from sqlalchemy import text

from hub.extensions import db

APPEND_ONLY = ("audit_entry", "audit_anchor")


def _quoted(role: str) -> str:
    return '"' + role.replace('"', '""') + '"'


def grant_app_role(role: str) -> None:
    """Give `role` what the hub needs, and no more of the audit log than reading and adding.
    The caller (the owner of the tables) commits."""
    session = db.session
    schema = session.execute(text("SELECT current_schema()")).scalar_one()
    who, where = _quoted(role), _quoted(schema)
    statements = [
        f"GRANT USAGE ON SCHEMA {where} TO {who}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {where} TO {who}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {where} TO {who}",
    ]
    for table in APPEND_ONLY:
        statements.append(f"REVOKE UPDATE, DELETE, TRUNCATE ON {where}.{table} FROM {who}")
    for statement in statements:
        session.execute(text(statement))


def problems() -> list[str]:
    """Why the role the hub runs under could alter the audit log; empty when it cannot (or
    on SQLite, whose file the operating system's permissions protect)."""
    session = db.session
    if session.get_bind().dialect.name != "postgresql":
        return []
    found = []
    superuser = session.execute(
        text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    ).scalar()
    if superuser:
        found.append("it is a superuser, which can switch the append-only trigger off")
    for table in APPEND_ONLY:
        row = session.execute(
            text(
                "SELECT pg_has_role(current_user, t.tableowner, 'USAGE') AS owns, "
                "has_table_privilege(current_user, t.schemaname || '.' || t.tablename, "
                "'UPDATE, DELETE, TRUNCATE') AS alters "
                "FROM pg_tables t WHERE t.tablename = :table AND t.schemaname = current_schema()"
            ),
            {"table": table},
        ).first()
        if row is None:
            continue
        if row.owns and not superuser:
            found.append(f"it owns {table}, so it can switch the append-only trigger off")
        elif row.alters and not superuser:
            found.append(f"it may update or delete rows of {table}")
    return found
