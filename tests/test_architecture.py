"""The shape of the code: dependencies point one way; every route declares a policy."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("flask", "sqlalchemy", "flask_sqlalchemy", "hub", "referrals", "marshmallow")


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
