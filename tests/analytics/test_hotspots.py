"""Hotspots against a hand-counted fixture: the hub's incidents, open cases and police.uk ASB
by ~50 m cell, narrowed by period and category; the ranked list and the grid from the same
cells."""

from datetime import date

from hub.analytics import hotspots
from hub.analytics.periods import Filters
from hub.extensions import db
from hub.models import Agency, ContextIncident, Hub, Incident, Referral, User
from referrals.normalise import grid_cell
from tests.support.factories import make_case

SUBWAY = (51.518029, -0.082722)
BOW_LANE = (51.513447, -0.093493)


def _build(world):
    hub = db.session.get(Hub, world.hub_id)
    council = db.session.get(Agency, world.agency_ids["council"])
    user = db.session.get(User, world.user_id["referrer"])
    open_case = make_case(hub, "CPL-HOT-1", council, stage="active")
    closed_case = make_case(hub, "CPL-HOT-2", council, stage="closed")
    incidents = [
        # (where, day, ASB category, case)
        (SUBWAY, date(2026, 11, 2), "personal", open_case),
        (SUBWAY, date(2026, 11, 9), "nuisance", open_case),
        (SUBWAY, date(2026, 5, 1), "nuisance", None),  # before the period
        (BOW_LANE, date(2026, 10, 20), "nuisance", closed_case),
    ]
    for n, ((lat, lon), day, category, case) in enumerate(incidents):
        referral = Referral(
            hub_id=hub.id,
            agency_id=council.id,
            user_id=user.id,
            reference=f"HOT-{n}",
            status="submitted",
            category="incident",
            origin_agency_id=council.id,
            asb_category=category,
        )
        db.session.add(referral)
        db.session.flush()
        db.session.add(
            Incident(
                hub_id=hub.id,
                occurred_on=day,
                cell=grid_cell(lat, lon),
                referral_id=referral.id,
                case_id=case.id if case else None,
            )
        )
    for n, ((lat, lon), month, asb) in enumerate(
        [
            (BOW_LANE, date(2026, 10, 1), True),
            (BOW_LANE, date(2026, 11, 1), True),
            (BOW_LANE, date(2026, 11, 1), False),
            (SUBWAY, date(2026, 1, 1), True),
        ]
    ):
        db.session.add(
            ContextIncident(
                hub_id=hub.id,
                source_key=f"hot{n}",
                month=month,
                month_index=month.year * 12 + month.month - 1,
                crime_type="x",
                is_asb=asb,
                location="On or near Bow Lane" if lat == BOW_LANE[0] else "On or near Subway",
                lat=lat,
                lon=lon,
                cell=grid_cell(lat, lon),
            )
        )
    db.session.flush()
    return hub


def test_cells_count_each_layer_for_the_period_and_category(ctx, world):
    hub = _build(world)
    found = {c.cell: c for c in hotspots.cells(hub, Filters(date(2026, 9, 1), date(2026, 11, 1)))}
    subway, bow = found[grid_cell(*SUBWAY)], found[grid_cell(*BOW_LANE)]
    assert subway.counts == {"incidents": 2, "open_cases": 1}
    assert bow.counts == {"incidents": 1, "police_uk": 2}  # ASB only; its case is closed
    assert bow.label == "On or near Bow Lane"
    assert subway.label.startswith("Around 51.51")  # no public snap point there this period
    # Ranked by the hub's incidents and police.uk's together: Bow Lane 1 + 2, the subway 2.
    assert [c.cell for c in hotspots.ranked(list(found.values()))] == [bow.cell, subway.cell]
    nuisance = Filters(date(2026, 9, 1), date(2026, 11, 1), "nuisance")
    narrowed = {c.cell: c.counts for c in hotspots.cells(hub, nuisance)}
    assert narrowed[grid_cell(*SUBWAY)] == {"incidents": 1, "open_cases": 1}
    grid = hotspots.grid(list(found.values()))
    assert sum(map(sum, grid.rows)) == 5 and grid.peak == 3
    header, rows = hotspots.csv_rows(list(found.values()))
    assert rows[0][4:] == [1, 0, 2] and rows[1][4:] == [2, 1, 0]
