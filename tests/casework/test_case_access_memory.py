"""can_work_case remembers its answer for the request (a case page asks it several times);
a membership written in the request, or a rollback, makes it ask the database again."""

from hub import permissions as perm
from hub.casework import membership
from hub.extensions import db
from hub.models import Agency, Hub, User
from tests.support.factories import make_case, make_isa


def test_a_membership_added_or_removed_mid_request_is_seen_at_once(ctx, world):
    hub = db.session.get(Hub, world.hub_id)
    council, housing = (db.session.get(Agency, world.agency_ids[k]) for k in ("council", "housing"))
    worker = db.session.get(User, world.user_id["case_worker"])  # housing
    coordinator = db.session.get(User, world.user_id["coordinator"])
    make_isa(hub, [council, housing], ["identity", "incident"])
    case = make_case(hub, "CPL-MEM-1", council)
    assert not perm.can_work_case(worker, case)
    added = membership.add_member(
        case, housing.id, route="triage", reason="Tenancy", actor=coordinator
    )
    assert perm.can_work_case(worker, case)
    membership.remove_member(case, added, "Tenancy ended", actor=coordinator)
    assert not perm.can_work_case(worker, case)


def test_a_rollback_forgets_what_was_remembered(ctx, world):
    hub = db.session.get(Hub, world.hub_id)
    council, housing = (db.session.get(Agency, world.agency_ids[k]) for k in ("council", "housing"))
    worker = db.session.get(User, world.user_id["case_worker"])
    coordinator = db.session.get(User, world.user_id["coordinator"])
    make_isa(hub, [council, housing], ["identity", "incident"])
    case = make_case(hub, "CPL-MEM-2", council)
    db.session.commit()
    case_id = case.id
    membership.add_member(case, housing.id, route="triage", reason="Tenancy", actor=coordinator)
    assert perm.can_work_case(worker, case)
    db.session.rollback()  # the change was refused: the membership never was
    assert not perm.can_work_case(worker, db.session.get(type(case), case_id))
