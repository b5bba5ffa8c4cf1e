"""police.uk street-level files become the hub's place-level context incidents.

Two passes over the files of one import:

1. check: every file is read through; a malformed one (not UTF-8, a header without
   police.uk's columns, a row with the wrong number of fields, a quote never closed) refuses
   the whole import with its file, line and column, before anything is written;
2. import: each row is kept or skipped with a reason (no month, bad coordinates, another
   crime type when only ASB is asked for, outside the hub's area), and the kept rows are
   inserted in batches that skip what the hub already holds (unique (hub, source_key)). Each
   batch is committed with the import's progress, so a stopped import resumes after it.

Rows are matched to places as repeat matching does: the same ~50 m grid cell
(referrals.normalise.grid_cell), so a referral's and a case's place history count them.
"""

import csv
import hashlib
import io
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from marshmallow import ValidationError
from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from hub import audit
from hub.analytics.area import AreaCheck, places_of
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import (
    ContextIncident,
    ContextMonthCount,
    Hub,
    ImportStatus,
    PoliceUkImport,
    PoliceUkUpload,
)
from hub.models.analytics import ASB
from referrals.normalise import grid_cell

COLUMNS = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)
BATCH = 5000

SKIP_REASONS = {
    "no_month": "No month, or not a month like 2017-02",
    "not_asb": "Another crime type (only antisocial behaviour was asked for)",
    "bad_coordinates": "Missing or impossible coordinates (police.uk's “No Location”)",
    "outside_area": "Outside the hub's area",
    "already_imported": "Already imported (the same Crime ID, or the same row)",
}
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class Malformed(ValueError):
    """A file that is not a police.uk street file; nothing of the import is written."""

    def __init__(self, name: str, line: int, column: int, problem: str):
        self.name, self.line, self.column, self.problem = name, line, column, problem
        super().__init__(f"{name}: line {line}, column {column}: {problem}")


class NoArea(ValueError):
    """The hub has no area, so no row can be checked against it."""


@dataclass(frozen=True)
class SourceFile:
    name: str
    content: bytes

    @classmethod
    def from_path(cls, path: Path) -> "SourceFile":
        return cls(path.name, path.read_bytes())


def files_at(paths: list[Path]) -> list[SourceFile]:
    """The CSV files named, and those inside directories named, in name order."""
    found: list[Path] = []
    for path in paths:
        found.extend(sorted(path.rglob("*.csv")) if path.is_dir() else [path])
    return [SourceFile.from_path(p) for p in found]


# -- pass 1: the shape of each file -------------------------------------------------------------


def _text(source: SourceFile) -> str:
    try:
        return source.content.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        before = source.content[: err.start]
        line = before.count(b"\n") + 1
        column = err.start - (before.rfind(b"\n") + 1) + 1
        raise Malformed(source.name, line, column, "this is not UTF-8 text") from None


def _quote_problem(text: str, start_line: int) -> tuple[int, int, str]:
    """Where a record the csv module refused goes wrong: (line, column, problem)."""
    lines = text.split("\n")
    chunk = "\n".join(lines[start_line - 1 :])
    line, column, state, opened = start_line, 0, "start", (start_line, 1)
    for char in chunk:
        column += 1
        if state == "quoted":
            state = "closing" if char == '"' else "quoted"
        elif state == "closing":
            if char == '"':
                state = "quoted"
            elif char in ",\r\n":
                state = "start"
            else:
                return line, column, "a comma must follow a closing quote"
        elif char == '"' and state == "start":
            state, opened = "quoted", (line, column)
        elif char == ",":
            state = "start"
        elif char != "\n":
            state = "unquoted" if state == "start" else state
        if char == "\n":
            if state in ("start", "unquoted", "closing"):
                break
            line, column = line + 1, 0
    return opened[0], opened[1], "a quoted field is never closed"


