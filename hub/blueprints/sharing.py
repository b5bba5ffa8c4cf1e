"""Section 115 administration pages: a hub's information-sharing agreements (hub managers),
a case's member agencies (hub managers and coordinators) and a case's disclosure register."""

import re

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from hub import audit
from hub import permissions as perm
from hub.casework import membership as case_membership
from hub.core.forms import FormErrors, attempt
from hub.extensions import db
from hub.models import (
    Case,
    CaseMembership,
    DataCategory,
    Hub,
    InformationSharingAgreement,
    IsaStatus,
)
from hub.sharing import agreements
from hub.sharing import disclosures as register
from hub.sharing import membership as members_service

bp = Blueprint("sharing", __name__)

DATE_FIELDS = ("starts_on", "review_on", "expires_on")
SIGNED = re.compile(r"^signed-(\d+)$")


def _isa_or_deny(hub: Hub, isa_id: int) -> InformationSharingAgreement:
    """One of this hub's agreements (the route's policy has decided on the hub)."""
    return perm.record_or_deny(
        InformationSharingAgreement,
        isa_id,
        lambda user, isa: isa.hub_id == hub.id,
        "manage_isas",
        hub=hub,
    )


def _date_value(form, name: str) -> str | None:
    """GOV.UK date input: three boxes (day, month, year) into one ISO date for marshmallow."""
    parts = [form.get(f"{name}-{p}", "").strip() for p in ("day", "month", "year")]
    if not any(parts):
        return None
    if not all(p.isdigit() for p in parts):
        return "not a date"
    day, month, year = parts
    return f"{year:0>4}-{month:0>2}-{day:0>2}"


def _isa_data(form) -> tuple[dict, list[int]]:
    """The submitted agreement as the service wants it, and the agency id of each signatory
    row (to put nested errors back beside the right agency)."""
    data = {
        k: form.get(k, "").strip()
        for k in ("reference", "title", "purpose", "legal_basis", "status")
        if form.get(k, "").strip()
    }
    for name in DATE_FIELDS:
        value = _date_value(form, name)
        if value is not None:
            data[name] = value
    data["categories"] = form.getlist("categories")
    signatories, order = [], []
    for key in form:
        match = SIGNED.match(key)
        if not match or form.get(key) != "yes":
            continue
        agency_id = int(match.group(1))
        row = {"agency_id": agency_id}
        if form.get(f"signed_by-{agency_id}", "").strip():
            row["signed_by"] = form[f"signed_by-{agency_id}"].strip()
        signed_on = _date_value(form, f"signed_on-{agency_id}")
        if signed_on is not None:
            row["signed_on"] = signed_on
        signatories.append(row)
        order.append(agency_id)
    data["signatories"] = signatories
    return data, order


def _isa_errors(messages: dict, order: list[int]) -> FormErrors:
    messages = dict(messages)
    nested = messages.pop("signatories", None)
    if isinstance(nested, dict):
        for index, fields in nested.items():
            agency_id = order[int(index)] if str(index).isdigit() else None
            for field, text in fields.items():
                messages[f"{field}-{agency_id}"] = text
    elif nested:
        messages["signatories"] = nested
    # GOV.UK date inputs are linked from the summary by their first box.
    for name in DATE_FIELDS:
        if name in messages:
            messages[f"{name}-day"] = messages.pop(name)
    return FormErrors(messages)


def _form_from_isa(isa: InformationSharingAgreement) -> MultiDict:
    form = MultiDict()
    for name in ("reference", "title", "purpose", "legal_basis", "status"):
        form[name] = getattr(isa, name)
    for name in DATE_FIELDS:
        value = getattr(isa, name)
        if value:
            form[f"{name}-day"], form[f"{name}-month"], form[f"{name}-year"] = (
                str(value.day),
                str(value.month),
                str(value.year),
            )
    for category in sorted(isa.category_values):
        form.add("categories", category)
    for s in isa.signatories:
        form[f"signed-{s.agency_id}"] = "yes"
        form[f"signed_by-{s.agency_id}"] = s.signed_by
        on = s.signed_on
        form[f"signed_on-{s.agency_id}-day"] = str(on.day)
        form[f"signed_on-{s.agency_id}-month"] = str(on.month)
        form[f"signed_on-{s.agency_id}-year"] = str(on.year)
    form["version"] = str(isa.version)
    return form


