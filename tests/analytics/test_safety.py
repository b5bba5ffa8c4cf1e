"""The small guards: CSV cells a spreadsheet would run as formulas, the hotspot page's
policy for a tile server, the upload's own size limit, and the intervention's age group."""

import io

import pytest
from marshmallow import ValidationError

from hub.casework.schemas import InterventionSchema
from hub.core.spreadsheet import safe_cell, to_csv


def test_csv_cells_that_start_a_formula_are_neutralised():
    assert safe_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert [safe_cell(v) for v in ("+1", "-1", "@SUM(A1)", "\tx", "Council", 7)] == [
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "'\tx",
        "Council",
        7,
    ]
    assert to_csv(["Agency", "n"], [["=cmd()", 3]]).splitlines() == ["Agency,n", "'=cmd(),3"]


def test_the_hotspot_page_lets_images_load_from_the_tile_server_only(app, client, world):
    client.sign_in(world.email["analyst"])
    path = f"/hubs/{world.hub_slug}/analytics/hotspots"
    assert "img-src 'self' data:;" in client.get(path).headers["Content-Security-Policy"]
    app.config["MAP_TILE_URL"] = "https://{s}.tiles.example.org/{z}/{x}/{y}.png"
    try:
        policy = client.get(path).headers["Content-Security-Policy"]
    finally:
        app.config["MAP_TILE_URL"] = ""
    assert "img-src 'self' data: https://*.tiles.example.org;" in policy
    assert "script-src 'self';" in policy


def test_an_upload_may_be_larger_than_other_requests(app, client, world):
    client.sign_in(world.email["analyst"])
    token = client.csrf_token(f"/hubs/{world.hub_slug}/analytics/imports")
    big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1000)
    upload = client.post(
        f"/hubs/{world.hub_slug}/analytics/imports",
        data={"files": [(io.BytesIO(big), "big.txt")], "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 400  # read, and refused for what it is: not a .csv
    assert "big.txt is not a .csv file" in upload.get_data(as_text=True)
    elsewhere = client.post(
        f"/hubs/{world.hub_slug}/analytics/area",
        data={"places": "x" * (app.config["MAX_CONTENT_LENGTH"] + 1000), "csrf_token": token},
    )
    assert elsewhere.status_code == 413


def test_the_subject_age_group_is_one_of_the_returns_groups():
    base = {"type": "warning_letter", "issuing_officer": "PC Lee", "subject": "Flat 2"}
    base["category"] = "incident"
    assert InterventionSchema().load(base | {"subject_age_group": ""})["subject_age_group"] is None
    loaded = InterventionSchema().load(base | {"subject_age_group": "under_18"})
    assert loaded["subject_age_group"] == "under_18"
    with pytest.raises(ValidationError) as err:
        InterventionSchema().load(base | {"subject_age_group": "child"})
    assert "subject_age_group" in err.value.messages
