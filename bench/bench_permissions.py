"""Database time to list 200 cases a member agency may open, out of 100,000, on PostgreSQL.

Run: .venv/bin/python bench/bench_permissions.py [N_CASES] [RUNS]
     (BENCH_DATABASE_URL, else TEST_DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/test)

Creates a schema of its own, builds it with the real migrations, fills one hub with N_CASES
(default 100,000) cases across 12 partner agencies (each case has its referring agency and one
or two more members; 1 case in 50 has a removed membership) and agreements in force, then runs
the permission-filtered list the case pages use — hub.permissions.cases_with_access(), newest
first, LIMIT 200 — for a case worker of one member agency, RUNS times (default 50). Prints p50
and p95 of PostgreSQL's own execution time (EXPLAIN ANALYZE) and of the timed execute, and the
plan. Drops the schema at the end. Target: p95 under 20 ms.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from _pg import own_schema, percentile  # noqa: E402  (bench/ is on sys.path)
from sqlalchemy import text  # noqa: E402

TARGET_MS = 20.0
AGENCIES = 12


def fill(conn, n_cases: int) -> dict:
    hub_id = conn.execute(
        text(
            "INSERT INTO hub (slug, name, area, created_at) "
            "VALUES ('bench', 'Bench Hub', '', now()) RETURNING id"
        )
    ).scalar_one()
    agency_ids = []
    for i in range(AGENCIES):
        agency_id = conn.execute(
            text(
                "INSERT INTO agency (name, kind, created_at) "
                "VALUES (:n, 'council', now()) RETURNING id"
            ),
            {"n": f"Bench agency {i}"},
        ).scalar_one()
        conn.execute(
            text("INSERT INTO hub_agency (hub_id, agency_id, joined_at) VALUES (:h, :a, now())"),
            {"h": hub_id, "a": agency_id},
        )
        agency_ids.append(agency_id)
    isa_id = conn.execute(
        text(
            "INSERT INTO isa (hub_id, reference, title, purpose, legal_basis, status, starts_on, "
            "version, created_at, updated_at) VALUES (:h, 'BENCH-ISA', 'Bench', 'Bench', 's115', "
            "'in_force', DATE '2020-01-01', 1, now(), now()) RETURNING id"
        ),
        {"h": hub_id},
    ).scalar_one()
    for agency_id in agency_ids:
        conn.execute(
            text(
                "INSERT INTO isa_signatory (isa_id, agency_id, signed_by, signed_on) "
                "VALUES (:i, :a, 'Officer', DATE '2020-01-01')"
            ),
            {"i": isa_id, "a": agency_id},
        )
    for category in ("identity", "incident", "housing", "victim_contact"):
        conn.execute(
            text("INSERT INTO isa_category (isa_id, category) VALUES (:i, :c)"),
            {"i": isa_id, "c": category},
        )
    conn.execute(
        text(
            'INSERT INTO "case" (hub_id, reference, title, stage, band, score, '
            "score_explanation, ruleset_version, opened_at, version) "
            "SELECT :h, 'BEN-' || g, 'Bench case', 'active', "
            "(ARRAY['critical','high','medium','standard'])[1 + g % 4], g % 100, '[]', '', "
            "now() - make_interval(mins => g), 1 FROM generate_series(1, :n) AS g"
        ),
        {"h": hub_id, "n": n_cases},
    )
    ids = "(ARRAY[" + ",".join(str(a) for a in agency_ids) + "])"
    first = conn.execute(text('SELECT min(id) FROM "case"')).scalar_one()
    # The referring agency, then one or two others; every 50th case lost a member later.
    conn.execute(
        text(
            "INSERT INTO case_membership (case_id, agency_id, route, reason, added_at) "
            f"SELECT c.id, {ids}[1 + (c.id - :f) % {AGENCIES}], 'referral', 'bench', now() "
            'FROM "case" c'
        ),
        {"f": first},
    )
    conn.execute(
        text(
            "INSERT INTO case_membership (case_id, agency_id, route, reason, added_at, "
            "removed_at) "
            f"SELECT c.id, {ids}[1 + ((c.id - :f) * 7 + 3) % {AGENCIES}], 'triage', 'bench', "
            "now(), CASE WHEN (c.id - :f) % 50 = 0 THEN now() END "
            'FROM "case" c'
        ),
        {"f": first},
    )
    conn.execute(
        text(
            "INSERT INTO case_membership (case_id, agency_id, route, reason, added_at) "
            f"SELECT c.id, {ids}[1 + ((c.id - :f) * 5 + 1) % {AGENCIES}], 'conference', 'bench', "
            'now() FROM "case" c WHERE (c.id - :f) % 3 = 0'
        ),
        {"f": first},
    )
    # An agency on few cases (1 in 100): the planner should start from its memberships.
    sparse = conn.execute(
        text(
            "INSERT INTO agency (name, kind, created_at) VALUES ('Bench sparse', 'fire', now()) "
            "RETURNING id"
        )
    ).scalar_one()
    conn.execute(
        text("INSERT INTO hub_agency (hub_id, agency_id, joined_at) VALUES (:h, :a, now())"),
        {"h": hub_id, "a": sparse},
    )
    conn.execute(
        text(
            "INSERT INTO isa_signatory (isa_id, agency_id, signed_by, signed_on) "
            "VALUES (:i, :a, 'Officer', DATE '2020-01-01')"
        ),
        {"i": isa_id, "a": sparse},
    )
    conn.execute(
        text(
            "INSERT INTO case_membership (case_id, agency_id, route, reason, added_at) "
            "SELECT c.id, :a, 'triage', 'bench', now() FROM \"case\" c WHERE (c.id - :f) % 100 = 0"
        ),
        {"a": sparse, "f": first},
    )
    conn.execute(text("ANALYZE"))
    return {"hub_id": hub_id, "agencies": {"busy": agency_ids[4], "sparse": sparse}}


def main() -> None:
    n_cases = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    url = os.environ.get(
        "BENCH_DATABASE_URL",
        os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    from hub.config import normalise_database_url

    url = normalise_database_url(url)
    if not url.startswith("postgresql"):
        sys.exit("bench_permissions needs PostgreSQL: set BENCH_DATABASE_URL")
    with own_schema(url, "permissions") as schema:
        run(url, schema, n_cases, runs)


def run(url: str, schema: str, n_cases: int, runs: int) -> None:
    from flask_migrate import upgrade

    from hub import create_app
    from hub import permissions as perm
    from hub.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": f"-csearch_path={schema}"}},
            "SECRET_KEY": "bench",
            "MAIL_BACKEND": "memory",
        }
    )
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        with db.engine.begin() as conn:
            ids = fill(conn, n_cases)
        print(f"built {n_cases:,} cases in {time.perf_counter() - started:.1f} s")
        for label, agency_id in ids["agencies"].items():
            measure(db, perm, label, agency_id, ids["hub_id"], n_cases, runs, app)
        db.session.remove()
        db.engine.dispose()


def measure(db, perm, label, agency_id, hub_id, n_cases, runs, app) -> None:
    from hub.models import Case, Hub, User, UserRole

    user = User(email=f"{label}@bench.example", name="Bench Worker", agency_id=agency_id)
    db.session.add(user)
    db.session.flush()
    db.session.add(UserRole(user_id=user.id, hub_id=hub_id, role="case_worker"))
    db.session.commit()
    with app.test_request_context():
        user = db.session.get(User, user.id)
        hub = db.session.get(Hub, hub_id)
        query = (
            perm.cases_with_access(user, hub)
            .order_by(Case.opened_at.desc(), Case.id.desc())
            .limit(200)
        )
        sql = str(query.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
        conn = db.session.connection()
        rows = db.session.execute(query).scalars().all()
        assert len(rows) == 200, len(rows)
        member_cases = db.session.execute(
            text(
                "SELECT count(DISTINCT case_id) FROM case_membership "
                "WHERE agency_id = :a AND removed_at IS NULL"
            ),
            {"a": agency_id},
        ).scalar_one()
        print()
        print(
            f"[{label}] agency is a member of {member_cases:,} of {n_cases:,} cases; "
            "listing 200, newest first"
        )
        # PostgreSQL's default random_page_cost (4) assumes spinning disks; 1.1 is the usual
        # setting for SSDs and changes the plan for an agency on few cases.
        for cost in ("4", "1.1"):
            conn.exec_driver_sql(f"SET random_page_cost = {cost}")
            explain_ms, execute_ms = [], []
            for _ in range(runs):
                started = time.perf_counter()
                db.session.execute(query).all()
                execute_ms.append((time.perf_counter() - started) * 1000)
                plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + sql).scalar_one()
                plan = plan if isinstance(plan, list) else json.loads(plan)
                explain_ms.append(plan[0]["Execution Time"])
            text_plan = conn.exec_driver_sql("EXPLAIN ANALYZE " + sql).scalars().all()
            p95 = percentile(explain_ms, 95)
            print(
                f"  random_page_cost={cost}: database execution time (EXPLAIN ANALYZE), "
                f"{runs} runs: p50 {statistics.median(explain_ms):.2f} ms, p95 {p95:.2f} ms; "
                f"timed execute incl. driver and ORM p50 {statistics.median(execute_ms):.2f} ms"
                f" — {'within' if p95 < TARGET_MS else 'OVER'} the {TARGET_MS:.0f} ms target"
            )
            print("  plan: " + " / ".join(line.strip() for line in text_plan[:6]))
    db.session.rollback()


if __name__ == "__main__":
    main()
