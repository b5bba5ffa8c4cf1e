"""A person's account page lists where they are signed in, and signs any of them out, or all
of them ("sign out everywhere")."""

from sqlalchemy import select

from hub.extensions import db
from hub.models import AuditEntry, UserSession


def test_the_account_page_lists_each_browser(app, client, world):
    client.sign_in(world.email["referrer"])
    phone = app.test_client()
    phone.sign_in(world.email["referrer"])
    page = client.get("/account/").get_data(as_text=True)
    assert page.count('data-testid="session-row"') == 2
    assert page.count("This browser") == 1
    assert "Sign out everywhere" in page


def test_signing_out_another_browser(app, client, world):
    client.sign_in(world.email["referrer"])
    phone = app.test_client()
    phone.sign_in(world.email["referrer"])
    with app.app_context():
        phone_session = (
            db.session.execute(select(UserSession.id).order_by(UserSession.id.desc()))
            .scalars()
            .first()
        )
    response = client.submit(f"/account/sessions/{phone_session}/end")
    assert response.status_code == 302
    assert phone.get("/").status_code == 302
    assert client.get("/").status_code == 200
    with app.app_context():
        entry = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "session_revoked")
        ).scalar_one()
        assert entry.target_id == str(phone_session)


def test_nobody_signs_out_someone_elses_session(app, client, world):
    client.sign_in(world.email["referrer"])
    with app.app_context():
        theirs = db.session.execute(select(UserSession.id)).scalar_one()
    other = app.test_client()
    other.sign_in(world.email["spoc"])
    response = other.submit(f"/account/sessions/{theirs}/end")
    assert response.status_code == 404
    assert client.get("/").status_code == 200


def test_sign_out_everywhere(app, client, world):
    client.sign_in(world.email["referrer"])
    phone = app.test_client()
    phone.sign_in(world.email["referrer"])
    response = client.submit("/account/sessions/end-all")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    assert client.get("/").status_code == 302 and phone.get("/").status_code == 302
    with app.app_context():
        entry = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "sessions_revoked")
        ).scalar_one()
        assert entry.details == {"reason": "signed_out_everywhere", "count": 2}
