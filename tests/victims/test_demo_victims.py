"""The demo hub's SPoC has victims with contact history, a call-back due today and an overdue
one, and running the demo again adds nothing."""

from sqlalchemy import func, select

from hub.demo.build import DEMO_PASSWORD
from hub.extensions import db
from hub.models import CallBack, Victim, VictimContact


def test_the_demo_spoc_has_victims_a_call_back_due_today_and_one_overdue(app, client):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["hub", "demo"]).exit_code == 0
    with app.app_context():
        counts = [
            db.session.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (Victim, VictimContact, CallBack)
        ]
    assert counts == [2, 3, 2]
    runner.invoke(args=["hub", "demo"])
    with app.app_context():
        again = [
            db.session.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (Victim, VictimContact, CallBack)
        ]
    assert again == counts
    client.sign_in("victim.spoc@copeland.example", DEMO_PASSWORD)
    html = client.get("/hubs/copeland/my-victims").get_data(as_text=True)
    overdue, rest = html.split('<h2 class="govuk-heading-m">Due today')
    today = rest.split("Coming up")[0]
    assert "Sarah Wilson" in overdue
    assert "Brian Tyson" in today
    assert "Do not leave a message" in overdue  # Sarah's safe-contact rule, where it is needed
