"""Hotspots: the hub's incidents, its open cases and police.uk's context incidents counted by
the ~50 m grid cell repeat matching uses (referrals.normalise), for the period and category.

One aggregate feeds everything on the page: the map's layers, the ranked list and the grid
heat map (the cells binned into a coarser grid for an overview). Cells are areas, not
addresses: a cell's label is police.uk's public snap point ("On or near Bishopsgate") where it
has one, else its centre's coordinates.
"""

from dataclasses import dataclass, field

from sqlalchemy import func, select

from hub.analytics.periods import Filters
from hub.extensions import db
from hub.models import Case, ContextIncident, Hub, Incident, Referral, Stage
from referrals.normalise import LAT_STEP, LON_STEP

LAYERS = {
    "incidents": "The hub's incidents",
    "open_cases": "Open cases",
    "police_uk": "police.uk ASB (context)",
}
RANKED = 20
GRID = 12  # the overview grid is at most GRID x GRID squares


@dataclass
class Cell:
    cell: str
    lat: float
    lon: float
    counts: dict[str, int] = field(default_factory=dict)
    label: str = ""

    @property
    def total(self) -> int:
        return self.counts.get("incidents", 0) + self.counts.get("police_uk", 0)


def centre(cell: str) -> tuple[float, float]:
    y, x = (int(v) for v in cell.split(":"))
    return round((y + 0.5) * LAT_STEP, 6), round((x + 0.5) * LON_STEP, 6)


def cells(hub: Hub, filters: Filters) -> list[Cell]:
    """Every cell with something in it, with its count per layer. Three GROUP BYs."""
    incidents = (
        select(Incident.cell, func.count())
        .where(
            Incident.hub_id == hub.id,
            Incident.cell.is_not(None),
            Incident.occurred_on >= filters.start,
            Incident.occurred_on < filters.after,
        )
        .group_by(Incident.cell)
    )
    open_cases = (
        select(Incident.cell, func.count(func.distinct(Incident.case_id)))
        .join(Case, Case.id == Incident.case_id)
        .where(
            Incident.hub_id == hub.id,
            Incident.cell.is_not(None),
            Case.stage != Stage.CLOSED.value,
        )
        .group_by(Incident.cell)
    )
    if filters.category:  # police.uk has no ASB category: its layer is not narrowed
        of_category = Referral.asb_category == filters.category
        incidents = incidents.join(Referral, Referral.id == Incident.referral_id).where(of_category)
        open_cases = open_cases.join(Referral, Referral.id == Incident.referral_id).where(
            of_category
        )
    context = (
        select(ContextIncident.cell, func.count(), func.min(ContextIncident.location))
        .where(
            ContextIncident.hub_id == hub.id,
            ContextIncident.is_asb.is_(True),
            ContextIncident.month >= filters.start,
            ContextIncident.month <= filters.end,
        )
        .group_by(ContextIncident.cell)
    )
    found: dict[str, Cell] = {}

    def at(key: str) -> Cell:
        if key not in found:
            found[key] = Cell(key, *centre(key))
        return found[key]

    for key, count in db.session.execute(incidents):
        at(key).counts["incidents"] = count
    for key, count in db.session.execute(open_cases):
        at(key).counts["open_cases"] = count
    for key, count, location in db.session.execute(context):
        cell = at(key)
        cell.counts["police_uk"] = count
        cell.label = location
    for cell in found.values():
        cell.label = cell.label or f"Around {cell.lat:.4f}, {cell.lon:.4f}"
    return list(found.values())


def ranked(found: list[Cell], limit: int = RANKED) -> list[Cell]:
    return sorted(found, key=lambda c: (-c.total, -c.counts.get("open_cases", 0), c.cell))[:limit]


@dataclass
class Grid:
    rows: list[list[int]]  # north first
    lat_edges: list[float]  # GRID + 1 edges, south to north
    lon_edges: list[float]
    peak: int

    def shade(self, value: int) -> int:
        return 0 if not value else 1 + min(4, (value * 5 - 1) // max(self.peak, 1))


def grid(found: list[Cell]) -> Grid | None:
    """The cells' totals binned into at most GRID x GRID squares over their extent."""
    live = [c for c in found if c.total]
    if not live:
        return None
    south, north = min(c.lat for c in live), max(c.lat for c in live)
    west, east = min(c.lon for c in live), max(c.lon for c in live)
    step_lat = max((north - south) / GRID, LAT_STEP)
    step_lon = max((east - west) / GRID, LON_STEP)
    rows_n = min(GRID, int((north - south) / step_lat) + 1)
    cols_n = min(GRID, int((east - west) / step_lon) + 1)
    rows = [[0] * cols_n for _ in range(rows_n)]
    for c in live:
        r = min(rows_n - 1, int((c.lat - south) / step_lat))
        k = min(cols_n - 1, int((c.lon - west) / step_lon))
        rows[rows_n - 1 - r][k] += c.total
    return Grid(
        rows=rows,
        lat_edges=[round(south + i * step_lat, 5) for i in range(rows_n + 1)],
        lon_edges=[round(west + i * step_lon, 5) for i in range(cols_n + 1)],
        peak=max(max(r) for r in rows),
    )


def geojson(found: list[Cell]) -> dict:
    """The cells for the map, one point each with its counts."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [c.lon, c.lat]},
                "properties": {"label": c.label, **{k: c.counts.get(k, 0) for k in LAYERS}},
            }
            for c in found
        ],
    }


def csv_rows(found: list[Cell]) -> tuple[list[str], list[list]]:
    header = ["Cell", "Where", "Latitude", "Longitude", *LAYERS.values()]
    rows = [
        [c.cell, c.label, c.lat, c.lon, *(c.counts.get(k, 0) for k in LAYERS)]
        for c in ranked(found, len(found))
    ]
    return header, rows
