# ruff: noqa: S603 - runs our own flask and gunicorn with arguments made here
"""Load (issue 17): gunicorn with several workers on PostgreSQL, N concurrent people doing a
mixed day's work from a second process on loopback, then an account of every record.

Run: .venv/bin/python bench/load_mixed.py [--users 50] [--seconds 300] [--workers 4]
         [--think 1-3] [--database postgresql://postgres@127.0.0.1:5432/postgres | sqlite]

Sets up a scratch database on that server (dropped afterwards) or a scratch SQLite file, the
demo hub in it (the chair confirms its urgent conference for today and opens it), and gunicorn
(gthread workers) on a free port. Each simulated person signs in once, then loops, pausing
--think seconds (1-3 by default, as a person reads the page) before each action:
  40% the planner board · 22% a case page · 5% the conference, as a partner following it
  12% a note on a case (form token: sent once) · 10% a case's details saved (version check:
  applied or refused as stale) · 10% a referral sent through the API · 1% a referral through
  the web flow, page by page, as a person fills it in (eight pages, each fetched then posted)
  30% of the chair's turns (one coordinator chairs the conference): a decision recorded on the
  live page (the conference's version check: recorded or refused as stale).
Afterwards it checks that each note, referral and decision that was answered as made exists
exactly once and none that was refused exists, that each case's version grew by exactly the
saves answered as applied, and that `flask hub audit verify` passes. Prints errors, request
counts and latency percentiles per kind. Nothing here is asserted by the test suite: it
measures.
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
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

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
CHAIR = PEOPLE[0]  # the police coordinator chairs the demo hub's urgent conference


class FormReader(HTMLParser):
    """The fields of the form whose action ends with `suffix`, as a browser would send them."""

    def __init__(self, suffix: str, form_id: str | None = None):
        super().__init__()
        self.suffix, self.form_id, self.inside, self.fields, self.select = (
            suffix,
            form_id,
            False,
            {},
            None,
        )

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = (a.get("action") or "").endswith(self.suffix) and (
                self.form_id is None or a.get("id") == self.form_id
            )
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


def form_fields(html: str, suffix: str, form_id: str | None = None) -> dict:
    reader = FormReader(suffix, form_id)
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
        self.decisions_made, self.decisions_stale = 0, 0
        self.decided_cases = defaultdict(int)  # a decision on a case is a write to it too
        self.saves = defaultdict(lambda: {"applied": 0, "stale": 0})

    def time(self, kind, seconds, status, ok):
        with self.lock:
            self.times[kind].append(seconds)
            if not ok:
                self.errors[f"{kind} {status}"] += 1


def sign_in(base, email) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60, follow_redirects=False)
    page = client.get("/sign-in").text
    client.post("/sign-in", data={"email": email, "csrf_token": CSRF.search(page).group(1)})
    page = client.get("/sign-in").text
    signed = client.post(
        "/sign-in/password",
        data={"email": email, "password": PASSWORD, "csrf_token": CSRF.search(page).group(1)},
    )
    assert signed.status_code == 302, f"{email} could not sign in: {signed.status_code}"
    return client


def person(base, email, token, clock, tally, run):
    client = sign_in(base, email)
    api = httpx.Client(base_url=base, timeout=60, headers={"Authorization": f"Bearer {token}"})
    board_url = client.get("/board").headers.get("location", "/board")
    board = client.get(board_url).text
    cases = sorted(set(re.findall(r'href="/cases/(\d+)"', board)))
    rng = random.Random(email + run + str(threading.get_ident()))
    conference = clock["conference"]
    chair = email == CHAIR and threading.current_thread().name == "chair"
    clock["ready"].wait()  # everyone signed in (argon2 is slow by design): the clock starts
    deadline = clock["deadline"]
    while time.monotonic() < deadline:
        if clock["think"]:  # a person reads the page before the next click
            time.sleep(rng.uniform(*clock["think"]))
        try:
            act(client, api, cases, board_url, conference, chair, rng, tally, run)
        except httpx.TransportError as exc:  # no answer at all: counted, and the person goes on
            with tally.lock:
                tally.errors[f"no answer ({type(exc).__name__})"] += 1
    client.close()
    api.close()


def act(client, api, cases, board_url, conference, chair, rng, tally, run) -> None:
    """One action of a person's day, chosen by a roll of the dice."""
    roll = rng.random()
    started = time.perf_counter()
    if chair and roll < 0.30:
        decide(client, conference, rng, tally)
        return
    if roll < 0.40 or not cases:
        r = client.get(board_url)
        tally.time("board", time.perf_counter() - started, r.status_code, r.status_code == 200)
        return
    if roll < 0.45:
        r = client.get(f"/conferences/{conference['id']}")
        tally.time("conference", time.perf_counter() - started, r.status_code, r.status_code == 200)
        return
    case = rng.choice(cases)
    if roll < 0.67:
        r = client.get(f"/cases/{case}")
        tally.time("case page", time.perf_counter() - started, r.status_code, r.status_code == 200)
    elif roll < 0.79:
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
    elif roll < 0.89:
        html = client.get(f"/cases/{case}").text
        fields = form_fields(html, f"/cases/{case}/details")
        if "version" not in fields:
            return  # this person may read the case but not edit it
        # Always a new title: a save that changes nothing is not a new version.
        fields["title"] = f"Noise and intimidation, Mill Street flats ({uuid.uuid4().hex[:8]})"
        started = time.perf_counter()
        r = client.post(f"/cases/{case}/details", data=fields)
        applied = r.status_code == 302
        stale = r.status_code == 409  # someone saved first: refused, shown what changed
        tally.time("case save", time.perf_counter() - started, r.status_code, applied or stale)
        with tally.lock:
            tally.saves[case]["applied" if applied else "stale"] += 1
    elif roll < 0.99:
        marker = f"load-{run}-{uuid.uuid4().hex[:12]}"
        r = api.post("/api/v1/referrals", json=payload(summary=f"Noise at night {marker}"))
        ok = r.status_code == 201
        tally.time("API referral", time.perf_counter() - started, r.status_code, ok)
        with tally.lock:
            (tally.referrals_made if ok else tally.referrals_refused).append(marker)
    else:
        refer_through_the_web(client, f"load-{run}-{uuid.uuid4().hex[:12]}", tally)


