"""police.uk import speed: 100,000 synthetic street rows shaped like the real files, imported
into an empty hub and then again (every row already held), on PostgreSQL and on SQLite.
Run: .venv/bin/python bench/bench_police_uk_import.py [ROWS]
     (BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test; SQLite in a
     temporary folder). Target: under 20 s for 100,000 rows on each.
Rows: a third ASB (no Crime ID; some identical to each other, as police.uk publishes them),
the rest other crime types with a Crime ID, 5% with "No Location", 5% outside the area.
"""

import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere
from _pg import own_schema  # noqa: E402  (bench/ is on sys.path)
from flask_migrate import upgrade  # noqa: E402

from hub import create_app  # noqa: E402
from hub.analytics import area, police_uk  # noqa: E402
from hub.analytics.police_uk import COLUMNS, SourceFile  # noqa: E402
from hub.config import normalise_database_url  # noqa: E402
from hub.extensions import db  # noqa: E402
from hub.models import Hub  # noqa: E402

URL = normalise_database_url(
    os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
)
TARGET_S = 20.0
CRIMES = ["Other theft", "Shoplifting", "Violence and sexual offences", "Burglary", "Drugs"]


def synthetic(rows: int, seed: int = 15) -> bytes:
    rnd = random.Random(seed)
    lines = [",".join(COLUMNS)]
    for i in range(rows):
        month = f"20{16 + i * 3 // rows}-{1 + i % 12:02d}"
        lsoa = ("E01032739", "City of London 001F")
        if rnd.random() < 0.05:
            lsoa = ("E01004307", "Tower Hamlets 015B")
        lon, lat = f"{-0.11 + rnd.random() * 0.04:.6f}", f"{51.505 + rnd.random() * 0.02:.6f}"
        place = f"On or near Street {rnd.randrange(400)}"
        if rnd.random() < 0.05:
            lon = lat = ""
            place, lsoa = "No Location", ("", "")
        if i % 3 == 0:
            # ASB: no Crime ID; snapped to few points, so identical rows occur.
            lon, lat = f"{-0.09 + rnd.randrange(40) / 2000:.6f}", f"{51.515:.6f}"
            lines.append(
                f",{month},City Police,City Police,{lon},{lat},{place},{lsoa[0]},"
                f"{lsoa[1]},Anti-social behaviour,,"
            )
        else:
            crime_id = f"{rnd.getrandbits(256):064x}"
            lines.append(
                f"{crime_id},{month},City Police,City Police,{lon},{lat},{place},"
                f"{lsoa[0]},{lsoa[1]},{rnd.choice(CRIMES)},Under investigation,"
            )
    return ("\n".join(lines) + "\n").encode()


def run(url: str, options: dict, label: str, content: bytes, rows: int) -> None:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": options,
            "SCHEDULER_IN_PROCESS": False,
            "SECRET_KEY": "bench",
        }
    )
    with app.app_context():
        upgrade()
        hub = Hub(slug="bench", name="Bench Hub", area="")
        db.session.add(hub)
        db.session.flush()
        area.set_places(hub, ["City of London"])
        db.session.commit()
        for attempt in ("first", "again"):
            job = police_uk.start(hub, source="command", all_crimes=True)
            db.session.commit()
            started = time.perf_counter()
            police_uk.run(job, [SourceFile("bench.csv", content)], lambda _j: db.session.commit())
            seconds = time.perf_counter() - started
            verdict = "OK" if seconds < TARGET_S else "SLOWER THAN TARGET"
            print(
                f"{label:<10} {attempt:<6} {rows:,} rows: {seconds:6.2f} s "
                f"({rows / seconds:,.0f} rows/s), added {job.added:,}, "
                f"skipped {sum(job.skipped.values()):,}  [{verdict}: target {TARGET_S:.0f} s]"
            )
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    content = synthetic(rows)
    print(f"{rows:,} synthetic rows, {len(content) / 1e6:.1f} MB")
    with own_schema(URL, "import") as schema:
        run(
            URL,
            {"connect_args": {"options": f"-csearch_path={schema}"}},
            "PostgreSQL",
            content,
            rows,
        )
    folder = tempfile.mkdtemp(prefix="bench-import-")
    run(f"sqlite:///{folder}/bench.sqlite3", {}, "SQLite", content, rows)


if __name__ == "__main__":
    main()
