"""End-to-end referral intake through the API, on PostgreSQL with a large history.

Run: .venv/bin/python bench/bench_intake.py [INCIDENTS] [REFERRALS]
     (BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/postgres)

Creates its own schema, builds it with the real migrations, loads INCIDENTS (default
1,000,000) earlier incidents across 50,000 places and 200,000 people with COPY, then posts
REFERRALS (default 300) referrals to POST /api/v1/referrals in-process (Flask test client:
token check, validation, matching, scoring, insert, audit, commit) and prints p50/p95 and the
SQL statements per intake. Target: p95 under 30 ms, statements constant. Drops the schema.

The default database is `postgres`, not the test suite's `test`: the audit log serialises
writers with a PostgreSQL advisory lock, which is per database, so test runs in `test` on the
same server would otherwise queue the benchmark behind them and measure their load, not ours.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from _pg import own_schema  # noqa: E402  (bench/ is on sys.path)
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, text  # noqa: E402

from hub import create_app  # noqa: E402
from hub.config import normalise_database_url  # noqa: E402
from hub.extensions import db  # noqa: E402
from referrals.normalise import address_key, grid_cell, person_keys  # noqa: E402

PLACES = 50_000
PEOPLE = 200_000
TARGET_P95_MS = 30.0
FIRST = [
    "William", "Margaret", "James", "Susan", "David", "Elizabeth", "John", "Sarah", "Robert",
    "Karen", "Michael", "Joanne", "Thomas", "Rachel", "Daniel", "Emma", "Paul", "Helen",
    "Mark", "Claire", "Andrew", "Lisa", "Peter", "Amy", "Stephen", "Laura", "Gary", "Nicola",
    "Kevin", "Gemma", "Brian", "Julie", "Ian", "Donna", "Craig", "Kelly", "Lee", "Dawn",
    "Jordan", "Chloe", "Kyle", "Megan", "Liam", "Holly", "Ryan", "Jade", "Dean", "Leanne",
    "Shaun", "Zoe",
]  # fmt: skip
SURNAMES = [
    "Tyson", "Hartley", "Dixon", "Bewley", "Nicholson", "Postlethwaite", "Birkett", "Fisher",
    "Wilson", "Graves", "Jackson", "Kerr", "Moore", "Walker", "Fearon", "Hind", "Pike",
    "Armstrong", "Graham", "Bell", "Robinson", "Thompson", "Wood", "Harrison", "Atkinson",
    "Richardson", "Johnston", "Little", "Irving", "Routledge", "Scott", "Stephenson",
]  # fmt: skip
STREETS = ["Street", "Road", "Lane", "Avenue", "Close", "Terrace", "Crescent", "Drive"]


def place(j: int) -> tuple[str, float, float]:
    """Place j: '12 Lowther Street 17, Whitehaven' and coordinates spread over the borough."""
    number = j % 250 + 1
    street = f"Lowther{j // 250} {STREETS[j % len(STREETS)]}"
    lat = 54.40 + (j * 7919 % 30_000) / 100_000
    lon = -3.60 + (j * 104_729 % 30_000) / 100_000
    return f"{number} {street}, Whitehaven", lat, lon


def person(i: int) -> tuple[str, dt.date, int]:
    """Person i: a name, a date of birth and a home place."""
    name = f"{FIRST[i % len(FIRST)]} {SURNAMES[(i // len(FIRST)) % len(SURNAMES)]}"
    dob = dt.date(1940, 1, 1) + dt.timedelta(days=(i * 7919) % 25_000)
    return name, dob, (i * 31) % PLACES


def load(engine_url: str, schema: str, incidents: int, hub_id: int, today: dt.date) -> float:
    """COPY the history in; returns seconds taken (generation included)."""
    import psycopg

    rng = random.Random(2026)
    places = []
    for j in range(PLACES):
        address, lat, lon = place(j)
        places.append((address_key(address), grid_cell(lat, lon)))
    people = []
    for i in range(PEOPLE):
        name, dob, home = person(i)
        dob_key, addr_key = person_keys(name, dob, place(home)[0])
        people.append((dob_key, addr_key))
    started = time.perf_counter()
    url = engine_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, options=f"-csearch_path={schema}") as conn, conn.cursor() as cur:
        columns = (
            "hub_id, occurred_on, victim_key, victim_addr_key, subject_key, subject_addr_key, "
            "place_key, cell, hate"
        )
        with cur.copy(f"COPY incident ({columns}) FROM STDIN") as copy:
            buffer = io.StringIO()
            for n in range(incidents):
                place_key, cell = places[rng.randrange(PLACES)]
                victim = people[rng.randrange(PEOPLE)]
                subject = people[rng.randrange(PEOPLE)] if rng.random() < 0.5 else (None, None)
                day = today - dt.timedelta(days=rng.randrange(1, 400))
                fields = (
                    str(hub_id),
                    day.isoformat(),
                    victim[0] or "\\N",
                    victim[1] or "\\N",
                    subject[0] or "\\N",
                    subject[1] or "\\N",
                    place_key or "\\N",
                    cell or "\\N",
                    "t" if rng.random() < 0.02 else "f",
                )
                buffer.write("\t".join(fields) + "\n")
                if n % 50_000 == 49_999:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())
        cur.execute("ANALYZE incident")
        conn.commit()
    return time.perf_counter() - started


def payloads(count: int, hub_slug: str) -> list[dict]:
    """Referrals about people and places already in the history (so matching finds them)."""
    rng = random.Random(7)
    out = []
    for _ in range(count):
        victim = rng.randrange(PEOPLE)
        name, dob, home = person(victim)
        address, lat, lon = place(home)
        subject_name, subject_dob, _ = person(rng.randrange(PEOPLE))
        out.append(
            {
                "hub": hub_slug,
                "about": "person",
                "category": rng.choice(["personal", "nuisance", "environmental"]),
                "summary": "Youths gathering and shouting at a neighbour",
                "description": "Repeated shouting and banging on the door late in the evening.",
                "first_incident_on": "2026-08-01",
                "incident_count": rng.randint(1, 20),
                "location": {"address": address, "postcode": "CA28 7XY", "lat": lat, "lon": lon},
                "people": [
                    {"role": "victim", "name": name, "date_of_birth": dob.isoformat()},
                    {
                        "role": "subject",
                        "name": subject_name,
                        "date_of_birth": subject_dob.isoformat(),
                    },
                ],
                "consent": {"given": True},
                "risk": {
                    k: rng.random() < 0.3
                    for k in ("targeted", "repeat", "vulnerable", "fear_for_safety", "escalating")
                },
            }
        )
    return out


def explain(body: dict) -> None:
    """The matching query's plan for one referral, so a regression is easy to see."""
    from hub.core.timeutil import utcnow
    from referrals.matching import COUNTS, MatchKeys, counts_params
    from referrals.schemas import ReferralSchema

    data = ReferralSchema().load(body)
    params = counts_params(1, MatchKeys.from_referral(data), utcnow().date())
    sql = str(
        COUNTS.params(params).compile(
            db.engine, compile_kwargs={"literal_binds": True, "render_postcompile": True}
        )
    )
    plan = db.session.execute(text("EXPLAIN (ANALYZE, COSTS OFF) " + sql)).scalars()
    print("  matching query plan (last referral):")
    for line in plan:
        if any(w in line for w in ("Scan", "BitmapOr", "Aggregate", "Execution", "Planning")):
            print("   ", line.rstrip())


