"""Building a weekly conference's agenda at scale, in-process, on PostgreSQL.

Run: .venv/bin/python bench/bench_agenda.py [ROUNDS]
     (BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test)

Builds, in a schema of its own (dropped at the end), a hub with 10,000 open cases and 90,000
closed ones, a signed risk assessment on every open case (a few overdue for reassessment),
30,000 open actions (due over the coming 3 months, a few days overdue), 5,000 referrals
awaiting triage with deadlines over the coming 40 days, and 20 ASB case review applications
awaiting their threshold decision. The open cases come in two mixes, each timed:

- "hub": a working hub's stages - 1% referred, 3% awaiting a first conference, 66% active,
  20% under review, 10% in evaluation - with each case's next review spread over its band's
  cadence (7, 14, 28 or 56 days).
- "stress": the stages in equal fifths, so 4,000 open cases await a first conference, and next
  reviews spread over the coming 8 weeks whatever the band.

Each round builds the agenda of a fresh weekly conference a week ahead (default 50 rounds,
each rolled back) and the figures are p50/p95 of build_agenda and the items it adds. Target
(issue 6): under 200 ms.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from _pg import own_schema, percentile  # noqa: E402  (bench/ is on sys.path)
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import text  # noqa: E402

from hub import create_app  # noqa: E402
from hub.conferences import agenda as conference_agenda  # noqa: E402
from hub.config import normalise_database_url  # noqa: E402
from hub.core.timeutil import utcnow  # noqa: E402
from hub.extensions import db  # noqa: E402
from hub.models import Conference, ConferenceSlot  # noqa: E402

URL = normalise_database_url(
    os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
)
CASES, OPEN, REFERRALS = 100_000, 10_000, 5_000
TARGET_MS = 200.0


# SQL for each open case's stage and next review, by g (1..OPEN) and band b (1..4).
MIXES = {
    "hub": (
        "CASE WHEN g % 100 = 0 THEN 'referred' WHEN g % 100 < 4 THEN 'awaiting_conference' "
        "WHEN g % 100 < 14 THEN 'evaluation' WHEN g % 100 < 34 THEN 'review' ELSE 'active' END",
        "current_date + (g % (ARRAY[7, 14, 28, 56])[b])",
    ),
    "stress": (
        "(ARRAY['referred','awaiting_conference','active','review','evaluation'])[1 + g % 5]",
        "current_date + (g % 56)",
    ),
}


def load(conn, mix: str) -> int:
    """Bulk-load with INSERT ... SELECT generate_series. Returns the hub's id."""
    stage, next_review = MIXES[mix]
    q = lambda sql, **kw: conn.execute(text(sql), kw)  # noqa: E731
    hub = q(
        "INSERT INTO hub (slug, name, area, created_at) VALUES "
        "('bench', 'Bench Hub', '', now()) RETURNING id"
    ).scalar()
    agency = q(
        "INSERT INTO agency (name, kind, created_at) VALUES ('Bench Council', 'council', now()) "
        "RETURNING id"
    ).scalar()
    q(
        "INSERT INTO hub_agency (hub_id, agency_id, joined_at) VALUES (:h, :a, now())",
        h=hub,
        a=agency,
    )
    user = q(
        "INSERT INTO user_account (email, name, agency_id, password_hash, "
        "is_active_account, created_at) VALUES ('coord@bench.example', "
        "'Bench Coordinator', :a, 'x', true, now()) RETURNING id",
        a=agency,
    ).scalar()
    q(
        f"""INSERT INTO "case" (hub_id, reference, title, stage, band, score, score_explanation,
           ruleset_version, next_review_on, conference_due_by, opened_at, closed_at, version)
         SELECT :h, 'BEN-' || lpad(g::text, 6, '0'), 'Bench case ' || g,
           CASE WHEN g <= :open THEN {stage} ELSE 'closed' END,
           (ARRAY['critical','high','medium','standard'])[b], g % 50, '[]', '',
           {next_review}, now() + (g % 30) * interval '1 day', now() - interval '200 days',
           CASE WHEN g > :open THEN now() - interval '10 days' END, 1
         FROM generate_series(1, :n) g, LATERAL (SELECT 1 + g % 4 AS b) band""",
        h=hub,
        open=OPEN,
        n=CASES,
    )
    first = q('SELECT min(id) FROM "case" WHERE hub_id = :h', h=hub).scalar()
    q(
        """INSERT INTO case_action (case_id, agency_id, owner_id, description, due_on, status,
           outcome, created_at, updated_at, version)
         SELECT :f + (g % :open), :a, :u, 'Bench action ' || g,
           current_date + (g % 90 - 3), 'open', '', now(), now(), 1
         FROM generate_series(1, :open * 3) g""",
        f=first,
        open=OPEN,
        a=agency,
        u=user,
    )
    q(
        """INSERT INTO risk_assessment (case_id, kind, problem_type, answers, summary, score, band,
           explanation, ruleset_version, assessor_id, assessed_at, signed_at, next_due_on,
           category, origin_agency_id, restricted)
         SELECT c.id, 'initial', 'personal', '{}', '', c.score, c.band, '[]', '', :u,
           now() - interval '20 days', now() - interval '20 days',
           current_date + (c.id % 60 - 2), 'incident', :a, false
         FROM "case" c WHERE c.hub_id = :h AND c.stage <> 'closed'""",
        h=hub,
        a=agency,
        u=user,
    )
    q(
        """INSERT INTO case_review (hub_id, reference, case_id, source, applicant, received_on,
           status, outcome, created_at, version)
         SELECT :h, 'ACR-BEN-' || g, :f + g * 37, 'application', 'victim', current_date,
           'received', '', now(), 1
         FROM generate_series(1, 20) g""",
        h=hub,
        f=first,
    )
    q(
        """INSERT INTO referral (hub_id, agency_id, user_id, reference, status, band,
           conference_due_by, created_at, updated_at, submitted_at, case_review_threshold_met,
           version, category, origin_agency_id, restricted)
         SELECT :h, :a, :u, 'REF-' || lpad(g::text, 6, '0'), 'submitted',
           (ARRAY['critical','high','medium','standard'])[1 + g % 4],
           now() + (g % 40) * interval '1 day', now(), now(), now(), false, 1, 'incident', :a,
           false
         FROM generate_series(1, :n) g""",
        h=hub,
        a=agency,
        u=user,
        n=REFERRALS,
    )
    q("ANALYZE")
    return hub


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    for mix in MIXES:
        run(mix, rounds)


