"""A council officer works a case after it opened, in Debian's chromium: logs an incident,
uploads a diary sheet, makes a letter and prints it on A4; the tab passes axe, and a refused
file shows its reason in the error summary."""

import re
from types import SimpleNamespace

import pytest
from axe_playwright_python.sync_playwright import Axe
from fpdf import FPDF
from playwright.sync_api import expect

from hub.extensions import db
from hub.models import Agency, Hub
from tests.browser.pdf_text import pages_text
from tests.support.factories import PASSWORD, make_case, make_isa


@pytest.fixture(scope="module")
def records_case(live_server):
    w = live_server.world
    with live_server.app.app_context():
        hub = db.session.get(Hub, w.hub_id)
        council, police = (db.session.get(Agency, w.agency_ids[k]) for k in ("council", "police"))
        make_isa(hub, [council, police], ["identity", "incident"], reference="ISA-BR")
        case = make_case(hub, "CPL-BR-1", council, police, stage="active")
        db.session.commit()
        case_id = case.id
        db.session.remove()
    return SimpleNamespace(id=case_id)


def sign_in(page, base: str, email: str) -> None:
    page.goto(base + "/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/", timeout=60_000)


def _pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Diary: 21 November, 22:40, door kicked at Flat 3.")
    return bytes(pdf.output())


def test_an_officer_logs_uploads_and_prints_a_letter(live_server, records_case, page, tmp_path):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    base, w = live_server.url, live_server.world
    sign_in(page, base, w.email["spoc"])
    case_url = f"{base}/cases/{records_case.id}"

    page.goto(case_url + "/referrals")
    page.get_by_text("Log a new incident").click()
    page.get_by_label("Date it happened").fill("2026-11-21")
    page.get_by_label("What happened").fill("Door of Flat 3 kicked; threats shouted.")
    page.get_by_label("Where it happened").fill("Flat 3, 12 Mill Street")
    page.get_by_label("Reported by").fill("The tenant")
    page.get_by_role("button", name="Log the incident").click()
    expect(page.get_by_test_id("case-incidents")).to_contain_text("Door of Flat 3 kicked")

    page.goto(case_url + "/evidence")
    # A program behind a .pdf: refused, with the reason in the error summary.
    fake = tmp_path / "statement.pdf"
    fake.write_bytes(b"MZ\x90\x00" + bytes(100))
    page.get_by_label("File", exact=True).set_input_files(str(fake))
    page.get_by_label("What it is").select_option("witness_statement")
    page.get_by_role("button", name="Upload").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("a Windows program")

    diary = tmp_path / "diary.pdf"
    diary.write_bytes(_pdf())
    page.get_by_label("File", exact=True).set_input_files(str(diary))
    page.get_by_label("What it is").select_option("diary_sheet")
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_test_id("evidence-list")).to_contain_text("diary.pdf")
    with page.expect_download() as download:
        page.get_by_role("link", name="diary.pdf").click()
    assert download.value.path().read_bytes() == diary.read_bytes()

    results = Axe().run(page)
    serious = [
        v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], results.generate_report()

    page.get_by_text("Write a letter from a template").click()
    page.get_by_label("Letter", exact=True).select_option("acknowledgement")
    page.get_by_label("To", exact=True).fill("Mr William Hartley")
    page.get_by_label("Their address").fill("Flat 3, 12 Mill Street\nWhitehaven")
    page.get_by_role("button", name="Make the letter").click()
    expect(page.get_by_test_id("letter")).to_contain_text("case CPL-BR-1")
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    pdf = page.pdf(prefer_css_page_size=True)
    assert re.search(rb"/MediaBox \[0 0 59[45]\.\d+ 84[12]\.\d+\]", pdf)  # A4 in points
    text = re.sub(r"\s+", "", "".join(pages_text(pdf)))
    assert "MrWilliamHartley" in text and "CPL-BR-1" in text
    # The refused upload's page comes with its 400, which the console reports; nothing else.
    assert [e for e in errors if "status of 400" not in e] == [], errors
    assert len(errors) == 1
