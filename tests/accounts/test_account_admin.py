"""Issue 21, administration: account-wide actions (switching an account off, password links,
resetting two-factor) need authority over the whole account."""

import pytest
from sqlalchemy import select

from hub.extensions import db
from hub.models import Agency, Hub, PasswordLink, User, UserRole
from tests.support.factories import make_user


def active(app, user_id) -> bool:
    with app.app_context():
        return db.session.get(User, user_id).is_active_account


def test_a_hub_manager_cannot_deactivate_the_system_administrator(app, client, world):
    # The system administrator works for the council, a partner in the manager's hub.
    client.sign_in(world.email["hub_manager"])
    sysadmin = world.user_id["sysadmin"]
    assert client.get(f"/admin/users/{sysadmin}").status_code == 200  # may see them
    response = client.submit(f"/admin/users/{sysadmin}/active", {"active": "no"})
    assert response.status_code == 404
    assert active(app, sysadmin)
    assert client.submit(f"/admin/users/{sysadmin}/password-link").status_code == 404
    page = client.get(f"/admin/users/{sysadmin}").get_data(as_text=True)
    assert "Stop this person signing in" not in page


@pytest.fixture
def shared(app, world):
    """Cumbria Constabulary is a partner in both hubs; give Allerdale a manager from it and
    a police officer who works only in Copeland."""
    with app.app_context():
        agency = db.session.get(Agency, world.agency_ids["police"])
        allerdale = db.session.get(Hub, world.other_hub_id)
        copeland = db.session.get(Hub, world.hub_id)
        b_manager = make_user("b.manager@police.example", agency, ("hub_manager", allerdale))
        a_worker = make_user("a.worker@police.example", agency, ("case_worker", copeland))
        b_worker = make_user("b.worker@police.example", agency, ("case_worker", allerdale))
        db.session.commit()
        return {"b_manager": b_manager.email, "a_worker": a_worker.id, "b_worker": b_worker.id}


def test_hub_b_manager_cannot_lock_out_hub_a_people_of_a_shared_agency(app, client, shared, outbox):
    client.sign_in(shared["b_manager"])
    a_worker = shared["a_worker"]
    assert client.submit(f"/admin/users/{a_worker}/active", {"active": "no"}).status_code == 404
    assert active(app, a_worker)
    assert client.submit(f"/admin/users/{a_worker}/password-link").status_code == 404
    assert outbox == []
    with app.app_context():
        assert db.session.execute(select(PasswordLink)).first() is None


def test_hub_b_manager_still_acts_for_people_working_only_in_hub_b(app, client, shared, outbox):
    client.sign_in(shared["b_manager"])
    b_worker = shared["b_worker"]
    assert client.submit(f"/admin/users/{b_worker}/password-link").status_code == 302
    assert len(outbox) == 1
    assert client.submit(f"/admin/users/{b_worker}/active", {"active": "no"}).status_code == 302
    assert not active(app, b_worker)


def test_hub_b_manager_may_still_give_a_hub_b_role_to_a_hub_a_person(app, client, world, shared):
    client.sign_in(shared["b_manager"])
    response = client.submit(
        f"/admin/users/{shared['a_worker']}/roles",
        {"role": "spoc", "hub_id": str(world.other_hub_id)},
    )
    assert response.status_code == 302
    with app.app_context():
        roles = (
            db.session.execute(select(UserRole.role).where(UserRole.user_id == shared["a_worker"]))
            .scalars()
            .all()
        )
        assert sorted(roles) == ["case_worker", "spoc"]


def test_the_agency_manager_and_the_system_administrator_act_on_the_whole_account(
    app, client, world
):
    manager = app.test_client()
    manager.sign_in(world.email["agency_manager"])  # Home Group
    worker = world.user_id["case_worker"]  # Home Group
    assert manager.submit(f"/admin/users/{worker}/active", {"active": "no"}).status_code == 302
    client.sign_in(world.email["sysadmin"])
    assert client.submit(f"/admin/users/{worker}/active", {"active": "yes"}).status_code == 302
    assert active(app, worker)
