"""Permission-filtered pages issue the same number of queries however much data there is."""

from hub import audit
from hub import permissions as perm
from hub.extensions import db
from hub.models import Agency, CaseMembership, Hub, User
from tests.conftest import count_queries
from tests.support.factories import make_agency, make_case, make_isa, make_note


def _grow(app, world, n: int):
    with app.app_context():
        hub = db.session.get(Hub, world.hub_id)
        council, police, housing = (
            db.session.get(Agency, world.agency_ids[k]) for k in ("council", "police", "housing")
        )
        referrer = db.session.get(User, world.user_id["referrer"])
        coordinator = db.session.get(User, world.user_id["coordinator"])
        make_isa(hub, [council, police, housing], ["incident", "housing"], reference=f"Q-{n}")
        case = make_case(hub, f"CPL-Q{n}", council, police, housing)
        for i in range(n):
            agency = make_agency(f"Extra agency {n}-{i}", "voluntary", hub)
            make_isa(hub, [agency], ["incident"], reference=f"Q-{n}-{i}")
            db.session.add(
                CaseMembership(case_id=case.id, agency_id=agency.id, route="triage", reason="grow")
            )
            note = make_note(case, council, referrer, category="incident")
            perm.record_read(coordinator, case, [note], what="grow")
            audit.record("grow", hub=hub, target=case)
            make_case(hub, f"CPL-Q{n}-{i}", council)
        db.session.commit()
        return case.id


def _count(client, connection, path):
    with count_queries(connection) as statements:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(statements)


def test_pages_issue_a_constant_number_of_queries(app, client, world, _transaction):
    small = _grow(app, world, 2)
    large = _grow(app, world, 12)
    client.sign_in(world.email["hub_manager"])
    for template in (
        "/cases/{}/members",
        "/cases/{}/disclosures",
        "/hubs/copeland/audit",
        "/hubs/copeland/isas",
    ):
        few = _count(client, _transaction, template.format(small))
        many = _count(client, _transaction, template.format(large))
        assert few == many, (template, few, many)


def test_case_list_filter_is_one_query(app, ctx, world, _transaction):
    _grow(app, world, 3)
    hub = db.session.get(Hub, world.hub_id)
    user = db.session.get(User, world.user_id["case_worker"])
    # Once per request, whatever the list: the user's hubs and their agency's agreements.
    perm.is_in_hub(user, hub)
    perm.shared_categories(user.agency_id, hub.id)
    from hub.models import Case

    with count_queries(_transaction) as statements:
        query = perm.cases_with_access(user, hub).order_by(Case.opened_at.desc()).limit(200)
        rows = db.session.execute(query).scalars().all()
    assert [c.reference for c in rows] == ["CPL-Q3"] and len(statements) == 1