def _records(source: SourceFile) -> Iterator[tuple[int, list[str]]]:
    """(line, fields) of each data row after checking the header. Raises Malformed."""
    text = _text(source)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error:
        raise Malformed(source.name, *_quote_problem(text, 1)) from None
    if header is None:
        raise Malformed(source.name, 1, 1, "the file is empty")
    if [h.strip() for h in header] != list(COLUMNS):
        missing = [c for c in COLUMNS if c not in [h.strip() for h in header]]
        problem = (
            "the header lacks police.uk's columns: " + ", ".join(missing)
            if missing
            else "the header's columns are not in police.uk's order"
        )
        raise Malformed(source.name, 1, 1, problem)
    line = reader.line_num
    while True:
        start = line + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise Malformed(source.name, *_quote_problem(text, start)) from None
        line = reader.line_num
        if not fields:
            continue  # a blank line
        if len(fields) != len(COLUMNS):
            column = sum(len(f) + 1 for f in fields[: len(COLUMNS)]) + 1
            if len(fields) < len(COLUMNS):
                column = sum(len(f) + 1 for f in fields)
            raise Malformed(
                source.name,
                start,
                column,
                f"expected {len(COLUMNS)} fields, found {len(fields)}",
            )
        yield start, fields


def check(sources: list[SourceFile]) -> list[int]:
    """Read every file through; the number of data rows in each. Raises Malformed."""
    return [sum(1 for _ in _records(source)) for source in sources]


# -- pass 2: each row kept or skipped -----------------------------------------------------------