RISK_YES = ("targeted", "repeat", "fear_for_safety", "routine_affected")


def refer_through_the_web(client, marker, tally) -> None:
    """The question flow as a person fills it in: each page read, then its answers sent."""

    def step(path, answers, page=None, kind="web referral page"):
        started = time.perf_counter()
        html = client.get(page or path).text
        tally.time(kind, time.perf_counter() - started, 200, True)
        started = time.perf_counter()
        r = client.post(path, data={**answers, "csrf_token": CSRF.search(html).group(1)})
        ok = r.status_code == 302
        tally.time(kind, time.perf_counter() - started, r.status_code, ok)
        return r if ok else None

    r = step("/referrals/new", {"hub": "copeland", "about": "person", "category": "personal"})
    if r is None:
        with tally.lock:
            tally.referrals_refused.append(marker)
        return
    rid = re.search(r"/referrals/(\d+)/", r.headers["location"]).group(1)
    answers = [
        (
            "what",
            {
                "summary": f"Youths at the door at night {marker}",
                "description": "Youths gather outside his flat and bang on the door at night.",
                "first_incident_on-day": "1",
                "first_incident_on-month": "8",
                "first_incident_on-year": "2026",
                "incident_count": "12",
            },
        ),
        ("where", {"address": "Flat 3, 12 Mill Street, Whitehaven", "postcode": "CA28 7XY"}),
        ("people", {"action": "add", "role": "victim", "name": "William Hartley"}),
        ("people", {"action": "continue"}),
        ("consent", {"consent_given": "no", "consent_reason": "risk of harm"}),
        ("risk", {f"risk-{k}": "yes" for k in RISK_YES}),
    ]
    for name, data in answers:
        if step(f"/referrals/{rid}/{name}", data) is None:
            with tally.lock:
                tally.referrals_refused.append(marker)
            return
    started = time.perf_counter()
    html = client.get(f"/referrals/{rid}/check").text
    tally.time("web referral page", time.perf_counter() - started, 200, True)
    token = re.search(r'name="form_token" value="([^"]+)"', html).group(1)
    started = time.perf_counter()
    r = client.post(
        f"/referrals/{rid}/check",
        data={"form_token": token, "csrf_token": CSRF.search(html).group(1)},
    )
    ok = r.status_code == 302 and "confirmation=1" in r.headers.get("location", "")
    tally.time("web referral sent", time.perf_counter() - started, r.status_code, ok)
    with tally.lock:
        (tally.referrals_made if ok else tally.referrals_refused).append(marker)


