"""The demo's City of London hub imports the shipped police.uk months, so a newcomer's
dashboard, hotspots and place histories hold real data; running the demo again adds nothing."""

from sqlalchemy import func, select

from hub.extensions import db
from hub.models import ContextIncident, Hub, Referral


def test_the_city_demo_hub_holds_the_shipped_police_uk_months(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["hub", "demo"])
    assert result.exit_code == 0, result.output
    assert "4206 rows added" in result.output
    with app.app_context():
        hub = db.session.execute(select(Hub).where(Hub.slug == "city-of-london")).scalar_one()
        held = select(func.count()).where(ContextIncident.hub_id == hub.id)
        assert db.session.execute(held).scalar_one() == 4206
        assert db.session.execute(held.where(ContextIncident.is_asb.is_(True))).scalar_one() == 834
        subway = (
            db.session.execute(
                select(Referral).where(Referral.hub_id == hub.id).order_by(Referral.id)
            )
            .scalars()
            .first()
        )
        assert subway.repeat["police_uk"] == {"1": 0, "3": 20, "6": 49, "latest": "2017-09"}
    again = runner.invoke(args=["hub", "demo"])
    assert "0 rows added" in again.output
