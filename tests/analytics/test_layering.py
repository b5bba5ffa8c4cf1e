"""Analytics is a top-rank area: it reads other areas' models and services, and nothing but
the application's frame (its blueprint, the CLI, the job list) imports it."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = {"hub/blueprints/analytics.py", "hub/cli.py", "hub/jobs.py"}


def test_only_the_frame_imports_analytics():
    offenders = []
    for base in ("hub", "referrals", "scoring"):
        for path in (ROOT / base).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith("hub/analytics/") or rel in ALLOWED:
                continue
            for node in ast.walk(ast.parse(path.read_text(), filename=rel)):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    names = [node.module or ""]
                if any(n == "hub.analytics" or n.startswith("hub.analytics.") for n in names):
                    offenders.append(rel)
    assert offenders == []
