"""Administration: who may manage what, with clear errors, and every change audited."""

from sqlalchemy import select

from hub.extensions import db
from hub.models import AuditEntry, HubAgency, User, UserRole


def actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars())


def test_sysadmin_creates_a_hub_and_an_agency(app, client, world):
    client.sign_in(world.email["sysadmin"])
    response = client.submit("/admin/hubs", {"name": "Barrow Focus Hub", "slug": "barrow"})
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/admin/hubs/barrow"
    )
    response = client.submit("/admin/agencies", {"name": "Barrow Fire", "kind": "fire"})
    assert response.status_code == 302
    assert {"hub_created", "agency_created"} <= set(actions(app))


def test_bad_hub_input_gets_field_errors_and_saves_nothing(app, client, world):
    client.sign_in(world.email["sysadmin"])
    response = client.submit("/admin/hubs", {"name": "X", "slug": "Not A Slug"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'href="#name"' in page and 'href="#slug"' in page
    assert "lower-case letters" in page
    duplicate = client.submit("/admin/hubs", {"name": "Another", "slug": world.hub_slug})
    assert "already uses this short name" in duplicate.get_data(as_text=True)
    assert "hub_created" not in actions(app)


def test_hub_manager_adds_a_partner_and_a_person_with_a_role(app, client, world):
    client.sign_in(world.email["hub_manager"])
    response = client.submit(
        f"/admin/hubs/{world.hub_slug}/agencies", {"name": "Cumbria Fire", "kind": "fire"}
    )
    assert response.status_code == 302
    with app.app_context():
        fire = (
            db.session.execute(
                select(HubAgency)
                .where(HubAgency.hub_id == world.hub_id)
                .order_by(HubAgency.id.desc())
            )
            .scalars()
            .first()
        )
        fire_id = fire.agency_id
    response = client.submit(
        "/admin/users/new",
        {"name": "Tom Nicholson", "email": "Tom@Fire.example", "agency_id": str(fire_id)},
    )
    assert response.status_code == 302
    with app.app_context():
        tom = db.session.execute(select(User).where(User.email == "tom@fire.example")).scalar_one()
        tom_id = tom.id
    response = client.submit(
        f"/admin/users/{tom_id}/roles", {"role": "case_worker", "hub_id": str(world.hub_id)}
    )
    assert response.status_code == 302
    with app.app_context():
        roles = db.session.execute(select(UserRole).where(UserRole.user_id == tom_id)).scalars()
        assert [(r.role, r.hub_id) for r in roles] == [("case_worker", world.hub_id)]
    assert {"agency_created", "hub_agency_added", "user_created", "role_granted"} <= set(
        actions(app)
    )


def test_new_person_gets_an_email_with_a_link_and_no_case_data(app, client, world, outbox):
    client.sign_in(world.email["hub_manager"])
    client.submit(
        "/admin/users/new",
        {
            "name": "New Person",
            "email": "new@council.example",
            "agency_id": str(world.agency_ids["council"]),
        },
    )
    [message] = outbox
    assert message["To"] == "new@council.example"
    mail = message.get_content()
    assert "http://hub.test/set-password/" in mail
    link = mail.split("http://hub.test")[1].split()[0]
    client.submit("/sign-out", token_from="/")
    token = client.csrf_token(link)
    response = client.post(
        link, data={"password": "short", "confirm": "short", "csrf_token": token}
    )
    assert "12 characters or more" in response.get_data(as_text=True)
    response = client.post(
        link,
        data={
            "password": "a long new password",
            "confirm": "a long new password",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    assert client.get(link).status_code == 404  # single use
    client.sign_in("new@council.example", "a long new password")


def test_a_person_cannot_be_added_to_an_agency_outside_the_managers_hubs(app, client, world):
    client.sign_in(world.email["hub_manager"])
    response = client.submit(
        "/admin/users/new",
        {"name": "Sneaky", "email": "s@x.example", "agency_id": str(world.agency_ids["outsider"])},
    )
    assert response.status_code == 400
    assert "Choose an agency from the list" in response.get_data(as_text=True)
    assert "user_created" not in actions(app)


def test_another_hubs_manager_sees_nothing_and_is_audited(app, client, world):
    client.sign_in(world.email["other_hub"])
    assert client.get(f"/admin/hubs/{world.hub_slug}").status_code == 404
    assert client.get("/admin/hubs/no-such-hub").status_code == 404
    assert client.get(f"/admin/users/{world.user_id['referrer']}").status_code == 404
    assert actions(app).count("access_denied") == 3


def test_agency_manager_lists_only_their_agencys_people(client, world):
    client.sign_in(world.email["agency_manager"])
    page = client.get("/admin/users").get_data(as_text=True)
    assert world.email["case_worker"] in page  # same agency (housing)
    assert world.email["referrer"] not in page  # council
    assert client.get(f"/admin/users/{world.user_id['referrer']}").status_code == 404


def test_people_without_an_admin_role_cannot_reach_administration(client, world):
    client.sign_in(world.email["referrer"])
    for path in ("/admin/", "/admin/users", "/admin/hubs", f"/admin/hubs/{world.hub_slug}"):
        assert client.get(path).status_code == 404, path


def test_hub_manager_cannot_make_a_sysadmin(app, client, world):
    client.sign_in(world.email["hub_manager"])
    response = client.submit(
        f"/admin/users/{world.user_id['referrer']}/roles", {"role": "sysadmin"}
    )
    assert response.status_code == 400
    assert "You cannot give this role" in response.get_data(as_text=True)


def test_deactivating_a_person_ends_their_sessions(app, world):
    from tests.conftest import HubClient

    app.test_client_class = HubClient
    manager, person = app.test_client(), app.test_client()
    person.sign_in(world.email["referrer"])
    manager.sign_in(world.email["hub_manager"])
    response = manager.submit(f"/admin/users/{world.user_id['referrer']}/active", {"active": "no"})
    assert response.status_code == 302
    assert person.get("/").status_code == 302
    assert "user_deactivated" in actions(app)


def test_removing_an_agency_from_a_hub_ends_its_roles_there(app, client, world):
    client.sign_in(world.email["hub_manager"])
    housing = world.agency_ids["housing"]
    response = client.submit(f"/admin/hubs/{world.hub_slug}/agencies/{housing}/remove")
    assert response.status_code == 302
    with app.app_context():
        worker = db.session.get(User, world.user_id["case_worker"])
        assert [r for r in worker.roles if r.hub_id == world.hub_id] == []


def test_agency_manager_gives_everyday_roles_but_not_hub_running_ones(app, client, world):
    client.sign_in(world.email["agency_manager"])  # Home Group's agency manager
    worker = world.user_id["case_worker"]
    ok = client.submit(f"/admin/users/{worker}/roles", {"role": "spoc", "hub_id": world.hub_id})
    assert ok.status_code == 302
    refused = client.submit(
        f"/admin/users/{worker}/roles", {"role": "coordinator", "hub_id": world.hub_id}
    )
    assert refused.status_code == 400
    assert "You cannot give this role" in refused.get_data(as_text=True)
    with app.app_context():
        roles = {r.role for r in db.session.get(User, worker).roles}
    assert roles == {"case_worker", "spoc"}
