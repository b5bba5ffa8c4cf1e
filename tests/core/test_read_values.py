"""hub.core.database.read_values: a read of plain values on the session's connection sees
what the session has pending, as the ORM's own reads do (autoflush), and only then."""

from sqlalchemy import bindparam, func, select

from hub.core.database import read_values
from hub.extensions import db
from hub.models import CaseFollow, Hub
from tests.support.factories import make_case


def _follows():
    return select(func.count(CaseFollow.id)).where(CaseFollow.case_id == bindparam("case_id"))


def _case(world):
    return make_case(db.session.get(Hub, world.hub_id), "CPL-READ")


def test_a_read_of_values_sees_what_the_session_has_pending(ctx, world):
    case = _case(world)
    db.session.add(CaseFollow(case_id=case.id, user_id=world.user_id["coordinator"]))
    assert read_values(_follows(), {"case_id": case.id}).scalar() == 1


def test_and_not_while_autoflush_is_off(ctx, world):
    case = _case(world)
    with db.session.no_autoflush:
        db.session.add(CaseFollow(case_id=case.id, user_id=world.user_id["coordinator"]))
        assert read_values(_follows(), {"case_id": case.id}).scalar() == 0
    assert read_values(_follows(), {"case_id": case.id}).scalar() == 1
