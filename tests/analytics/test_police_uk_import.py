"""Importing police.uk street files: a real month, duplicates, bad rows, malformed files (refused
with line and column, nothing written), the command line and the web upload run by the
scheduler's job."""

import csv

import pytest
from sqlalchemy import func, select

from hub.analytics import area, police_uk
from hub.analytics.police_uk import SourceFile
from hub.extensions import db
from hub.models import ContextIncident, ImportStatus, PoliceUkImport
from tests.analytics.conftest import ASB_ROW, DATA, street_file


def _import(hub, *files, all_crimes=False):
    job = police_uk.start(hub, source="command", all_crimes=all_crimes)
    sources = [
        f if isinstance(f, SourceFile) else SourceFile(f"f{i}.csv", f) for i, f in enumerate(files)
    ]
    return police_uk.run(job, sources, lambda _job: db.session.flush())


def _held(hub) -> int:
    return db.session.execute(
        select(func.count()).select_from(ContextIncident).where(ContextIncident.hub_id == hub.id)
    ).scalar_one()


@pytest.fixture
def city(hub):
    area.set_places(hub, ["City of London"])
    return hub


def test_a_whole_real_month_is_imported_as_counted_by_hand(city):
    path = DATA / "2017-02-city-of-london-street.csv"
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    asb = [r for r in rows if r["Crime type"] == "Anti-social behaviour"]
    inside = [r for r in asb if r["LSOA name"].startswith("City of London ") and r["Longitude"]]
    job = _import(city, SourceFile.from_path(path))
    assert job.status == ImportStatus.DONE
    assert job.rows_done == len(rows) == 597
    assert job.added == len(inside) == 137
    assert job.skipped["not_asb"] == len(rows) - len(asb)
    assert job.skipped["outside_area"] == len(asb) - len(inside)
    assert sum(job.skipped.values()) + job.added == len(rows)
    assert _held(city) == 137
    # Every stored row is placed in the same ~50 m cell repeat matching uses.
    one = db.session.execute(select(ContextIncident).limit(1)).scalar_one()
    from referrals.normalise import grid_cell

    assert one.cell == grid_cell(one.lat, one.lon)
    assert one.month.isoformat() == "2017-02-01" and one.is_asb


def test_importing_again_or_overlapping_adds_nothing(city):
    month = SourceFile.from_path(DATA / "2017-03-city-of-london-street.csv")
    first = _import(city, month)
    again = _import(city, month, month)  # the same file twice in one import, and again
    assert first.added == 169
    assert again.added == 0
    assert again.skipped["already_imported"] == 2 * 169
    assert _held(city) == 169


def test_identical_asb_rows_are_separate_incidents_with_stable_keys(city):
    file = street_file(ASB_ROW, ASB_ROW, ASB_ROW)
    assert _import(city, file).added == 3
    assert _import(city, file).added == 0
    # A later copy of the month with one more identical row adds just that one.
    assert _import(city, street_file(ASB_ROW, ASB_ROW, ASB_ROW, ASB_ROW)).added == 1


def test_bad_rows_are_skipped_with_their_reason(city):
    crime = "abc123,2017-02,P,P,-0.09,51.51,On or near X,E01000001,City of London 001A,Burglary,,"
    file = street_file(
        ASB_ROW,
        ASB_ROW.replace(",2017-02,", ",,"),  # no month
        ASB_ROW.replace(",2017-02,", ",Feb 2017,"),  # not a month
        ASB_ROW.replace("-0.082722,51.518029", ","),  # no location
        ASB_ROW.replace("-0.082722", "east"),  # not a number
        ASB_ROW.replace("51.518029", "91.5"),  # impossible
        ASB_ROW.replace("City of London 001F", "Camden 028B").replace("E01032739", "E01000914"),
        crime,
    )
    job = _import(city, file)
    assert job.added == 1
    assert job.skipped == {
        "no_month": 2,
        "bad_coordinates": 3,
        "outside_area": 1,
        "not_asb": 1,
        "already_imported": 0,
    }
    assert _import(city, file, all_crimes=True).added == 1  # the burglary, kept on request


