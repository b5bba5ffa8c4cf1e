"""Sign-in rate limits: shared through Redis by every gunicorn worker, and counted per client
behind a trusted proxy (issue 21: behind a proxy everyone shared one limit)."""

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from flask_migrate import upgrade

from hub.extensions import db, limiter
from tests.conftest import _database, make_app

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")


def _redis_answers() -> bool:
    host, port = REDIS_URL.removeprefix("redis://").split("/")[0].split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_url():
    if not _redis_answers():
        if os.environ.get("CI"):
            pytest.fail(f"Redis is required in CI and does not answer at {REDIS_URL}")
        pytest.skip(f"no Redis at {REDIS_URL}")
    return REDIS_URL


@pytest.mark.own_database
def test_two_gunicorn_workers_share_one_sign_in_limit_through_redis(tmp_path, redis_url):
    database = f"sqlite:///{tmp_path}/hub.sqlite3"
    app = make_app(database, {})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    port = _free_port()
    env = {
        **os.environ,
        "HUB_ENV": "production",
        "SECRET_KEY": "rate-limit-test-secret",
        "DATABASE_URL": database,
        "RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_KEY_PREFIX": f"focus-hub-test-{uuid.uuid4().hex}",
        "SIGN_IN_RATE_LIMIT": "5 per minute",
        "SCHEDULER_IN_PROCESS": "false",
        "SESSION_COOKIE_SECURE": "false",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "tests.accounts.gunicorn_app:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        workers_up = set()
        while len(workers_up) < 2 and time.monotonic() < deadline:
            try:
                workers_up.add(requests.get(url + "/healthz", timeout=10).headers["X-Worker"])
            except requests.RequestException:
                time.sleep(0.2)
        assert time.monotonic() < deadline, "gunicorn did not start"

        # A real attempt carries the form's CSRF token (its cookie is good at either worker).
        form = requests.get(url + "/sign-in", timeout=30)
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)

        def attempt(_):
            # A new connection each time, so either worker may take it.
            response = requests.post(
                url + "/sign-in/password",
                data={"email": "someone@example.org", "password": "guess", "csrf_token": token},
                cookies=form.cookies,
                headers={"Connection": "close"},
                timeout=60,
            )
            return response.status_code, response.headers["X-Worker"]

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(attempt, range(30)))
    finally:
        server.terminate()
        server.wait(timeout=20)
    statuses = [status for status, _ in results]
    workers = {worker for _, worker in results}
    assert len(workers) == 2, "both workers should have answered"
    # Five attempts a minute in all: the workers count together, not five each.
    assert len([s for s in statuses if s != 429]) == 5, statuses
    assert statuses.count(429) == 25


@pytest.fixture
def behind_proxy():
    url, options, cleanup = _database("proxy")
    app = make_app(
        url,
        options,
        TRUSTED_PROXIES=1,
        SIGN_IN_RATE_LIMIT="3 per minute",
        RATELIMIT_KEY_PREFIX=f"proxy-{uuid.uuid4().hex}",
    )
    with app.app_context():
        upgrade()
        limiter.reset()
    yield app
    with app.app_context():
        limiter.reset()
        db.engine.dispose()
    cleanup()


def _attempts(app, forwarded_for: str, n: int) -> list[int]:
    client = app.test_client()
    headers = {"X-Forwarded-For": forwarded_for}
    form = client.get("/sign-in", headers=headers).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    data = {"email": "someone@example.org", "password": "guess", "csrf_token": token}
    return [
        client.post("/sign-in/password", data=data, headers=headers).status_code for _ in range(n)
    ]


@pytest.mark.own_database
def test_behind_a_trusted_proxy_each_client_has_its_own_limit(behind_proxy):
    assert _attempts(behind_proxy, "198.51.100.7", 4)[-1] == 429
    assert _attempts(behind_proxy, "203.0.113.9", 3).count(429) == 0


def test_without_a_trusted_proxy_a_forged_header_does_not_escape_the_limit(
    app, client, monkeypatch
):
    monkeypatch.setitem(app.config, "SIGN_IN_RATE_LIMIT", "3 per minute")
    limiter.reset()
    data = {"email": "someone@example.org", "password": "guess", "csrf_token": client.csrf_token()}
    statuses = [
        client.post(
            "/sign-in/password", data=data, headers={"X-Forwarded-For": f"192.0.2.{i}"}
        ).status_code
        for i in range(4)
    ]
    limiter.reset()
    assert statuses[-1] == 429
