"""Evidence and documents on a case: diary sheets, photos, noise recordings, letters, witness
statements. Each upload is checked by its content (hub.core.uploads) and size before anything
is kept, stored outside the web root (hub.core.storage) under a key the hub makes, and recorded
with a data category and an optional restriction like every other record. A download passes
hub.permissions and is audited, and a download of another agency's file is a disclosure.
Callers commit; a caller whose commit fails calls discard() so no file outlives its record."""

import hashlib
from functools import cache

from marshmallow import ValidationError
from sqlalchemy import Select
from sqlalchemy.orm import joinedload

from hub import audit
from hub import permissions as perm
from hub.casework.activity import log
from hub.casework.checks import check_category, restrict, restriction
from hub.casework.schemas import EvidenceSchema
from hub.core import storage, uploads
from hub.core.locking import add_once, submitted_before
from hub.models import Case, Evidence, Stage


def upload_evidence(case: Case, data: dict, upload, *, actor, max_bytes: int) -> Evidence:
    """`upload`: (the file's name, its bytes, at most max_bytes + 1 of them), or None."""
    data = EvidenceSchema().load(data)
    earlier = submitted_before(Evidence, case.id, data["form_token"])
    if earlier is not None:
        return earlier  # the same form sent twice: one file
    if case.stage == Stage.CLOSED.value:
        raise ValidationError({"file": ["This case is closed: it takes no new evidence"]})
    check_category(actor, case, data["category"])
    restricted_to = restriction(case, data, actor, "the evidence")
    if upload is None or not upload[0]:
        raise ValidationError({"file": ["Choose a file to upload"]})
    filename, content = upload
    try:
        kind = uploads.check(filename, content, max_bytes=max_bytes)
    except uploads.UploadRefused as refused:
        raise ValidationError({"file": [str(refused)]}) from None
    store = storage.evidence_store()
    key = store.put(content)
    try:
        item = Evidence(
            case_id=case.id,
            kind=data["kind"],
            description=data["description"],
            filename=uploads.display_name(filename),
            file_type=kind.key,
            content_type=kind.content_type,
            size_bytes=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            storage_key=key,
            category=data["category"],
            origin_agency_id=actor.agency_id,
            restricted=restricted_to is not None,
            uploaded_by_id=actor.id,
            form_token=data["form_token"],
        )
        added = add_once(item)
        if added is not item:
            store.delete(key)  # a race with the same form: the first one's file stands
            return added
        restrict(item, restricted_to)
        audit.record(
            "evidence_uploaded",
            user=actor,
            hub=case.hub_id,
            target=item,
            details={
                "case_id": case.id,
                "kind": item.kind,
                "type": item.file_type,
                "length": item.size_bytes,
                "category": item.category,
                "restricted_to": sorted(restricted_to) if restricted_to is not None else None,
            },
        )
        log(case, actor, "evidence_uploaded", f"Uploaded: {item.kind_label}", record=item)
    except BaseException:
        store.delete(key)
        raise
    return item


def discard(item: Evidence) -> None:
    """Remove the stored file of a record whose transaction did not commit."""
    storage.evidence_store().delete(item.storage_key)


class EvidenceMissing(LookupError):
    """The record exists but its file is gone or altered: never serve something else."""


def download(case: Case, item: Evidence, *, actor) -> bytes:
    """The file's bytes, for a user hub.permissions has let see the record; audited, and a
    disclosure when the file came from another agency. The caller commits."""
    try:
        content = storage.evidence_store().get(item.storage_key)
    except (OSError, KeyError):
        raise EvidenceMissing(item.id) from None
    if hashlib.sha256(content).hexdigest() != item.sha256:
        raise EvidenceMissing(item.id)
    perm.record_read(actor, case, [item], what="evidence file")
    audit.record(
        "evidence_downloaded",
        user=actor,
        hub=case.hub_id,
        target=item,
        details={"case_id": case.id, "record_id": item.id, "category": item.category},
    )
    return content


def listing(user, case: Case) -> list[Evidence]:
    """The case's evidence this user may see, newest first (one query); the list shows kinds,
    names and descriptions, so reading it is audited like any record."""
    return perm.read_case_records(user, case, _case_evidence(), what="evidence")


@cache
def _case_evidence() -> Select:
    return (
        perm.case_records(Evidence)
        .options(joinedload(Evidence.agency))
        .order_by(Evidence.uploaded_at.desc(), Evidence.id.desc())
    )