def main() -> None:
    incidents = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    referrals = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    url = normalise_database_url(
        os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    with own_schema(url, "intake") as schema:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "SQLALCHEMY_ENGINE_OPTIONS": {
                    "connect_args": {"options": f"-csearch_path={schema}"}
                },
                "SECRET_KEY": "bench",
                "API_RATE_LIMIT": "1000000 per minute",
                "SCHEDULER_IN_PROCESS": False,
                "MAIL_BACKEND": "memory",
            }
        )
        with app.app_context():
            upgrade()
            from hub.accounts import tokens
            from hub.models import Agency, Hub, HubAgency, HubScoringSettings, User, UserRole

            hub = Hub(slug="copeland", name="Copeland Focus Hub", area="")
            agency = Agency(name="Copeland Borough Council", kind="council")
            db.session.add_all([hub, agency])
            db.session.flush()
            db.session.add(HubAgency(hub_id=hub.id, agency_id=agency.id))
            db.session.add(
                HubScoringSettings(hub_id=hub.id, conference_weekday=2, conference_time="10:00")
            )
            referrer = User(email="referrer@council.example", name="Referrer", agency_id=agency.id)
            db.session.add(referrer)
            db.session.flush()
            db.session.add(UserRole(user_id=referrer.id, hub_id=hub.id, role="referrer"))
            token, _ = tokens.issue_token(referrer, "bench")
            db.session.commit()
            hub_id = hub.id
        today = dt.datetime.now(dt.UTC).date()
        print(f"loading {incidents:,} incidents ({PLACES:,} places, {PEOPLE:,} people)...")
        seconds = load(url, schema, incidents, hub_id, today)
        print(f"loaded in {seconds:.1f} s ({incidents / seconds:,.0f} rows/s, COPY + indexes)")

        statements: list[int] = []
        with app.app_context():
            engine = db.engine

        in_sql: list[float] = []

        def count(conn, *_args):
            statements[-1] += 1
            conn.info["bench_t0"] = time.perf_counter()

        def done(conn, *_args):
            in_sql[-1] += time.perf_counter() - conn.info.pop("bench_t0")

        event.listen(engine, "before_cursor_execute", count)
        event.listen(engine, "after_cursor_execute", done)
        logging.getLogger("hub.request").setLevel(logging.WARNING)  # no line per request
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        bodies = payloads(referrals + 20, "copeland")
        for body in bodies[:20]:  # warm up: connections, caches, the first plans
            statements.append(0)
            in_sql.append(0.0)
            assert client.post("/api/v1/referrals", json=body, headers=headers).status_code == 201
        statements.clear()
        in_sql.clear()
        times = []
        cpu = []  # this process's CPU time: what the intake costs us, without others' load
        repeats = 0
        for body in bodies[20:]:
            statements.append(0)
            in_sql.append(0.0)
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.post("/api/v1/referrals", json=body, headers=headers)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            assert response.status_code == 201, response.get_json()
            repeats += response.get_json()["repeat"]["place"]["180"] > 0
        event.remove(engine, "before_cursor_execute", count)
        event.remove(engine, "after_cursor_execute", done)
        times.sort()
        p50 = statistics.median(times)
        p95 = times[int(len(times) * 0.95) - 1]
        print(
            f"{len(times)} referrals via POST /api/v1/referrals (in-process), history "
            f"{incidents:,} incidents"
        )
        print(
            f"  p50 {p50:.1f} ms   p95 {p95:.1f} ms   max {times[-1]:.1f} ms "
            f"(target p95 < {TARGET_P95_MS:.0f} ms: {'met' if p95 < TARGET_P95_MS else 'MISSED'})"
        )
        print(f"  SQL statements per intake: min {min(statements)}, max {max(statements)}")
        sql_ms = sorted(t * 1000 for t in in_sql)
        print(
            f"  of which waiting on SQL: p50 {statistics.median(sql_ms):.1f} ms, "
            f"p95 {sql_ms[int(len(sql_ms) * 0.95) - 1]:.1f} ms (the rest is Python)"
        )
        cpu.sort()
        print(
            f"  CPU time of this process per intake: p50 {statistics.median(cpu):.1f} ms, "
            f"p95 {cpu[int(len(cpu) * 0.95) - 1]:.1f} ms"
        )
        print(f"  load average while timing: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
        print(f"  referrals whose place had earlier incidents: {repeats}/{len(times)}")
        with app.app_context():
            explain(bodies[-1])
            db.engine.dispose()


if __name__ == "__main__":
    main()