def _month(value: str) -> date | None:
    match = _MONTH.match(value.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        return None
    return date(int(match.group(1)), int(match.group(2)), 1)


def _coordinates(lon: str, lat: str) -> tuple[float, float] | None:
    try:
        x, y = float(lon), float(lat)
    except ValueError:
        return None
    # Within the UK, as a referral's location must be.
    return (y, x) if 49.8 <= y <= 60.9 and -8.7 <= x <= 1.8 else None


@dataclass
class Row:
    """One data row's fate: a dict of column values to insert, or the reason it was skipped."""

    values: dict | None = None
    reason: str | None = None


@dataclass
class Classifier:
    hub_id: int
    area: AreaCheck
    all_crimes: bool
    import_id: int | None = None
    _seen: Counter = field(default_factory=Counter)

    def start_file(self) -> None:
        self._seen = Counter()  # identical rows are counted within one file

    def row(self, fields: list[str]) -> Row:
        crime_id, month, reported_by, _falls, lon, lat, location, code, name, kind, outcome, _ = (
            f.strip() for f in fields
        )
        # The key is decided first, from the row as published, so that it never depends on
        # the reason a row is skipped.
        if crime_id:
            key = crime_id if len(crime_id) <= 80 else hashlib.sha256(crime_id.encode()).hexdigest()
        else:
            digest = hashlib.sha256("\x1f".join(fields).encode()).hexdigest()[:40]
            self._seen[digest] += 1
            key = f"r:{digest}:{self._seen[digest]}"
        first_day = _month(month)
        if first_day is None:
            return Row(reason="no_month")
        is_asb = kind == ASB
        if not is_asb and not self.all_crimes:
            return Row(reason="not_asb")
        point = _coordinates(lon, lat)
        if point is None:
            return Row(reason="bad_coordinates")
        if not self.area.contains(code, name):
            return Row(reason="outside_area")
        return Row(
            values={
                "hub_id": self.hub_id,
                "import_id": self.import_id,
                "source_key": key,
                "month": first_day,
                "month_index": first_day.year * 12 + first_day.month - 1,
                "crime_type": kind[:60],
                "is_asb": is_asb,
                "reported_by": reported_by[:100],
                "location": location[:200],
                "lsoa_code": code[:12],
                "lsoa_name": name[:100],
                "lat": point[0],
                "lon": point[1],
                "cell": grid_cell(*point),
                "outcome": outcome[:150],
            }
        )


def _insert_new(rows: list[dict]) -> None:
    """Insert the rows the hub does not hold yet: one executemany of INSERT ... ON CONFLICT
    DO NOTHING (pipelined by psycopg; SQLite's own executemany)."""
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    build = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = build(ContextIncident).on_conflict_do_nothing(
        index_elements=["hub_id", "source_key"]
    )
    db.session.execute(statement, rows)


def recount(hub_id: int, months: set[date]) -> None:
    """Bring the hub's monthly counts up to date for the months a batch touched: two
    statements, counting those months' rows afresh (exact, however often re-run)."""
    if not months:
        return
    db.session.execute(
        delete(ContextMonthCount).where(
            ContextMonthCount.hub_id == hub_id, ContextMonthCount.month.in_(months)
        )
    )
    db.session.execute(
        insert(ContextMonthCount).from_select(
            ["hub_id", "month", "is_asb", "incidents"],
            select(
                ContextIncident.hub_id,
                ContextIncident.month,
                ContextIncident.is_asb,
                func.count(),
            )
            .where(ContextIncident.hub_id == hub_id, ContextIncident.month.in_(months))
            .group_by(ContextIncident.hub_id, ContextIncident.month, ContextIncident.is_asb),
        )
    )


def _added_by(job: PoliceUkImport) -> int:
    """Rows this import has written, counted in the table (exact, across resumed runs)."""
    return db.session.execute(
        select(func.count()).where(ContextIncident.import_id == job.id)
    ).scalar_one()


# -- running an import --------------------------------------------------------------------------

Progress = Callable[[PoliceUkImport], None]


def start(hub: Hub, *, source: str, all_crimes: bool, user=None, uploads=()) -> PoliceUkImport:
    """Record a new import (queued). `uploads`: PoliceUkUpload rows to attach."""
    job = PoliceUkImport(
        hub_id=hub.id,
        source=source,
        requested_by_id=getattr(user, "id", None),
        all_crimes=all_crimes,
        status=ImportStatus.QUEUED.value,
        skipped={},
        files=[],
    )
    job.uploads = list(uploads)
    db.session.add(job)
    db.session.flush()
    audit.record(
        "police_uk_import_requested",
        user=user,
        hub=hub,
        target=job,
        details={
            "source": source,
            "kind": "all_crimes" if all_crimes else "asb",
            "count": len(job.uploads),
        },
    )
    return job


def run(job: PoliceUkImport, sources: list[SourceFile], commit: Progress) -> PoliceUkImport:
    """Check, then import, `sources` for `job`'s hub. `commit(job)` is called after each batch
    (it commits, and may show progress); rows already done by an earlier, stopped run of the
    same job are passed over. A malformed file or a hub without an area refuses the import,
    with nothing written."""
    hub = db.session.get(Hub, job.hub_id)
    now = utcnow()
    job.status, job.started_at, job.heartbeat_at = ImportStatus.RUNNING.value, now, now
    try:
        area = AreaCheck(places_of(hub))
        if not area:
            raise NoArea(
                f"{hub.name} has no area yet: say which local authority areas it covers "
                "before importing"
            )
        counts = check(sources)
    except (Malformed, NoArea) as err:
        return _refuse(job, hub, str(err), commit)
    job.rows_total = sum(counts)
    job.files = [{"name": s.name, "rows": n} for s, n in zip(sources, counts, strict=True)]
    commit(job)
    classify = Classifier(hub.id, area, job.all_crimes, job.id)
    already, seen = job.rows_done, 0
    skipped = Counter(job.skipped or {})
    batch: list[dict] = []

    def flush() -> None:
        _insert_new(batch)
        recount(hub.id, {row["month"] for row in batch})
        added = _added_by(job)
        skipped["already_imported"] += len(batch) - (added - job.added)
        job.added = added
        job.skipped = dict(skipped)
        job.rows_done = seen
        job.heartbeat_at = utcnow()
        batch.clear()
        commit(job)

    for source in sources:
        classify.start_file()
        for _line, fields in _records(source):
            row = classify.row(fields)
            seen += 1
            if seen <= already:
                continue  # done by an earlier run of this import
            if row.reason:
                skipped[row.reason] += 1
            else:
                batch.append(row.values)
            if seen % BATCH == 0:
                flush()
    flush()
    job.status, job.finished_at = ImportStatus.DONE.value, utcnow()
    _drop_uploads(job)
    audit.record(
        "police_uk_imported",
        hub=hub,
        user=None,
        target=job,
        details={"rows": job.rows_done, "count": job.added},
    )
    commit(job)
    return job


def _refuse(job: PoliceUkImport, hub: Hub, message: str, commit: Progress) -> PoliceUkImport:
    job.status, job.error, job.finished_at = ImportStatus.REFUSED.value, message, utcnow()
    _drop_uploads(job)
    audit.record(
        "police_uk_import_refused",
        hub=hub,
        target=job,
        outcome="refused",
        details={"status": ImportStatus.REFUSED.value},
    )
    commit(job)
    return job


def _drop_uploads(job: PoliceUkImport) -> None:
    """The uploaded bytes are only the import's input: once it has finished, keep the names
    and sizes, not the content."""
    for upload in job.uploads:
        upload.content = None


MAX_FILES = 24


def accept_upload(hub: Hub, files: list[tuple[str, bytes]], *, all_crimes: bool, user):
    """Queue an upload for the scheduler: the files are kept with the import until it has
    run. Raises ValidationError (field "files") for no file, or one that is not a CSV."""
    if not files:
        raise ValidationError({"files": ["Choose one or more police.uk street files (.csv)"]})
    if len(files) > MAX_FILES:
        raise ValidationError({"files": [f"Choose {MAX_FILES} files or fewer at a time"]})
    for name, content in files:
        if not name.lower().endswith(".csv"):
            raise ValidationError({"files": [f"{name} is not a .csv file"]})
        if not content.strip():
            raise ValidationError({"files": [f"{name} is empty"]})
    uploads = [
        PoliceUkUpload(position=i, filename=name[:200], size=len(content), content=content)
        for i, (name, content) in enumerate(files)
    ]
    return start(hub, source="upload", all_crimes=all_crimes, user=user, uploads=uploads)


def recent(hub: Hub, limit: int = 20) -> list[PoliceUkImport]:
    return list(
        db.session.execute(
            select(PoliceUkImport)
            .where(PoliceUkImport.hub_id == hub.id)
            .order_by(PoliceUkImport.id.desc())
            .limit(limit)
        ).scalars()
    )


# -- the scheduler's side: uploads waiting, and imports that stopped ---------------------------

STALE_AFTER = timedelta(minutes=2)  # a running import commits far more often than this


def claim_next(now: datetime) -> PoliceUkImport | None:
    """The oldest upload waiting, or an import whose runner stopped mid-way (no progress for
    STALE_AFTER), claimed for this process by a conditional UPDATE so two schedulers never
    run the same one."""
    waiting = or_(
        PoliceUkImport.status == ImportStatus.QUEUED.value,
        (PoliceUkImport.status == ImportStatus.RUNNING.value)
        & (PoliceUkImport.heartbeat_at < now - STALE_AFTER),
    )
    candidates = db.session.execute(
        select(PoliceUkImport.id, PoliceUkImport.heartbeat_at)
        .where(PoliceUkImport.source == "upload", waiting)
        .order_by(PoliceUkImport.id)
        .limit(5)
    ).all()
    for job_id, beat in candidates:
        claimed = db.session.execute(
            update(PoliceUkImport)
            .where(
                PoliceUkImport.id == job_id,
                waiting,
                PoliceUkImport.heartbeat_at.is_(None)
                if beat is None
                else PoliceUkImport.heartbeat_at == beat,
            )
            .values(status=ImportStatus.RUNNING.value, heartbeat_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount == 1:
            db.session.commit()
            return db.session.get(PoliceUkImport, job_id)
    return None


def run_waiting(now: datetime) -> list[int]:
    """Run every upload waiting (and resume stopped ones), committing as each goes."""
    done = []
    while (job := claim_next(now)) is not None:
        sources = [SourceFile(u.filename, u.content or b"") for u in job.uploads]
        try:
            run(job, sources, lambda _job: db.session.commit())
        except Exception:
            db.session.rollback()
            job = db.session.get(PoliceUkImport, job.id)
            job.status, job.finished_at = ImportStatus.FAILED.value, utcnow()
            job.error = "The import stopped with an unexpected error; what it added is kept, "
            job.error += "and importing the same files again adds only the rest."
            db.session.commit()
            raise
        done.append(job.id)
    return done


def skip_lines(job: PoliceUkImport) -> list[tuple[str, int]]:
    """(reason in words, rows) for the report, in the order SKIP_REASONS lists them."""
    return [
        (label, job.skipped[key]) for key, label in SKIP_REASONS.items() if job.skipped.get(key)
    ]
