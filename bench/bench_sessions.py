"""What server-side sessions cost a signed-in page: SQL statements and time per request.

Run: .venv/bin/python bench/bench_sessions.py [N]

Builds the test world in a throwaway SQLite database, signs a coordinator in, then for three
pages prints the statements one request runs (the session check is one of them: the session
row joined to its user, then the user's roles) and the median time of N requests (default 200).
"""

import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event  # noqa: E402

from hub.extensions import db  # noqa: E402
from tests.conftest import HubClient, make_app  # noqa: E402
from tests.support.factories import build_world  # noqa: E402

_BOOKKEEPING = ("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT", "ROLLBACK")


def main(n: int) -> None:
    app = make_app(f"sqlite:///{tempfile.mkdtemp()}/hub.sqlite3", {})
    logging.getLogger("hub.request").setLevel(logging.WARNING)  # no line per request
    with app.app_context():
        upgrade()
        world = build_world()
        db.session.commit()
        engine = db.engine
    app.test_client_class = HubClient
    client = app.test_client()
    client.sign_in(world.email["coordinator"])
    for path in ("/", "/account/", f"/hubs/{world.hub_slug}/board"):
        client.get(path)  # warm
        statements: list[str] = []

        def count(_conn, _cursor, statement, *_, into=statements):
            if not statement.lstrip().upper().startswith(_BOOKKEEPING):
                into.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        client.get(path)
        event.remove(engine, "before_cursor_execute", count)
        times = []
        for _ in range(n):
            started = time.perf_counter()
            client.get(path)
            times.append((time.perf_counter() - started) * 1000)
        print(
            f"{path:<24} statements {len(statements):>2}   "
            f"median {statistics.median(times):5.1f} ms over {n} requests"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
