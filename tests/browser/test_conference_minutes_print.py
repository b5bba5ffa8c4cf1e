"""The printed minutes in Debian's chromium: a real A4 PDF with the marking, "Page N of M" and
the reader on every page, filtered for its reader (a housing officer sees the case its agency
is on, and only references for the others)."""

import re
from datetime import datetime
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from hub.core.timeutil import LONDON
from hub.extensions import db
from hub.models import Agency, Hub, User
from tests.browser.pdf_text import pages_text
from tests.support.factories import PASSWORD, make_case
from tests.support.meeting_data import (
    NOT_SHOWN,
    RESTRICTED,
    SECRETS_A,
    SECRETS_B,
    SECRETS_REFERRAL,
    build_meeting,
    decide,
    put_on_agenda,
)

EXTRA_ITEMS = 24  # enough for several A4 pages


@pytest.fixture(scope="module")
def printed_meeting(live_server):
    w = live_server.world
    with live_server.app.app_context():
        m = build_meeting(w, starts_at=datetime(2026, 12, 2, 10, 0, tzinfo=LONDON))
        housing = db.session.get(Agency, w.agency_ids["housing"])
        police = db.session.get(Agency, w.agency_ids["police"])
        chair = db.session.get(User, w.user_id["coordinator"])
        hub = db.session.get(Hub, w.hub_id)
        for n in range(EXTRA_ITEMS):
            # Alternately a case the housing officer's agency is on, and one it is not.
            members = (housing,) if n % 2 == 0 else (police,)
            case = make_case(hub, f"CPL-PRINT-{n:02d}", *members, title=f"Print case {n:02d}")
            item = put_on_agenda(m.conference, 10 + n, case=case)
            decide(item, "next_review", f"Agreed review number {n} in six weeks' time", chair)
            visit = f"Visit the address on case {n:02d} with the housing officer"
            decide(item, "action", visit, chair)
        db.session.commit()
        conference_id = m.conference.id
        db.session.remove()
    return SimpleNamespace(conference_id=conference_id)


def sign_in(page, base: str, email: str) -> None:
    page.goto(base + "/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Continue").click()  # the email first
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/", timeout=60_000)  # argon2 on a busy machine can be slow


def _squash(text: str) -> str:
    """PDF text has no reliable spaces or line breaks: compare without any."""
    return re.sub(r"\s+", "", text)


def test_printed_minutes_are_a4_numbered_marked_and_filtered(live_server, printed_meeting, page):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    base, w = live_server.url, live_server.world
    sign_in(page, base, w.email["case_worker"])
    page.goto(f"{base}/conferences/{printed_meeting.conference_id}/minutes/print")
    page.emulate_media(media="print")
    body = page.locator("body")
    expect(body).to_contain_text(NOT_SHOWN)
    expect(body).to_contain_text(SECRETS_B[2])  # housing is on case B
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    expect(page.get_by_test_id("print-footer")).to_contain_text("Printed for Worker, Home Group")
    shown = body.inner_text()
    for secret in SECRETS_A + SECRETS_REFERRAL + (RESTRICTED, "Print case 01", "case 01 with"):
        assert secret not in shown

    pdf = page.pdf(prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF")
    assert re.search(rb"/MediaBox \[0 0 59[45]\.\d+ 84[12]\.\d+\]", pdf)  # A4 in points
    pages = pages_text(pdf)
    total = len(pages)
    assert total >= 2
    for number, text in enumerate(pages, start=1):
        squashed = _squash(text)
        assert _squash(f"Page {number} of {total}") in squashed, (number, text[:200])
        assert "OFFICIAL-SENSITIVE" in squashed
        assert _squash("Printed for Worker, Home Group") in squashed
    everything = _squash("".join(pages))
    assert _squash(NOT_SHOWN) in everything and _squash(SECRETS_B[2]) in everything
    for secret in SECRETS_A + SECRETS_REFERRAL + (RESTRICTED, "Print case 01", "case 01 with"):
        assert _squash(secret) not in everything, secret
    # No agenda item is split across two pages.
    for n in range(0, EXTRA_ITEMS, 2):
        holding = [i for i, text in enumerate(pages) if f"CPL-PRINT-{n:02d}" in _squash(text)]
        assert len(holding) == 1, (n, holding)
        assert _squash(f"Visit the address on case {n:02d} with") in _squash(pages[holding[0]])
    assert errors == [], errors
