"""Password rules as the NCSC advises, and resetting a forgotten password by an emailed link
that works once, for an hour, and only if it is the newest."""

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from hub.accounts.passwords import common_passwords, password_problem
from hub.accounts.sealing import seal
from hub.core.security import check_password
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import AuditEntry, IdentityProvider, IdentityProviderDomain, User


@pytest.mark.parametrize(
    "password",
    [
        "short",
        "password1234",  # on the list
        "Password2026!",  # a listed password with digits and a symbol stuck on
        "P@ssw0rd12345",  # look-alike characters
        "!!iloveyou!!2024",
        "qwertyuiopasdf",  # keyboard run
        "abcdefghijklmn",  # sequence
        "aaaaaaaaaaaaaa",  # repetition
        "letmeinletmeinletmein",
        "focushub-2026-spring",  # the service's name
        "Focus Hub Focus Hub",
    ],
)
def test_weak_passwords_are_refused(password):
    assert password_problem(password) is not None


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",
        "Tea kettle on the windowsill",
        "7 wild geese over Whitehaven",
        "quietly-marching-teaspoons",
        "ALLCAPSPASSPHRASEISFINE",  # no composition rules: no forced symbols or cases
    ],
)
def test_long_uncommon_passwords_are_accepted_without_composition_rules(password):
    assert password_problem(password) is None


def test_the_deny_list_is_shipped_and_large():
    words = common_passwords()
    assert len(words) > 19_000 and "password" in words and "iloveyou" in words


def test_a_password_may_not_contain_the_persons_name_or_address(app):
    person = User(email="rachel.dixon@copeland.example", name="Rachel Dixon")
    assert "your name" in password_problem("rachel.dixon mountain walk", person)
    assert "your name" in password_problem("Dixon of the high fells", person)
    assert password_problem("high fells in winter", person) is None


def forgot(client, email):
    return client.post(
        "/forgot-password", data={"email": email, "csrf_token": client.csrf_token("/sign-in")}
    )


def link_in(message) -> str:
    return re.search(r"http://hub\.test(/set-password/\S+)", message.get_content()).group(1)


def test_a_reset_link_sets_a_new_password_once(app, client, world, outbox):
    response = forgot(client, world.email["referrer"])
    assert "Check your email" in response.get_data(as_text=True)
    assert len(outbox) == 1 and outbox[0]["To"] == world.email["referrer"]
    path = link_in(outbox[0])
    assert client.get(path).status_code == 200
    weak = client.post(
        path,
        data={
            "password": "password1234",
            "confirm": "password1234",
            "csrf_token": client.csrf_token("/sign-in"),
        },
    )
    assert weak.status_code == 400 and "too common" in weak.get_data(as_text=True)
    new = "seven quiet herons at dusk"
    data = {"password": new, "confirm": new, "csrf_token": client.csrf_token("/sign-in")}
    assert client.post(path, data=data).status_code == 302
    assert client.post(path, data=data).status_code == 404  # used
    with app.app_context():
        user = db.session.get(User, world.user_id["referrer"])
        assert check_password(user.password_hash, new)
        actions = db.session.execute(select(AuditEntry.action)).scalars().all()
        assert {"password_reset_requested", "password_link_sent", "password_set"} <= set(actions)
    client.sign_in(world.email["referrer"], new)


def test_an_unknown_address_gets_the_same_page_and_no_email(client, world, outbox):
    known = forgot(client, world.email["referrer"]).get_data(as_text=True)
    unknown = forgot(client, "nobody@nowhere.example").get_data(as_text=True)
    main = lambda html: html[html.index("<main") : html.index("</main>")]  # noqa: E731
    assert main(known) == main(unknown)
    assert [m["To"] for m in outbox] == [world.email["referrer"]]


def test_a_reset_link_expires_after_an_hour(client, world, outbox):
    forgot(client, world.email["referrer"])
    path = link_in(outbox[0])
    with time_machine.travel(utcnow() + timedelta(minutes=61), tick=False):
        assert client.get(path).status_code == 404


def test_only_the_newest_link_works(client, world, outbox):
    forgot(client, world.email["referrer"])
    forgot(client, world.email["referrer"])
    first, second = link_in(outbox[0]), link_in(outbox[1])
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


def test_no_reset_for_an_address_that_signs_in_with_its_organisation(app, client, world, outbox):
    with app.test_request_context():
        provider = IdentityProvider(
            agency_id=world.agency_ids["council"],
            slug="council",
            name="Council (Microsoft)",
            issuer="https://login.example/council/v2.0",
            client_id="hub",
            client_secret_sealed=seal("s"),
        )
        provider.domains = [IdentityProviderDomain(domain="council.example")]
        db.session.add(provider)
        db.session.commit()
    forgot(client, world.email["referrer"])  # referrer@council.example
    assert outbox == []


def test_a_changed_password_signs_out_everywhere(app, client, world):
    client.sign_in(world.email["referrer"])
    other = app.test_client()
    other.sign_in(world.email["referrer"])
    new = "seven quiet herons at dusk"
    response = client.submit(
        "/account/password", {"current": world.password, "password": new, "confirm": new}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 302 and other.get("/").status_code == 302
    wrong = app.test_client()
    wrong.sign_in(world.email["referrer"], new)
    bad = wrong.submit(
        "/account/password", {"current": "not it", "password": new + "!", "confirm": new + "!"}
    )
    assert bad.status_code == 400 and "current password is not right" in bad.get_data(as_text=True)