def _audit_refusal(action: str, hub: Hub, target, messages: dict) -> None:
    """A refused change is recorded (which fields, never the values typed): a tampered agency
    or category shows up in the log beside honest mistakes."""
    audit.record(
        action,
        outcome="denied",
        user=current_user,
        hub=hub,
        target=target,
        details={"fields": audit.field_names(messages)},
        commit=True,
    )


def _render_isa_form(hub, form, errors, isa=None):
    return render_template(
        "sharing/isa_form.html",
        hub=hub,
        isa=isa,
        form=form,
        errors=errors,
        statuses=[(s.value, agreements.STATUS_LABELS[s]) for s in IsaStatus],
        categories=list(DataCategory),
        partners=list(hub.agencies),
    ), (400 if errors else 200)


@bp.get("/hubs/<slug>/isas")
@perm.requires("manage_isas")
def isa_list(hub: Hub):
    return render_template(
        "sharing/isa_list.html",
        hub=hub,
        isas=agreements.hub_isas(hub),
        labels=agreements.STATUS_LABELS,
        today=perm.hub_today(),
    )


@bp.route("/hubs/<slug>/isas/new", methods=["GET", "POST"])
@perm.requires("manage_isas")
def isa_new(hub: Hub):
    if request.method == "GET":
        return _render_isa_form(hub, MultiDict({"status": IsaStatus.DRAFT.value}), FormErrors())
    data, order = _isa_data(request.form)
    created = attempt(agreements.create_isa, hub, data, actor=current_user)
    if not created:
        _audit_refusal("isa_change_refused", hub, None, created.messages)
        return _render_isa_form(hub, request.form, _isa_errors(created.messages, order))
    isa = created.result
    flash(f"Agreement {isa.reference} is saved as version 1.", "success")
    return redirect(url_for("sharing.isa_show", slug=hub.slug, isa_id=isa.id))


@bp.get("/hubs/<slug>/isas/<int:isa_id>")
@perm.requires("manage_isas")
def isa_show(hub: Hub, isa_id: int):
    isa = _isa_or_deny(hub, isa_id)
    names = register.agency_names(s.agency_id for s in isa.signatories)
    return render_template(
        "sharing/isa_show.html",
        hub=hub,
        isa=isa,
        names=names,
        labels=agreements.STATUS_LABELS,
        category_text=", ".join(DataCategory(c).label for c in sorted(isa.category_values)),
    )


@bp.route("/hubs/<slug>/isas/<int:isa_id>/edit", methods=["GET", "POST"])
@perm.requires("manage_isas")
def isa_edit(hub: Hub, isa_id: int):
    isa = _isa_or_deny(hub, isa_id)
    if request.method == "GET":
        return _render_isa_form(hub, _form_from_isa(isa), FormErrors(), isa)
    data, order = _isa_data(request.form)
    version = request.form.get("version")
    saved = attempt(agreements.update_isa, isa, data, actor=current_user, version=version)
    if not saved:
        isa = _isa_or_deny(hub, isa_id)
        _audit_refusal("isa_change_refused", hub, isa, saved.messages)
        form = request.form
        if saved.stale:
            # Keep what the person typed, but let the next save apply to the current version.
            form = MultiDict(request.form)
            form["version"] = str(isa.version)
        return _render_isa_form(hub, form, _isa_errors(saved.messages, order), isa)
    flash(f"Agreement {isa.reference} is saved as version {isa.version}.", "success")
    return redirect(url_for("sharing.isa_show", slug=hub.slug, isa_id=isa.id))


