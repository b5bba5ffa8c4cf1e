"""Evidence uploaded on a case: real files of each type the hub keeps are stored outside the
web root and come back byte for byte, only through the permission rule, each download
audited; hostile or oversized files are refused with a clear message and nothing is kept."""

import io
import os
import struct
import wave
import zipfile
import zlib
from pathlib import Path

import pytest
from fpdf import FPDF
from PIL import Image
from sqlalchemy import func, select

from hub.core import storage, uploads
from hub.extensions import db
from hub.models import Agency, AuditEntry, Case, Disclosure, Evidence, Hub, RecordRestriction
from tests.conftest import HubClient, count_queries
from tests.support.factories import make_case, make_isa

ALL = ["identity", "incident", "housing", "victim_contact"]

# -- real files of every kind the hub keeps -----------------------------------------------------


def pdf_file() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Noise diary: Flat 3, 12 Mill Street. 21 November, 22:40, door kicked.")
    return bytes(pdf.output())


def image_file(kind: str, size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(out, format=kind)
    return out.getvalue()


def wav_file() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x10" * 8000)  # one second
    return out.getvalue()


def mp3_file() -> bytes:
    """Ten MPEG-1 Layer III frames of silence (128 kbit/s, 44.1 kHz): 417 bytes each, a header
    then zero side information and data, which decoders play as silence."""
    header = bytes([0xFF, 0xFB, 0x90, 0x64])
    return (header + bytes(417 - 4)) * 10


def _ogg_crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def ogg_file() -> bytes:
    """One Ogg page (with its real checksum) holding an Opus identification header."""
    packet = b"OpusHead" + bytes([1, 1]) + struct.pack("<HIhB", 312, 48000, 0, 0)
    page = (
        b"OggS"
        + bytes([0, 2])
        + struct.pack("<qIII", 0, 1, 0, 0)
        + bytes([1, len(packet)])
        + packet
    )
    crc = _ogg_crc(page)
    return page[:22] + struct.pack("<I", crc) + page[26:]


def m4a_file() -> bytes:
    """An MP4 file type box (brand M4A) and an empty media data box: what a phone's voice memo
    begins with."""
    ftyp = b"ftypM4A " + struct.pack(">I", 0) + b"M4A mp42isom"
    ftyp = struct.pack(">I", 8 + len(ftyp) - 4) + ftyp
    mdat = struct.pack(">I", 8 + 64) + b"mdat" + bytes(64)
    return ftyp + mdat


GOOD = {
    "diary.pdf": (pdf_file, "application/pdf"),
    "door.jpg": (lambda: image_file("JPEG"), "image/jpeg"),
    "door.png": (lambda: image_file("PNG"), "image/png"),
    "noise.wav": (wav_file, "audio/wav"),
    "noise.mp3": (mp3_file, "audio/mpeg"),
    "noise.ogg": (ogg_file, "audio/ogg"),
    "memo.m4a": (m4a_file, "audio/mp4"),
}


def zip_bomb() -> bytes:
    """Fifty megabytes of zeros that deflate to some fifty kilobytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("statement.txt", bytes(50 * 1024 * 1024))
    return out.getvalue()


def png_pixel_bomb() -> bytes:
    """A tiny PNG whose header claims 60,000 by 60,000 pixels (10 GB once decoded)."""
    real = image_file("PNG", size=(1, 1))
    ihdr = struct.pack(">II", 60_000, 60_000) + real[24:29]
    crc = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return real[:16] + ihdr + crc + real[33:]


# -- the world ----------------------------------------------------------------------------------


@pytest.fixture
def ev(app, world):
    """CPL-400: council (referrer), housing and police are members and sign an ISA on ALL."""
    with app.app_context():
        hub = db.session.get(Hub, world.hub_id)
        council, police, housing = (
            db.session.get(Agency, world.agency_ids[k]) for k in ("council", "police", "housing")
        )
        make_isa(hub, [council, police, housing], ALL, reference="ISA-EV")
        case = make_case(hub, "CPL-400", council, housing, police, stage="active")
        db.session.commit()
        return case.id


def _as(app, world, who):
    app.test_client_class = HubClient
    client = app.test_client()
    client.sign_in(world.email[who])
    return client


def _upload(client, case_id, name, content, **fields):
    data = {"kind": "diary_sheet", "category": "incident", **fields}
    data["file"] = (io.BytesIO(content), name)
    return client.submit(f"/cases/{case_id}/evidence", data, content_type="multipart/form-data")


def _stored_files(app) -> list[Path]:
    root = Path(app.config["EVIDENCE_DIR"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _count(model, *where) -> int:
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar()


# -- real files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(GOOD))
def test_each_allowed_type_is_kept_and_comes_back_byte_for_byte(app, world, ev, name):
    make, content_type = GOOD[name]
    content = make()
    client = _as(app, world, "spoc")
    response = _upload(client, ev, name, content, description="From the victim's diary")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    [stored] = _stored_files(app)
    # Kept under a key the hub made, outside the web root, never under the partner's name.
    assert name not in str(stored) and stored.read_bytes() == content
    assert Path(app.static_folder).resolve() not in stored.resolve().parents
    with app.app_context():
        item = db.session.execute(select(Evidence)).scalar_one()
        assert (item.filename, item.content_type, item.size_bytes) == (
            name,
            content_type,
            len(content),
        )
    other = _as(app, world, "coordinator")  # police: another member
    page = other.get(f"/cases/{ev}/evidence").get_data(as_text=True)
    assert name in page and "From the victim&#39;s diary" in page
    download = other.get(f"/cases/{ev}/evidence/{item.id}/file")
    assert download.status_code == 200 and download.data == content
    assert download.headers["Content-Type"] == content_type
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download.headers["Content-Security-Policy"]
    with app.app_context():
        downloaded = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "evidence_downloaded")
        ).scalar_one()
        assert downloaded.details["record_id"] == item.id
        assert downloaded.user_id == world.user_id["coordinator"]
        # The council's file read by the police: a disclosure in the register.
        assert _count(
            Disclosure,
            Disclosure.case_id == ev,
            Disclosure.from_agency_id == world.agency_ids["council"],
            Disclosure.to_agency_id == world.agency_ids["police"],
        )
        uploaded = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "evidence_uploaded")
        ).scalar_one()
        assert uploaded.details["length"] == len(content)


# -- hostile and oversized files ----------------------------------------------------------------

HOSTILE = [
    ("photo.jpg", lambda: b"<html><script>alert(1)</script></html>", "a web page or script"),
    ("statement.pdf", lambda: b"MZ\x90\x00" + bytes(200), "a Windows program"),
    ("diary.pdf", zip_bomb, "a ZIP archive"),
    ("evidence.zip", zip_bomb, "a ZIP archive"),
    ("statement.docx", zip_bomb, "a ZIP archive (or a Word or Excel file)"),
    ("door.jpg", lambda: image_file("PNG"), "is a PNG image but its name says otherwise"),
    ("door.png", png_pixel_bomb, "too large an image to open safely"),
    ("../../../etc/cron.d/diary.pdf", pdf_file, "includes a folder path"),
    ("..\\..\\windows\\diary.pdf", pdf_file, "includes a folder path"),
    (".htaccess", lambda: b"Options +ExecCGI", "includes a folder path"),
    ("diary\x1b[2J.pdf", pdf_file, "characters that cannot be shown"),
    ("empty.pdf", lambda: b"", "is empty"),
    ("cut.pdf", lambda: pdf_file()[:400], "an incomplete PDF"),
    ("image.svg", lambda: b'<svg xmlns="http://www.w3.org/2000/svg" onload="x()"/>', "web page"),
]


@pytest.mark.parametrize(("name", "make", "message"), HOSTILE)
def test_a_hostile_file_is_refused_clearly_and_nothing_is_kept(app, world, ev, name, make, message):
    client = _as(app, world, "spoc")
    response = _upload(client, ev, name, make(), description="Kept after a refusal")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and 'id="file-error"' in page
    assert message.replace("'", "&#39;") in page
    assert "Kept after a refusal" in page  # what was typed is kept
    assert _stored_files(app) == []
    with app.app_context():
        assert _count(Evidence) == 0
        assert _count(AuditEntry, AuditEntry.action == "evidence_uploaded") == 0


def test_a_file_over_the_limit_is_refused_with_the_limit_and_nothing_kept(app, world, ev):
    app.config["EVIDENCE_MAX_BYTES"] = 64 * 1024
    try:
        client = _as(app, world, "spoc")
        big = image_file("PNG", size=(400, 400)) + bytes(70 * 1024)
        response = _upload(client, ev, "door.png", big)
        assert response.status_code == 400
        assert "door.png is larger than 64 KB" in response.get_data(as_text=True)
        assert _stored_files(app) == []
    finally:
        app.config["EVIDENCE_MAX_BYTES"] = 20 * 1024 * 1024


def test_a_request_far_over_the_limit_is_refused_before_it_is_read(app, world, ev):
    limit = app.config["EVIDENCE_REQUEST_MAX_BYTES"]
    client = _as(app, world, "spoc")
    response = _upload(client, ev, "huge.wav", bytes(limit + 1))
    assert response.status_code == 413
    assert "limited to 20.2 MB" in response.get_data(as_text=True) or "limited to 20 MB" in (
        response.get_data(as_text=True)
    )
    assert _stored_files(app) == []


def test_no_file_chosen_gets_the_fields_message(app, world, ev):
    client = _as(app, world, "spoc")
    response = client.submit(f"/cases/{ev}/evidence", {"kind": "photo", "category": "incident"})
    assert response.status_code == 400
    assert "Choose a file to upload" in response.get_data(as_text=True)


# -- the permission rule ------------------------------------------------------------------------


def test_restricted_evidence_is_for_the_agencies_named_and_a_denial_is_audited(app, world, ev):
    client = _as(app, world, "spoc")  # council
    response = _upload(
        client,
        ev,
        "diary.pdf",
        pdf_file(),
        sharing="restricted",
        restricted_to=str(world.agency_ids["police"]),
    )
    assert response.status_code == 302
    with app.app_context():
        item = db.session.execute(select(Evidence)).scalar_one()
        assert item.restricted
        assert db.session.execute(select(RecordRestriction.agency_id)).scalars().all() == [
            world.agency_ids["police"]
        ]
    url = f"/cases/{ev}/evidence/{item.id}/file"
    assert _as(app, world, "coordinator").get(url).status_code == 200  # police: named
    housing = _as(app, world, "case_worker")  # a member, not named
    assert "diary.pdf" not in housing.get(f"/cases/{ev}/evidence").get_data(as_text=True)
    denied = housing.get(url)
    missing = housing.get(f"/cases/{ev}/evidence/999999/file")
    assert denied.status_code == missing.status_code == 404
    assert _as(app, world, "other_hub").get(url).status_code == 404  # not in the hub at all
    with app.app_context():
        assert _count(
            AuditEntry,
            AuditEntry.action == "access_denied",
            AuditEntry.target_type == "case_evidence",
            AuditEntry.target_id == str(item.id),
        )
        assert _count(AuditEntry, AuditEntry.action == "evidence_downloaded") == 1


def test_an_agency_without_the_category_neither_sees_nor_downloads(app, world):
    with app.app_context():
        hub = db.session.get(Hub, world.hub_id)
        council, housing = (
            db.session.get(Agency, world.agency_ids[k]) for k in ("council", "housing")
        )
        make_isa(hub, [council], ALL, reference="ISA-C")
        make_isa(hub, [housing], ["identity"], reference="ISA-H")
        case_id = make_case(hub, "CPL-401", council, housing, stage="active").id
        db.session.commit()
    assert _upload(_as(app, world, "spoc"), case_id, "diary.pdf", pdf_file()).status_code == 302
    with app.app_context():
        item_id = db.session.execute(select(Evidence.id)).scalar_one()
    housing_client = _as(app, world, "case_worker")
    assert "diary.pdf" not in housing_client.get(f"/cases/{case_id}/evidence").get_data(
        as_text=True
    )
    assert housing_client.get(f"/cases/{case_id}/evidence/{item_id}/file").status_code == 404
    # Nor may it upload a category its agreement does not cover.
    refused = _upload(housing_client, case_id, "diary.pdf", pdf_file())
    assert refused.status_code == 400 and "do not cover this category" in refused.get_data(
        as_text=True
    )


def test_evidence_of_another_case_is_not_reached_through_this_one(app, world, ev):
    with app.app_context():
        hub = db.session.get(Hub, world.hub_id)
        council = db.session.get(Agency, world.agency_ids["council"])
        other = make_case(hub, "CPL-402", council, stage="active").id
        db.session.commit()
    client = _as(app, world, "spoc")
    assert _upload(client, other, "diary.pdf", pdf_file()).status_code == 302
    with app.app_context():
        item_id = db.session.execute(select(Evidence.id)).scalar_one()
    assert client.get(f"/cases/{ev}/evidence/{item_id}/file").status_code == 404
    assert client.get(f"/cases/{other}/evidence/{item_id}/file").status_code == 200


def test_a_file_altered_in_the_store_is_never_served(app, world, ev):
    client = _as(app, world, "spoc")
    assert _upload(client, ev, "diary.pdf", pdf_file()).status_code == 302
    [stored] = _stored_files(app)
    stored.write_bytes(b"%PDF-1.4 something else %%EOF")
    with app.app_context():
        item_id = db.session.execute(select(Evidence.id)).scalar_one()
    assert client.get(f"/cases/{ev}/evidence/{item_id}/file").status_code == 404


def test_a_closed_case_takes_no_evidence(app, world, ev):
    with app.app_context():
        db.session.get(Case, ev).stage = "closed"
        db.session.commit()
    response = _upload(_as(app, world, "spoc"), ev, "diary.pdf", pdf_file())
    assert response.status_code == 400 and "takes no new evidence" in response.get_data(
        as_text=True
    )
    assert _stored_files(app) == []


def test_the_tab_costs_the_same_queries_for_one_file_as_for_five(app, world, ev):
    client = _as(app, world, "spoc")

    def tab_queries() -> int:
        with app.app_context(), count_queries(db.engine) as statements:
            assert client.get(f"/cases/{ev}/evidence").status_code == 200
        return len(statements)

    _upload(client, ev, "door.png", image_file("PNG"))
    one = tab_queries()
    for i in range(4):
        _upload(client, ev, f"door{i}.png", image_file("PNG", size=(10 + i, 10)))
    assert tab_queries() == one


# -- the store ------------------------------------------------------------------------------------


def test_the_store_takes_only_its_own_keys(tmp_path):
    store = storage.DirectoryStore(tmp_path)
    key = store.put(b"content")
    assert store.get(key) == b"content"
    assert oct(os.stat(store._path(key)).st_mode & 0o777) == "0o600"
    for forged in ("../../etc/passwd", key[:-1] + "/", "A" * 32, ""):
        with pytest.raises(KeyError):
            store.get(forged)
    store.delete(key)
    with pytest.raises(FileNotFoundError):
        store.get(key)


def test_the_store_refuses_a_folder_inside_the_web_root(app, tmp_path):
    with pytest.raises(RuntimeError, match="inside the web root"):
        storage.check_outside_web_root(Path(app.static_folder) / "evidence", app.static_folder)
    storage.check_outside_web_root(tmp_path, app.static_folder)


def test_a_jpeg_claiming_too_many_pixels_is_refused():
    real = image_file("JPEG", size=(8, 8))
    i = real.index(b"\xff\xc0")  # the frame header: height and width at +5
    bomb = real[: i + 5] + struct.pack(">HH", 65_000, 65_000) + real[i + 9 :]
    with pytest.raises(uploads.UploadRefused, match="too large an image"):
        uploads.check("photo.jpg", bomb, max_bytes=10**6)
    assert uploads.check("photo.jpg", real, max_bytes=10**6).key == "jpeg"
