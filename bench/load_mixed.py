# ruff: noqa: S603 - runs our own flask and gunicorn with arguments made here
"""Load (issue 17): gunicorn with several workers on PostgreSQL, N concurrent people doing a
mixed day's work from a second process on loopback, then an account of every record.

Run: .venv/bin/python bench/load_mixed.py [--users 50] [--seconds 300] [--workers 4]
         [--database postgresql://postgres@127.0.0.1:5432/postgres | --database sqlite]

Sets up a scratch database on that server (dropped afterwards) or a scratch SQLite file, the
demo hub in it, and gunicorn (gthread workers) on a free port. Each simulated person signs in
once, then loops:
  45% the planner board · 25% a case page · 12% a note on a case (form token: sent once)
  10% a case's details saved (version check: applied or refused as stale) · 8% a referral
  sent through the API.
Afterwards it checks that each note and referral that was answered as made exists exactly
once and none that was refused exists, that each case's version grew by exactly the saves
answered as applied, and that `flask hub audit verify` passes. Prints errors, request counts
and latency percentiles per kind. Nothing here is asserted by the test suite: it measures.
"""

import argparse
import contextlib
import os
import random
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.support.referral_data import payload  # noqa: E402

PASSWORD = "demo-password-2026"  # noqa: S105 - the demo's published password
PEOPLE = (
    "ps.coordinator@cumbria-police.example",
    "hub.manager@copeland.example",
    "tenancy@homegroup.example",
    "victim.spoc@copeland.example",
)
REFERRER = "asb.officer@copeland.example"


class FormReader(HTMLParser):
    """The fields of the form whose action ends with `suffix`, as a browser would send them."""

    def __init__(self, suffix: str):
        super().__init__()
        self.suffix, self.inside, self.fields, self.select = suffix, False, {}, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = (a.get("action") or "").endswith(self.suffix)
        elif self.inside and tag == "input" and a.get("name"):
            if a.get("type") in ("radio", "checkbox") and "checked" not in a:
                return
            self.fields.setdefault(a["name"], a.get("value") or "")
        elif self.inside and tag == "select":
            self.select = a.get("name")
            self.fields.setdefault(self.select, "")
        elif self.inside and tag == "option" and self.select and "selected" in a:
            self.fields[self.select] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None


def form_fields(html: str, suffix: str) -> dict:
    reader = FormReader(suffix)
    reader.feed(html)
    return reader.fields


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.times = defaultdict(list)
        self.errors = defaultdict(int)
        self.notes_made, self.notes_refused = [], []
        self.referrals_made, self.referrals_refused = [], []
        self.saves = defaultdict(lambda: {"applied": 0, "stale": 0})

    def time(self, kind, seconds, status, ok):
        with self.lock:
            self.times[kind].append(seconds)
            if not ok:
                self.errors[f"{kind} {status}"] += 1