def decide(client, conference, rng, tally) -> None:
    """The chair sets an item's next review date on the live page."""
    item = rng.choice(conference["items"])
    live = f"/conferences/{conference['id']}/live"
    started = time.perf_counter()
    html = client.get(f"{live}?item={item}").text
    tally.time("live page", time.perf_counter() - started, 200, True)
    fields = form_fields(html, f"/items/{item}/decisions", form_id="next_review-form")
    # Always a new date: setting the date the case already has changes nothing.
    conference["decided"] = conference.get("decided", 0) + 1
    review_on = date(2027, 1, 4) + timedelta(days=conference["decided"])
    fields.update(kind="next_review", review_on=review_on.isoformat())
    started = time.perf_counter()
    r = client.post(f"{live}/items/{item}/decisions", data=fields)
    recorded = r.status_code == 302  # back to the item, saying what was recorded
    stale = r.status_code == 409
    tally.time("decision", time.perf_counter() - started, r.status_code, recorded or stale)
    with tally.lock:
        if recorded:
            tally.decisions_made += 1
            tally.decided_cases[conference["case_of"][item]] += 1
        elif stale:
            tally.decisions_stale += 1


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
    # Seconds each person pauses between actions, reading what came back (like locust's
    # wait_time). "0" runs them back to back: a saturation test, not a day's work.
    parser.add_argument("--think", default="1-3")
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
            conference = urgent_conference(conn)
        port = free_port()
        log = open(ROOT / "instance" / f"load-{run}.log", "w")  # noqa: SIM115
        server = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "-w",
                str(args.workers),
                "-k",
                "gthread",
                # People pause up to a few seconds between clicks: keep their connections
                # open longer than that, as a proxy's pooled connections to gunicorn are.
                "--keep-alive",
                "10",
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
        start_conference(base, conference)
        tally = Tally()
        low, _, high = args.think.partition("-")
        think = (float(low), float(high or low)) if float(low) or float(high or 0) else None
        clock = {"conference": conference, "think": think}
        clock["ready"] = threading.Barrier(
            args.users,
            action=lambda: clock.update(
                deadline=time.monotonic() + args.seconds, started=time.monotonic()
            ),
        )
        threads = [
            threading.Thread(
                target=person,
                args=(base, PEOPLE[i % len(PEOPLE)], token, clock, tally, run),
                name="chair" if i == 0 else f"person-{i}",
            )
            for i in range(args.users)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - clock["started"]
        print(
            f"{args.users} people (pausing {args.think} s between actions), {elapsed:.0f} s, "
            f"gunicorn {args.workers} workers x "
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
                f"  {kind:17} n={len(ms):6}  p50={p(50):7.1f} ms  p95={p(95):7.1f} ms  "
                f"p99={p(99):7.1f} ms  mean={statistics.mean(ms):7.1f} ms"
            )
        problems = account(url, tally, versions_before, conference)
        verify = subprocess.run(
            [*flask, "hub", "audit", "verify"], env=env, cwd=ROOT, capture_output=True, text=True
        )
        print(
            f"hub audit verify (exit {verify.returncode}):", (verify.stdout + verify.stderr).strip()
        )
        if verify.returncode:
            problems.append("the audit chain does not verify")
        # The server's own count, which also sees a request the mix did not time (the page
        # fetched before a form is sent): a 500 there once showed only as the form's 400.
        server_errors = len(
            re.findall(r'"status": 5\d\d', (ROOT / "instance" / f"load-{run}.log").read_text())
        )
        print(f"5xx answers in the server's request log: {server_errors}")
        if server_errors:
            problems.append(f"{server_errors} requests answered 5xx")
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


def urgent_conference(conn) -> dict:
    """The demo's proposed urgent conference and its cases' agenda items."""
    conference_id = conn.execute(
        "SELECT id FROM conference WHERE kind = 'urgent' ORDER BY id LIMIT 1"
    ).fetchone()[0]
    items = dict(
        conn.execute(
            "SELECT id, case_id FROM agenda_item WHERE conference_id = %s AND case_id IS NOT NULL",
            (conference_id,),
        ).fetchall()
    )
    return {"id": conference_id, "items": sorted(items), "case_of": items}


def start_conference(base, conference) -> None:
    """The chair confirms the urgent conference for later today and opens it (once, before the
    clock starts), as a coordinator would on the day."""
    client = sign_in(base, CHAIR)
    page = f"/conferences/{conference['id']}"
    fields = form_fields(client.get(f"{page}/urgent").text, f"{page}/urgent/confirm")
    later = datetime.now(ZoneInfo("Europe/London")) + timedelta(minutes=10)
    fields.update(day=later.date().isoformat(), time=later.strftime("%H:%M"))
    r = client.post(f"{page}/urgent/confirm", data=fields)
    assert r.status_code == 302, f"the chair could not confirm the conference: {r.status_code}"
    live = f"/conferences/{conference['id']}/live"
    fields = form_fields(client.get(live).text, f"{live}/start")
    r = client.post(f"{live}/start", data=fields)
    assert r.status_code == 302, f"the chair could not start the conference: {r.status_code}"
    client.close()


def account(url, tally, versions_before, conference) -> list[str]:
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
                "SELECT count(*) FROM referral WHERE summary LIKE %s AND status <> 'draft'",
                (f"%{m}",),
            ).fetchone()[0]
            if n != (1 if m in tally.referrals_made else 0):
                problems.append(f"referral {m} exists {n} times")
        decisions = conn.execute(
            "SELECT count(*) FROM conference_decision WHERE conference_id = %s AND kind = %s",
            (conference["id"], "next_review"),
        ).fetchone()[0]
        if decisions != tally.decisions_made:
            problems.append(f"{tally.decisions_made} decisions recorded, {decisions} exist")
        versions = dict(conn.execute('SELECT id, version FROM "case"').fetchall())
        for case in {int(c) for c in tally.saves} | set(tally.decided_cases):
            applied = tally.saves[str(case)]["applied"] + tally.decided_cases[case]
            grew = versions[case] - versions_before[case]
            if grew != applied:
                problems.append(
                    f"case {case}: {applied} saves and decisions applied, version grew {grew}"
                )
    print(
        f"notes made {len(tally.notes_made)}, refused {len(tally.notes_refused)}; referrals "
        f"made {len(tally.referrals_made)}, refused {len(tally.referrals_refused)}; case saves "
        f"applied {sum(s['applied'] for s in tally.saves.values())}, refused as stale "
        f"{sum(s['stale'] for s in tally.saves.values())}; decisions recorded "
        f"{tally.decisions_made}, refused as stale {tally.decisions_stale}"
    )
    return problems


if __name__ == "__main__":
    sys.exit(main())