@pytest.mark.parametrize(
    ("content", "where", "problem"),
    [
        # The 13th field starts after the row's 155 characters and a comma.
        (street_file(ASB_ROW, ASB_ROW + ",extra"), "line 3, column 157", "found 13"),
        # Three fields: the fourth was due just after the line's end.
        (street_file(ASB_ROW, "a,b,c"), "line 3, column 6", "expected 12 fields, found 3"),
        (b"Month,Crime type\n2017-02,x\n", "line 1, column 1", "lacks police.uk's columns"),
        (
            street_file(ASB_ROW, ',2017-02,"City of London Police'),
            "line 3, column 10",
            "never closed",
        ),
        (street_file(ASB_ROW, ',2017-02,"City"x,P,1,2,L,E,N,T,,'), "line 3, column 16", "comma"),
        (street_file(ASB_ROW) + b"\xff\xfe,2017", "line 3, column 1", "not UTF-8"),
        (b"", "line 1, column 1", "empty"),
    ],
)
def test_a_malformed_file_is_refused_with_line_and_column_and_nothing_written(
    city, content, where, problem
):
    assert len(ASB_ROW) == 155
    good = street_file(ASB_ROW)
    job = _import(city, good, SourceFile("bad.csv", content))
    assert job.status == ImportStatus.REFUSED
    assert job.error.startswith(f"bad.csv: {where}: "), job.error
    assert problem in job.error
    assert _held(city) == 0  # not even the good file's row


def test_a_hub_without_an_area_is_refused(hub):
    job = _import(hub, street_file(ASB_ROW))
    assert job.status == ImportStatus.REFUSED and "has no area" in job.error
    assert _held(hub) == 0


def test_the_command_imports_a_directory_with_a_report(app, world):
    runner = app.test_cli_runner()
    args = ["hub", "import-police-uk", str(DATA), "--hub", world.hub_slug, "--quiet"]
    result = runner.invoke(args=[*args, "--area", "City of London"])
    assert result.exit_code == 0, result.output
    assert "4,746 rows read" in result.output
    assert "added:   834" in result.output
    assert "3,811  Another crime type" in result.output
    again = runner.invoke(args=args)
    assert "added:   0" in again.output and "834  Already imported" in again.output
    refused = runner.invoke(
        args=["hub", "import-police-uk", str(DATA / "README.md"), "--hub", world.hub_slug]
    )
    assert refused.exit_code == 1 and "line 1, column 1" in refused.output


def test_an_upload_is_run_by_the_scheduler_job_and_polled(app, client, world):
    from hub.analytics.jobs import police_uk_imports

    client.sign_in(world.email["analyst"])
    token = client.csrf_token(f"/hubs/{world.hub_slug}/analytics/imports")
    client.post(
        f"/hubs/{world.hub_slug}/analytics/area",
        data={"places": "City of London", "csrf_token": token},
    )
    path = DATA / "2017-04-city-of-london-street.csv"
    response = client.post(
        f"/hubs/{world.hub_slug}/analytics/imports",
        data={"files": [(path.open("rb"), path.name)], "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    page = response.headers["Location"]
    progress = client.get(page + "/progress")
    assert progress.status_code == 200 and "Waiting to start" in progress.get_data(as_text=True)
    with app.app_context():
        police_uk_imports()
        db.session.commit()
    progress = client.get(page + "/progress")
    assert progress.status_code == 286  # htmx stops polling
    text = progress.get_data(as_text=True)
    assert "Imported" in text and "Outside the hub" in text
    with app.app_context():
        job = db.session.execute(select(PoliceUkImport)).scalars().all()[-1]
        assert job.added == 133 and job.uploads[0].content is None


def test_an_upload_without_a_csv_is_refused_on_the_form(client, world):
    client.sign_in(world.email["hub_manager"])
    token = client.csrf_token(f"/hubs/{world.hub_slug}/analytics/imports")
    response = client.post(f"/hubs/{world.hub_slug}/analytics/imports", data={"csrf_token": token})
    assert response.status_code == 400
    assert "Choose one or more police.uk street files" in response.get_data(as_text=True)
