"""The disclosure register under concurrent reads: two partners of the same agency opening the
same case at the same moment both count in the register, and neither request fails on the
entry the other made first (found under load: the second request's insert clashed with the
first's and its case page failed)."""

import threading

import pytest
from sqlalchemy import select

from hub import permissions as perm
from hub.extensions import db
from hub.models import Agency, Case, CaseNote, Disclosure, Hub, User
from tests.conftest import own_database_app
from tests.sharing.test_s115_rule import ALL
from tests.support.factories import make_case, make_isa, make_note

WAIT = 5.0  # seconds: far longer than one read takes


@pytest.fixture
def own_app():
    with own_database_app("disclosure_races") as app:
        world = app.world
        with app.app_context():
            hub = db.session.get(Hub, world.hub_id)
            council, housing = (
                db.session.get(Agency, world.agency_ids[k]) for k in ("council", "housing")
            )
            make_isa(hub, [council, housing], ALL)
            case = make_case(hub, "CPL-RACE", council, housing)
            note = make_note(case, council, db.session.get(User, world.user_id["referrer"]))
            db.session.commit()
            app.case_id, app.note_id = case.id, note.id
        yield app


@pytest.mark.own_database
def test_two_first_reads_at_once_both_count_and_neither_fails(own_app):
    """The first request registers the disclosure and has not committed when the second
    registers it too: the second waits for it, then counts one more time on its entry."""
    first_registered, failures = threading.Event(), []

    def read(first: bool):
        try:
            with own_app.test_request_context(f"/cases/{own_app.case_id}", method="GET"):
                case = db.session.get(Case, own_app.case_id)
                reader = db.session.get(User, own_app.world.user_id["case_worker"])  # housing
                if not first:
                    assert first_registered.wait(WAIT)
                perm.record_read(
                    reader, case, [db.session.get(CaseNote, own_app.note_id)], what="case notes"
                )
                if first:
                    first_registered.set()
                    second.join(0.5)  # the second is now waiting on this entry
                db.session.commit()
                db.session.remove()
        except Exception as exc:  # noqa: BLE001  (reported by the test below)
            failures.append(exc)
            first_registered.set()

    second = threading.Thread(target=read, args=(False,))
    first = threading.Thread(target=read, args=(True,))
    second.start()
    first.start()
    first.join(WAIT * 3)
    second.join(WAIT * 3)
    assert not failures, failures
    with own_app.app_context():
        [entry] = db.session.execute(select(Disclosure)).scalars().all()
        assert entry.times == 2
