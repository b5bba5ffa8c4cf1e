"""The shape of the code: dependencies point one way, no import circles, no import hidden in a
function to dodge one, and every route declares a policy.

RANKS is the order of the packages: a unit may import units of a LOWER rank (a larger number)
and never one of its own rank or above. An area that must react to another's event uses a
named signal (hub.core.signals) instead of importing upwards.
"""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

from hub import cli
from hub.core import signals
from tests.support.architecture import against_the_grain, circles, read_imports, unplaced

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("flask", "sqlalchemy", "flask_sqlalchemy", "hub", "referrals", "marshmallow")
PACKAGES = ("hub", "referrals", "scoring")
ROOTS = {"hub"}  # hub/__init__.py is the factory: "hub" ranks that module only

RANKS = {
    # The frame: the factory, which loads the routes and the command line.
    "hub": 0,
    # The command line (and every area's scheduled jobs); the routes, one thin blueprint per
    # area.
    "hub.cli": 1,
    "hub.blueprints": 1,
    # The demo hub, built through the areas' own services; analytics, which reads every other
    # area's figures and which nothing else imports.
    "hub.demo": 2,
    "hub.analytics": 2,
    # The home page's "today": reads from triage, conferences, casework and sharing.
    "hub.today": 2,
    # Conferences decide on referrals (triage) and write decisions into cases (casework).
    "hub.conferences": 3,
    # The lessons library: reads evaluations and writes a case's side through casework.
    "hub.lessons": 3,
    # Areas side by side: none imports another.
    "referrals": 4,
    "hub.sharing": 4,
    "hub.organisation": 4,
    "hub.accounts": 4,
    "hub.victims": 4,  # victims and their SPoCs: writes to a case's feed through casework
    # The data lifecycle: backups, moving a hub between instances, and retention (which ends
    # case records through casework's rules on what is open).
    "hub.lifecycle": 4,
    # Casework owns every write to a case; triage, sharing and conferences call it.
    "hub.casework": 5,
    # Who may do what.
    "hub.permissions": 6,
    "hub.audit": 7,
    # The clock, which each area's jobs.py (the audit log's too) registers with.
    "hub.clock": 8,
    "hub.models": 9,
    "hub.core": 10,
    "hub.extensions": 11,
    "hub.config": 11,
    # Pure Python, importing nothing of ours.
    "scoring": 12,
    "referrals.normalise": 12,  # the matching keys that search and subject access share
}

# The factory imports the routes and the commands when it builds an application (see
# hub/__init__.py for why); nothing else imports inside a function.
IMPORTS_IN_FUNCTIONS = {("hub", "hub.blueprints"), ("hub", "hub.cli")}

# hub/ itself holds only the application's frame.
FRAME = {"__init__", "config", "extensions", "cli", "permissions"}


def _imports():
    return read_imports(ROOT, PACKAGES)


def test_every_module_has_a_place_in_the_rank_table():
    modules, _ = _imports()
    assert unplaced(modules, RANKS, ROOTS) == []


def test_imports_point_one_way():
    _, imports = _imports()
    wrong = against_the_grain(imports, RANKS, ROOTS)
    assert [str(i) for i in wrong] == []


def test_no_module_imports_itself_round_a_circle():
    modules, imports = _imports()
    assert circles(modules, imports) == []


def test_no_import_hides_in_a_function():
    _, imports = _imports()
    hidden = [i for i in imports if i.in_function]
    assert [str(i) for i in hidden if (i.importer, i.imported) not in IMPORTS_IN_FUNCTIONS] == []


def test_the_hub_package_root_holds_only_the_frame():
    loose = {p.stem for p in (ROOT / "hub").glob("*.py")}
    assert loose <= FRAME, f"move into an area package or hub/core/: {sorted(loose - FRAME)}"


def test_the_checker_finds_an_import_against_the_grain_in_the_real_tree(tmp_path):
    """The same rank table on a copy of the code with one deliberate back-up import: casework
    (rank 5) importing the conferences (rank 3)."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc"))
    board = tmp_path / "hub" / "casework" / "board.py"
    board.write_text(board.read_text() + "\nfrom hub.conferences import agenda  # noqa\n")
    _, imports = read_imports(tmp_path, PACKAGES)
    wrong = against_the_grain(imports, RANKS, ROOTS)
    assert [(i.importer, i.imported) for i in wrong] == [
        ("hub.casework.board", "hub.conferences.agenda")
    ]


def test_the_checker_finds_circles_back_up_and_hidden_imports(tmp_path):
    """A small tree with a circle (high <-> low), made of a back-up import (low -> high) and
    an import hidden in a function (middle -> high)."""
    package = tmp_path / "app"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "high.py").write_text("from app import low\n")
    (package / "middle.py").write_text("def f():\n    from app import high\n")
    (package / "low.py").write_text("import app.high\n")
    ranks = {"app.high": 0, "app.middle": 1, "app.low": 2}
    modules, imports = read_imports(tmp_path, ["app"])
    assert unplaced(modules, ranks) == ["app"]
    assert [(i.importer, i.imported) for i in against_the_grain(imports, ranks)] == [
        ("app.low", "app.high"),
        ("app.middle", "app.high"),
    ]
    assert circles(modules, imports) == [["app.high", "app.low"]]
    assert [(i.importer, i.in_function) for i in imports if i.in_function] == [("app.middle", True)]
    (package / "low.py").write_text("")
    (package / "middle.py").write_text("from app import low\n")
    modules, imports = read_imports(tmp_path, ["app"])
    assert against_the_grain(imports, ranks) == []
    assert circles(modules, imports) == []


def test_every_signal_has_a_receiver(app):
    named = {
        name: value
        for name, value in vars(signals).items()
        if not name.startswith("_") and hasattr(value, "receivers")
    }
    assert named, "hub.core.signals names no signals"
    assert [name for name, signal in named.items() if not signal.receivers] == []


def test_every_areas_jobs_module_is_loaded_by_the_frame():
    found = {
        ".".join(p.relative_to(ROOT).with_suffix("").parts) for p in (ROOT / "hub").rglob("jobs.py")
    }
    assert found == {m.__name__ for m in cli.AREA_JOBS}


def test_scoring_imports_nothing_of_flask_sqlalchemy_or_hub():
    for path in (ROOT / "scoring").rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"


def test_importing_scoring_loads_no_framework():
    code = (
        "import sys, scoring\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}]\n"
        "print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert out.stdout.strip() == ""


def test_every_route_declares_a_permission_policy(app):
    from hub.permissions import POLICIES

    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        policy = getattr(app.view_functions[rule.endpoint], "hub_policy", None)
        if policy not in POLICIES:
            missing.append(rule.rule)
    assert missing == [], f"routes without a policy: {missing}"
