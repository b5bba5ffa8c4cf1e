"""Shared builders for the analytics tests."""

from pathlib import Path

import pytest

from hub.extensions import db
from hub.models import Hub

DATA = Path(__file__).resolve().parents[2] / "data" / "police-uk"
HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    "Crime type,Last outcome category,Context\n"
)


def street_file(*rows: str) -> bytes:
    return (HEADER + "".join(r + "\n" for r in rows)).encode()


ASB_ROW = (
    ",2017-02,City of London Police,City of London Police,-0.082722,51.518029,"
    "On or near Pedestrian Subway,E01032739,City of London 001F,Anti-social behaviour,,"
)


@pytest.fixture
def hub(ctx, world):
    return db.session.get(Hub, world.hub_id)
