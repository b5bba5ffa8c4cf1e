"""Browser tests: the hub served on localhost from its own database, driven through Debian's
chromium by Playwright. `playwright install` is never run: it would download a browser."""

import os
import shutil
import threading

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from hub.extensions import db
from tests.conftest import _database, make_app
from tests.support import audit_content

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_server():
    url, options, cleanup = _database("live")
    app = make_app(url, options, WTF_CSRF_SSL_STRICT=False)
    with app.app_context():
        upgrade()
        from tests.support.factories import build_world

        world = build_world()
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield type(
        "Live", (), {"url": f"http://127.0.0.1:{server.server_port}", "world": world, "app": app}
    )
    server.shutdown()
    with app.app_context():
        db.engine.dispose()
    cleanup()


@pytest.fixture(autouse=True)
def _audit_holds_no_personal_data(request):
    """Issue 19, for what the browser did: no audit entry of the live hub holds a personal
    value (the rolled-back tests check theirs in tests/conftest.py)."""
    yield
    if "live_server" not in request.fixturenames:
        return
    live = request.getfixturevalue("live_server")
    with live.app.app_context(), db.engine.connect() as connection:
        leaks = audit_content.violations(connection)
    if leaks:
        pytest.fail("Personal data in the audit log:\n" + "\n".join(leaks[:20]))


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"chromium is required in CI and is missing at {CHROMIUM}")
        pytest.skip(f"no chromium at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()