@bp.get("/hubs/<slug>/isas/<int:isa_id>/history")
@perm.requires("manage_isas")
def isa_history(hub: Hub, isa_id: int):
    isa = _isa_or_deny(hub, isa_id)
    versions = agreements.isa_versions(isa)
    agency_ids = {s["agency_id"] for v in versions for s in v.snapshot.get("signatories", [])}
    return render_template(
        "sharing/isa_history.html",
        hub=hub,
        isa=isa,
        versions=versions,
        names=register.agency_names(agency_ids),
        labels={s.value: agreements.STATUS_LABELS[s] for s in IsaStatus},
        category_labels={c.value: c.label for c in DataCategory},
    )


# -- case membership ---------------------------------------------------------------------------


def _render_members(case: Case, errors: FormErrors, form):
    members = members_service.case_members(case)
    return render_template(
        "sharing/members.html",
        case=case,
        members=members,
        agency_names=register.agency_names(m.agency_id for m in members),
        user_names=register.user_names(
            {m.added_by_id for m in members} | {m.removed_by_id for m in members}
        ),
        addable=members_service.addable_agencies(case),
        routes=members_service.ROUTE_LABELS,
        may_use_hub_manager_route=perm.can_manage_hub(current_user, case.hub),
        errors=errors,
        form=form,
    ), (400 if errors else 200)


@bp.get("/cases/<int:case_id>/members")
@perm.requires("manage_case_membership")
def members(case: Case):
    return _render_members(case, FormErrors(), {})


@bp.post("/cases/<int:case_id>/members")
@perm.requires("manage_case_membership")
def add_member(case: Case):
    form = {k: v.strip() for k, v in request.form.items() if k != "csrf_token" and v.strip()}
    may_use_hub_manager_route = perm.can_manage_hub(current_user, case.hub)
    added = attempt(
        members_service.add_member,
        case,
        form,
        actor=current_user,
        may_use_hub_manager_route=may_use_hub_manager_route,
    )
    if not added:
        # An agency that was never offered (another hub's) is a tampered form: on record.
        audit.record(
            "case_member_refused",
            outcome="denied",
            user=current_user,
            hub=case.hub_id,
            target=case,
            details={
                "agency_id": audit.as_code(form.get("agency_id") or "", 20),
                "fields": audit.field_names(added.messages),
            },
            commit=True,
        )
        case = db.session.get(Case, case.id)
        return _render_members(case, added.errors, form)
    flash(f"{added.result.agency.name} is now a member of case {case.reference}.", "success")
    return redirect(url_for("sharing.members", case_id=case.id))


@bp.post("/cases/<int:case_id>/members/<int:membership_id>/remove")
@perm.requires("manage_case_membership")
def remove_member(case: Case, membership_id: int):
    membership = perm.record_or_deny(
        CaseMembership,
        membership_id,
        lambda user, membership: membership.case_id == case.id,
        "case_membership",
        hub=case.hub_id,
    )
    reason = request.form.get("reason", "")
    removed = attempt(case_membership.remove_member, case, membership, reason, actor=current_user)
    if not removed:
        case = db.session.get(Case, case.id)
        _audit_refusal("case_member_refused", case.hub, case, removed.messages)
        messages = {f"reason-{membership_id}": v for v in removed.messages.values()}
        return _render_members(case, FormErrors(messages), {f"reason-{membership_id}": reason})
    flash(f"{membership.agency.name} is no longer a member of case {case.reference}.", "success")
    return redirect(url_for("sharing.members", case_id=case.id))


# -- disclosure register -----------------------------------------------------------------------


@bp.get("/cases/<int:case_id>/disclosures")
@perm.requires("see_disclosures")
def disclosures(case: Case):
    scope = perm.disclosure_scope(current_user, case)
    rows = register.disclosure_rows(case, None if scope == "all" else current_user.agency_id)
    names = register.agency_names(
        {d.from_agency_id for d, _ in rows} | {d.to_agency_id for d, _ in rows}
    )
    html = render_template(
        "sharing/disclosures.html",
        case=case,
        rows=rows,
        names=names,
        scope=scope,
        category_labels={c.value: c.label for c in DataCategory},
    )
    # Recorded after rendering: committing first would expire every row on the page.
    audit.record(
        "disclosure_register_viewed",
        user=current_user,
        hub=case.hub_id,
        target=case,
        details={"scope": scope, "rows": len(rows)},
        commit=True,
    )
    return html
