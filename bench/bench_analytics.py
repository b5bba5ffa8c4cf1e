"""The analytics pages at scale, in-process, on PostgreSQL.
Run: .venv/bin/python bench/bench_analytics.py [ROUNDS]
     (BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test)
Builds, in a schema of its own (dropped at the end), a hub with five years of history to
December 2026: 100,000 cases (10,000 open), 120,000 referrals (each on a held weekly
conference's agenda), 1,000,000 incidents in the matching history, 1,000,000 police.uk
context incidents, 300,000 actions, 200,000 interventions, 90,000 evaluations and 2,000 ASB
case reviews. Then renders each page ROUNDS times (default 100) through the Flask test
client, signed in as the hub's analyst, and prints p50/p95 of the page time, the p50 of its
SQL time and the statements each render ran (BENCH_SHOW_SQL=1: the slowest statements).
Target for the dashboard: p95 under 300 ms, statements constant.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere
from _pg import own_schema, percentile  # noqa: E402  (bench/ is on sys.path)
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, text  # noqa: E402

from hub import create_app  # noqa: E402
from hub.config import engine_options, normalise_database_url  # noqa: E402
from hub.extensions import db  # noqa: E402

URL = normalise_database_url(
    os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
)
CASES, OPEN, REFERRALS = 100_000, 10_000, 120_000
INCIDENTS, CONTEXT = 1_000_000, 1_000_000
TARGET_MS = 300.0
PASSWORD = "bench password for analytics"  # noqa: S105 - a throwaway schema's only user
START = "2022-01-01"  # five years of history, to the end of 2026
SPAN_DAYS = 1825


def load(conn, password_hash: str) -> None:
    """Bulk-load with INSERT ... SELECT generate_series: a minute or two, not an hour."""
    q = lambda sql, **kw: conn.execute(text(sql), kw)  # noqa: E731
    hub = q(
        "INSERT INTO hub (slug, name, area, created_at, two_factor_required) VALUES "
        "('bench', 'Bench Hub', '', now(), false) RETURNING id"
    ).scalar()
    agencies = []
    for name, kind in (
        ("Bench Council", "council"),
        ("Bench Police", "police"),
        ("Bench Housing", "housing"),
    ):
        agency = q(
            "INSERT INTO agency (name, kind, created_at) VALUES (:n, :k, now()) RETURNING id",
            n=name,
            k=kind,
        ).scalar()
        q(
            "INSERT INTO hub_agency (hub_id, agency_id, joined_at) VALUES (:h, :a, now())",
            h=hub,
            a=agency,
        )
        agencies.append(agency)
    council, police, housing = agencies
    user = q(
        "INSERT INTO user_account (email, name, agency_id, password_hash, is_active_account, "
        "created_at) VALUES ('analyst@bench.example', 'Bench Analyst', :a, :p, true, now()) "
        "RETURNING id",
        a=police,
        p=password_hash,
    ).scalar()
    q("INSERT INTO user_role (user_id, hub_id, role) VALUES (:u, :h, 'analyst')", u=user, h=hub)
    common = {"h": hub, "c": council, "p": police, "u": user, "start": START, "span": SPAN_DAYS}
    # Cases: the first OPEN are open, across the open stages.
    q(
        """INSERT INTO "case" (hub_id, reference, title, stage, band, score, score_explanation,
             ruleset_version, opened_at, version, lead_agency_id)
           SELECT :h, 'BEN-' || g, 'Bench case ' || g,
             CASE WHEN g <= :open THEN (ARRAY['referred','awaiting_conference','active','review',
               'evaluation'])[1 + g % 5] ELSE 'closed' END,
             (ARRAY['critical','high','medium','standard'])[1 + g % 4], 10, '[]', 'v1',
             CAST(:start AS timestamptz) + (g % :span) * interval '1 day', 1, :c
           FROM generate_series(1, :cases) g""",
        open=OPEN,
        cases=CASES,
        **common,
    )
    first_case = q('SELECT min(id) FROM "case" WHERE hub_id = :h', h=hub).scalar()
    # Weekly held conferences over the five years.
    q(
        """INSERT INTO conference (hub_id, kind, starts_at, place, online_link, status,
             created_at, reason, minutes_remarks, edit_version, started_at)
           SELECT :h, 'weekly', CAST(:start AS timestamptz) + g * interval '7 days'
             + interval '10 hours', '', '', 'held', now(), '', '', 1,
             CAST(:start AS timestamptz) + g * interval '7 days' + interval '10 hours'
           FROM generate_series(0, 261) g""",
        **common,
    )
    first_conference = q("SELECT min(id) FROM conference WHERE hub_id = :h", h=hub).scalar()
    # Referrals spread over the five years at every hour; most triaged into a case.
    q(
        """INSERT INTO referral (hub_id, agency_id, user_id, reference, status, category,
             origin_agency_id, restricted, band, asb_category, submitted_at, created_at,
             updated_at, conference_due_by, case_review_threshold_met, version, decision,
             case_id)
           SELECT :h, :c, :u, 'REF-B-' || g,
             CASE WHEN g <= :cases THEN 'triaged' ELSE 'submitted' END, 'incident', :c, false,
             (ARRAY['critical','high','medium','standard'])[1 + g % 4],
             (ARRAY['personal','nuisance','environmental'])[1 + g % 3],
             CAST(:start AS timestamptz) + (g * 1313 % (:span * 24)) * interval '1 hour', now(),
             now(),
             CAST(:start AS timestamptz) + (g * 1313 % (:span * 24)) * interval '1 hour'
               + (1 + g % 9) * interval '1 day', false, 1,
             CASE WHEN g <= :cases THEN 'new_case' END,
             CASE WHEN g <= :cases THEN :first_case + g - 1 END
           FROM generate_series(1, :referrals) g""",
        cases=CASES,
        referrals=REFERRALS,
        first_case=first_case,
        **common,
    )
    # Each referral on the agenda of the weekly conference after it (or of a case).
    q(
        """INSERT INTO agenda_item (conference_id, referral_id, case_id, reason, position,
             removed, created_at, discussed_at)
           SELECT :fc + LEAST(261, CAST(extract(epoch FROM r.submitted_at
               - CAST(:start AS timestamptz)) / 604800 AS int) + 1),
             r.id, NULL, 'new_referral', 1, false, now(), now()
           FROM referral r WHERE r.hub_id = :h""",
        fc=first_conference,
        **common,
    )
    q(
        """INSERT INTO incident (hub_id, occurred_on, victim_key, victim_addr_key, subject_key,
             place_key, cell, hate, case_id)
           SELECT :h, CAST(:start AS date) + (g % :span),
             CASE WHEN g % 3 = 0 THEN 'n:victim ' || (g % 200000) || '|d:1970-01-01' END,
             NULL,
             CASE WHEN g % 4 = 0 THEN 'n:subject ' || (g % 150000) || '|d:2000-01-01' END,
             CASE WHEN g % 2 = 0 THEN 'place ' || (g % 50000) END,
             (108000 + g % 150) || ':' || (-4500 + g % 170), false,
             CASE WHEN g % 5 = 0 THEN :first_case + g % :cases END
           FROM generate_series(1, :incidents) g""",
        incidents=INCIDENTS,
        cases=CASES,
        first_case=first_case,
        **common,
    )
    q(
        """INSERT INTO context_incident (hub_id, source_key, month, month_index, crime_type,
             is_asb, reported_by, location, lsoa_code, lsoa_name, lat, lon, cell, outcome)
           SELECT :h, md5(g::text), m, extract(year FROM m) * 12 + extract(month FROM m) - 1,
             CASE WHEN g % 3 = 0 THEN 'Anti-social behaviour' ELSE 'Other theft' END,
             g % 3 = 0, 'Bench Police', 'On or near Street ' || (g % 900), 'E01000001',
             'Bench 001A', 54.0 + (g % 150) * 0.0005, -3.6 + (g % 170) * 0.0008,
             (108000 + g % 150) || ':' || (-4500 + g % 170), ''
           FROM (SELECT g, CAST(date_trunc('month', CAST(:start AS date)
                   + (g % :span) * interval '1 day') AS date) AS m
                 FROM generate_series(1, :context) g) s""",
        context=CONTEXT,
        **common,
    )
    q(
        """INSERT INTO context_month_count (hub_id, month, is_asb, incidents)
           SELECT hub_id, month, is_asb, count(*) FROM context_incident
           GROUP BY hub_id, month, is_asb"""
    )
    q(
        """INSERT INTO case_action (case_id, agency_id, owner_id, description, due_on, status,
             outcome, created_at, updated_at, version)
           SELECT :first_case + g % :cases, (ARRAY[:c, :p])[1 + g % 2], :u, 'Bench action',
             CAST(:start AS date) + (g % :span),
             CASE WHEN g % :cases < :open THEN 'open' ELSE 'done' END, '', now(), now(), 1
           FROM generate_series(1, 300000) g""",
        first_case=first_case,
        cases=CASES,
        open=OPEN,
        **common,
    )
    q(
        """INSERT INTO intervention (case_id, type, issuing_officer, subject, conditions,
             breaches, appeal, outcome, recorded_by_id, recorded_at, version, category,
             origin_agency_id, restricted, served_on, subject_age_group)
           SELECT :first_case + g % :cases,
             (ARRAY['warning_letter','acceptable_behaviour_contract',
               'community_protection_warning','community_protection_notice',
               'civil_injunction'])[1 + g % 5], 'Officer', 'Someone', '',
             CASE WHEN g % 7 = 0 THEN 'Breached' ELSE '' END, '', '', :u, now(), 1, 'incident',
             (ARRAY[:c, :p])[1 + g % 2], false, CAST(:start AS date) + (g % :span),
             (ARRAY['under_18','adult','place'])[1 + g % 3]
           FROM generate_series(1, 200000) g""",
        first_case=first_case,
        cases=CASES,
        **common,
    )
    q(
        """INSERT INTO case_evaluation (case_id, outcome, summary, lessons, measures, worked,
             agency_views, recorded_by_id, recorded_at, signed_by_id, signed_at)
           SELECT :first_case + :open + g - 1,
             (ARRAY['ceased','reduced','harm_reduced','not_achieved'])[1 + g % 4], 'Bench', '',
             '[]', '{}', '{}', :u,
             CAST(:start AS timestamptz) + (g % :span) * interval '1 day', :u,
             CAST(:start AS timestamptz) + (g % :span) * interval '1 day'
           FROM generate_series(1, :closed) g""",
        first_case=first_case,
        open=OPEN,
        closed=CASES - OPEN,
        **common,
    )
    q(
        """INSERT INTO case_review (hub_id, reference, source, received_on, status, outcome,
             created_at, version, case_id)
           SELECT :h, 'CR-B-' || g, (ARRAY['application','conference'])[1 + g % 2],
             CAST(:start AS date) + (g * 37 % :span),
             (ARRAY['received','not_met','review_due','completed'])[1 + g % 4], '', now(), 1,
             :first_case + g
           FROM generate_series(1, 2000) g""",
        first_case=first_case,
        **common,
    )


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    with own_schema(URL, "analytics") as schema:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": URL,
                # The production settings (random_page_cost), in the benchmark's own schema.
                "SQLALCHEMY_ENGINE_OPTIONS": {
                    "connect_args": {
                        "options": f"-csearch_path={schema} "
                        + engine_options(URL)["connect_args"]["options"]
                    }
                },
                "SECRET_KEY": "bench",
                "WTF_CSRF_ENABLED": False,
                "RATELIMIT_ENABLED": False,
                "SESSION_COOKIE_SECURE": False,
                "SCHEDULER_IN_PROCESS": False,
                "MAIL_BACKEND": "memory",
            }
        )
        from hub.core.security import hash_password

        with app.app_context():
            upgrade()
            started = time.perf_counter()
            with db.engine.begin() as conn:
                load(conn, hash_password(PASSWORD))
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
            print(f"loaded in {time.perf_counter() - started:.0f} s")
            engine = db.engine
        statements = [0]
        sql_ms: list[tuple[float, str]] = []

        @event.listens_for(engine, "before_cursor_execute")
        def _count(conn, cursor, statement, *_args):
            statements[0] += 1
            conn.info["bench_t"] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def _took(conn, cursor, statement, *_args):
            took = (time.perf_counter() - conn.info.pop("bench_t")) * 1000
            sql_ms.append((took, " ".join(statement.split())[:90]))

        logging.getLogger("hub.request").setLevel(logging.WARNING)  # no line per request
        client = app.test_client()
        response = client.post(
            "/sign-in/password", data={"email": "analyst@bench.example", "password": PASSWORD}
        )
        assert response.status_code == 302, response.status_code
        pages = {
            "dashboard (12 months)": "/hubs/bench/analytics?from=2026-01&to=2026-12",
            "dashboard (36 months)": "/hubs/bench/analytics?from=2024-01&to=2026-12",
            "hotspots (12 months)": "/hubs/bench/analytics/hotspots?from=2026-01&to=2026-12",
            "repeats (90 days)": "/hubs/bench/analytics/repeats?days=90",
            "powers return (12 m)": "/hubs/bench/analytics/powers?from=2026-01&to=2026-12",
        }
        print(f"{'page':24} {'p50 ms':>8} {'p95 ms':>8} {'SQL p50':>8} {'statements':>11}  verdict")
        for label, path in pages.items():
            for _ in range(5):  # warm caches and the connection pool
                assert client.get(path).status_code == 200, path
            times, counts, sql_total = [], set(), []
            for _ in range(rounds):
                statements[0] = 0
                sql_ms.clear()
                t = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - t) * 1000)
                counts.add(statements[0])
                sql_total.append(sum(ms for ms, _ in sql_ms))
                assert response.status_code == 200
            p50, p95 = percentile(times, 50), percentile(times, 95)
            verdict = ""
            if label.startswith("dashboard"):
                ok = p95 < TARGET_MS and len(counts) == 1
                verdict = "ok" if ok else "MISSES TARGET"
            shown = ",".join(str(c) for c in sorted(counts))
            print(
                f"{label:24} {p50:8.1f} {p95:8.1f} {percentile(sql_total, 50):8.1f} "
                f"{shown:>11}  {verdict}"
            )
            if os.environ.get("BENCH_SHOW_SQL"):  # the last round's statements, slowest first
                for ms, statement in sorted(sql_ms, reverse=True)[:9]:
                    print(f"    {ms:6.1f} ms  {statement}")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
