"""A valid referral in the API's shape, and helpers for the referral tests."""

import copy

from hub.extensions import db
from hub.models import Hub, User

VALID = {
    "hub": "copeland",
    "about": "person",
    "category": "personal",
    "summary": "Older man targeted by youths, Mill Street",
    "description": "Youths gather outside his flat most evenings, bang on the door and shout.",
    "first_incident_on": "2026-08-01",
    "incident_count": 12,
    "location": {
        "address": "Flat 3, 12 Mill Street, Whitehaven",
        "postcode": "ca28 7xy",
        "lat": 54.5490,
        "lon": -3.5870,
    },
    "people": [
        {
            "role": "victim",
            "name": "William Hartley",
            "date_of_birth": "1958-03-02",
            "vulnerabilities": ["age", "isolation"],
        },
        {"role": "subject", "name": "Jordan Pike"},
    ],
    "consent": {"given": False, "reason": "risk of harm outweighs; s115 disclosure"},
    "risk": {
        # 6 + 4 + 8 + 3, plus 6 for a personal category: 27, high.
        "targeted": True,
        "repeat": True,
        "fear_for_safety": True,
        "routine_affected": True,
    },
}


def payload(**changes) -> dict:
    data = copy.deepcopy(VALID)
    for key, value in changes.items():
        data[key] = value
    return data


def user(email: str) -> User:
    return db.session.execute(db.select(User).where(User.email == email)).scalar_one()


def hub(slug: str = "copeland") -> Hub:
    return db.session.execute(db.select(Hub).where(Hub.slug == slug)).scalar_one()


def issue_token(app, email: str) -> str:
    result = app.test_cli_runner().invoke(args=["hub", "token", email, "--name", "test"])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def auth(token: str, **headers) -> dict:
    return {"Authorization": f"Bearer {token}", **headers}