def run(mix: str, rounds: int) -> None:
    with own_schema(URL, "agenda") as schema:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": URL,
                "SQLALCHEMY_ENGINE_OPTIONS": {
                    "connect_args": {"options": f"-csearch_path={schema}"}
                },
                "SECRET_KEY": "bench",
                "SCHEDULER_IN_PROCESS": False,
                "MAIL_BACKEND": "memory",
                "BASE_URL": "http://bench.test",
            }
        )
        with app.app_context():
            upgrade()
            with db.engine.begin() as conn:
                hub_id = load(conn, mix)
            db.session.add(ConferenceSlot(hub_id=hub_id, weekday=utcnow().weekday(), time="10:00"))
            db.session.commit()
            timings, added = [], 0
            for i in range(rounds + 5):  # the first five warm caches and the pool
                now = utcnow()
                conference = Conference(hub_id=hub_id, starts_at=now + timedelta(days=7, minutes=i))
                db.session.add(conference)
                db.session.flush()
                started = time.perf_counter()
                if os.environ.get("BENCH_PROFILE") and i == 5:
                    import cProfile

                    cProfile.runctx(
                        "conference_agenda.build_agenda(conference, now + timedelta(days=6))",
                        globals(),
                        locals(),
                        sort="cumulative",
                    )
                    db.session.rollback()
                    continue
                added = conference_agenda.build_agenda(conference, now + timedelta(days=6))
                db.session.flush()
                if i >= 5:
                    timings.append((time.perf_counter() - started) * 1000)
                db.session.rollback()
            p50, p95 = percentile(timings, 50), percentile(timings, 95)
            print(
                f"build_agenda ({mix} mix), {OPEN:,} open cases, {REFERRALS:,} referrals awaiting "
                "triage: "
                f"{added:,} items; p50 {p50:.1f} ms, p95 {p95:.1f} ms "
                f"({'ok' if p95 < TARGET_MS else 'MISSES TARGET'}, target {TARGET_MS:.0f} ms)"
            )
            db.engine.dispose()


if __name__ == "__main__":
    main()