def person(base, email, token, clock, tally, run):
    client = httpx.Client(base_url=base, timeout=60, follow_redirects=False)
    api = httpx.Client(base_url=base, timeout=60, headers={"Authorization": f"Bearer {token}"})
    page = client.get("/sign-in").text
    client.post("/sign-in", data={"email": email, "csrf_token": CSRF.search(page).group(1)})
    page = client.get("/sign-in").text
    signed = client.post(
        "/sign-in/password",
        data={"email": email, "password": PASSWORD, "csrf_token": CSRF.search(page).group(1)},
    )
    assert signed.status_code == 302, f"{email} could not sign in: {signed.status_code}"
    board_url = client.get("/board").headers.get("location", "/board")
    board = client.get(board_url).text
    cases = sorted(set(re.findall(r'href="/cases/(\d+)"', board)))
    rng = random.Random(email + run + str(threading.get_ident()))
    clock["ready"].wait()  # everyone signed in (argon2 is slow by design): the clock starts
    deadline = clock["deadline"]
    n = 0
    while time.monotonic() < deadline:
        n += 1
        roll = rng.random()
        started = time.perf_counter()
        if roll < 0.45 or not cases:
            r = client.get(board_url)
            tally.time("board", time.perf_counter() - started, r.status_code, r.status_code == 200)
            continue
        case = rng.choice(cases)
        if roll < 0.70:
            r = client.get(f"/cases/{case}")
            tally.time(
                "case page", time.perf_counter() - started, r.status_code, r.status_code == 200
            )
        elif roll < 0.82:
            html = client.get(f"/cases/{case}").text
            fields = form_fields(html, f"/cases/{case}/notes")
            marker = f"load-{run}-{uuid.uuid4().hex[:12]}"
            fields.update(body=f"Visited the flats today ({marker})", category="incident")
            started = time.perf_counter()
            r = client.post(f"/cases/{case}/notes", data=fields)
            ok = r.status_code == 302
            tally.time("note", time.perf_counter() - started, r.status_code, ok)
            with tally.lock:
                (tally.notes_made if ok else tally.notes_refused).append(marker)
        elif roll < 0.92:
            html = client.get(f"/cases/{case}").text
            fields = form_fields(html, f"/cases/{case}/details")
            if "version" not in fields:
                continue  # this person may read the case but not edit it
            fields["title"] = f"Noise and intimidation, Mill Street flats ({rng.randint(1, 999)})"
            started = time.perf_counter()
            r = client.post(f"/cases/{case}/details", data=fields)
            applied = r.status_code == 302
            stale = r.status_code == 409  # someone saved first: refused, shown what changed
            tally.time("case save", time.perf_counter() - started, r.status_code, applied or stale)
            with tally.lock:
                tally.saves[case]["applied" if applied else "stale"] += 1
        else:
            marker = f"load-{run}-{uuid.uuid4().hex[:12]}"
            r = api.post("/api/v1/referrals", json=payload(summary=f"Noise at night {marker}"))
            ok = r.status_code == 201
            tally.time("API referral", time.perf_counter() - started, r.status_code, ok)
            with tally.lock:
                (tally.referrals_made if ok else tally.referrals_refused).append(marker)
    client.close()
    api.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    run = uuid.uuid4().hex[:6]
    scratch = f"load_{run}"
    if args.database == "sqlite":  # the single-machine default: a scratch file
        admin = None
        url = f"sqlite:///{tempfile.mkdtemp(prefix='load-')}/hub.sqlite3"
    else:
        admin = psycopg.connect(args.database, autocommit=True)
        admin.execute(f"CREATE DATABASE {scratch}")
        url = args.database.rsplit("/", 1)[0] + "/" + scratch
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "RATELIMIT_ENABLED": "false",  # fifty people share one address here
        "SCHEDULER_IN_PROCESS": "false",
        "SECRET_KEY": "load-" + run,
        "AUDIT_CHECKPOINT_FILE": str(ROOT / "instance" / f"load-{run}-checkpoints.jsonl"),
    }
    flask = [str(ROOT / ".venv/bin/flask"), "--app", "wsgi"]
    server = None
    try:
        subprocess.run(
            [*flask, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True
        )
        subprocess.run([*flask, "hub", "demo"], env=env, cwd=ROOT, check=True, capture_output=True)
        token = (
            subprocess.run(
                [*flask, "hub", "token", REFERRER, "--name", "load"],
                env=env,
                cwd=ROOT,
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        with connect(url) as conn:
            versions_before = dict(conn.execute('SELECT id, version FROM "case"').fetchall())
        port = free_port()
        log = open(ROOT / "instance" / f"load-{run}.log", "w")  # noqa: SIM115
        server = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "-w",
                str(args.workers),
                "-k",
                "gthread",
                "--threads",
                str(args.threads),
                "-b",
                f"127.0.0.1:{port}",
                "wsgi:app",
            ],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=log,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(60):
            try:
                if httpx.get(base + "/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(1)
        tally = Tally()
        clock = {}
        clock["ready"] = threading.Barrier(
            args.users,
            action=lambda: clock.update(
                deadline=time.monotonic() + args.seconds, started=time.monotonic()
            ),
        )
        threads = [
            threading.Thread(
                target=person, args=(base, PEOPLE[i % len(PEOPLE)], token, clock, tally, run)
            )
            for i in range(args.users)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - clock["started"]
        print(
            f"{args.users} people, {elapsed:.0f} s, gunicorn {args.workers} workers x "
            f"{args.threads} threads, {url.split(':')[0]}; load average now "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (a shared machine)"
        )
        total = sum(len(v) for v in tally.times.values())
        print(
            f"requests timed: {total} ({total / elapsed:.1f}/s); errors: {dict(tally.errors) or 0}"
        )
        for kind, values in sorted(tally.times.items()):
            ms = sorted(v * 1000 for v in values)
            p = lambda q, ms=ms: ms[min(len(ms) - 1, int(q / 100 * len(ms)))]  # noqa: E731
            print(
                f"  {kind:12} n={len(ms):6}  p50={p(50):7.1f} ms  p95={p(95):7.1f} ms  "
                f"p99={p(99):7.1f} ms  mean={statistics.mean(ms):7.1f} ms"
            )
        problems = account(url, tally, versions_before)
        verify = subprocess.run(
            [*flask, "hub", "audit", "verify"], env=env, cwd=ROOT, capture_output=True, text=True
        )
        print(
            f"hub audit verify (exit {verify.returncode}):", (verify.stdout + verify.stderr).strip()
        )
        if verify.returncode:
            problems.append("the audit chain does not verify")
        print("accounting:", problems or "every record accounted for")
        return 1 if problems or tally.errors else 0
    finally:
        if server:
            server.terminate()
            server.wait(30)
        if admin:
            admin.execute(f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)")
            admin.close()


@contextlib.contextmanager
def connect(url: str):
    """A plain DB-API connection to the run's database (psycopg's %s placeholders on both)."""
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))

        class Plain:
            def execute(self, sql, params=()):
                return conn.execute(sql.replace("%s", "?"), params)

        try:
            yield Plain()
        finally:
            conn.close()
    else:
        with psycopg.connect(url) as conn:
            yield conn


def account(url, tally, versions_before) -> list[str]:
    problems = []
    with connect(url) as conn:

        def count(sql, marker):
            return conn.execute(sql, (f"%({marker})%",)).fetchone()[0]

        notes = {
            m: count("SELECT count(*) FROM case_note WHERE body LIKE %s", m)
            for m in tally.notes_made + tally.notes_refused
        }
        for m in tally.notes_made:
            if notes[m] != 1:
                problems.append(f"note {m} answered as made exists {notes[m]} times")
        for m in tally.notes_refused:
            if notes[m]:
                problems.append(f"note {m} answered as refused exists")
        for m in tally.referrals_made + tally.referrals_refused:
            n = conn.execute(
                "SELECT count(*) FROM referral WHERE summary LIKE %s", (f"%{m}",)
            ).fetchone()[0]
            if n != (1 if m in tally.referrals_made else 0):
                problems.append(f"referral {m} exists {n} times")
        versions = dict(conn.execute('SELECT id, version FROM "case"').fetchall())
        for case, saves in tally.saves.items():
            grew = versions[int(case)] - versions_before[int(case)]
            if grew != saves["applied"]:
                problems.append(
                    f"case {case}: {saves['applied']} saves applied, version grew {grew}"
                )
    print(
        f"notes made {len(tally.notes_made)}, refused {len(tally.notes_refused)}; referrals "
        f"made {len(tally.referrals_made)}, refused {len(tally.referrals_refused)}; case saves "
        f"applied {sum(s['applied'] for s in tally.saves.values())}, refused as stale "
        f"{sum(s['stale'] for s in tally.saves.values())}"
    )
    return problems


if __name__ == "__main__":
    sys.exit(main())
