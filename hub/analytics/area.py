"""The area a hub covers, in police.uk's terms: local authority names and LSOA codes."""

import re

from marshmallow import ValidationError
from sqlalchemy import select

from hub import audit
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import Hub, HubArea

LSOA_CODE = re.compile(r"^[EW]01\d{6}$")
# "City of London 001A" -> "City of London": an LSOA's name is its local authority's and a code.
_LSOA_NAME = re.compile(r"^(.*\S)\s+\d{3}[A-Z]$")
MAX_PLACES = 400


def local_authority(lsoa_name: str) -> str:
    match = _LSOA_NAME.match(lsoa_name.strip())
    return (match.group(1) if match else lsoa_name).strip()


class AreaCheck:
    """Whether a row's LSOA is inside the hub's area (names compared without case)."""

    def __init__(self, places: list[str]):
        self.codes = {p.upper() for p in places if LSOA_CODE.match(p.upper())}
        self.names = {p.casefold() for p in places if not LSOA_CODE.match(p.upper())}

    def __bool__(self) -> bool:
        return bool(self.codes or self.names)

    def contains(self, lsoa_code: str, lsoa_name: str) -> bool:
        if lsoa_code and lsoa_code.upper() in self.codes:
            return True
        return bool(lsoa_name) and local_authority(lsoa_name).casefold() in self.names


def places_of(hub: Hub) -> list[str]:
    row = db.session.execute(select(HubArea).where(HubArea.hub_id == hub.id)).scalar_one_or_none()
    return list(row.places) if row else []


def parse_places(text: str) -> list[str]:
    """One place a line (or comma-separated): a local authority name or an LSOA code.
    Raises ValidationError (field "places")."""
    places = []
    for raw in re.split(r"[\n,]", text or ""):
        place = " ".join(raw.split())
        if not place:
            continue
        if len(place) > 100:
            raise ValidationError({"places": ["Each place must be 100 characters or fewer"]})
        if re.match(r"^[EW]01", place.upper()) and not LSOA_CODE.match(place.upper()):
            raise ValidationError(
                {"places": [f"{place} is not an LSOA code: they look like E01000001"]}
            )
        places.append(place.upper() if LSOA_CODE.match(place.upper()) else place)
    if not places:
        raise ValidationError(
            {"places": ["Enter at least one local authority name, like City of London"]}
        )
    if len(places) > MAX_PLACES:
        raise ValidationError({"places": [f"Enter {MAX_PLACES} places or fewer"]})
    return sorted(set(places), key=str.casefold)


def set_places(hub: Hub, places: list[str], user=None) -> HubArea:
    row = db.session.execute(select(HubArea).where(HubArea.hub_id == hub.id)).scalar_one_or_none()
    before = list(row.places) if row else []
    if row is None:
        row = HubArea(hub_id=hub.id)
        db.session.add(row)
    row.places = places
    row.updated_at = utcnow()
    row.updated_by_id = getattr(user, "id", None)
    db.session.flush()
    audit.record(
        "hub_area_set",
        user=user,
        hub=hub,
        target=row,
        details={"before": {"count": len(before)}, "after": {"count": len(places)}},
    )
    return row
