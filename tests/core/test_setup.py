"""Issue 20, setting up: a development hub's emails are logged with their links whole, and
`make run` serves on PORT when it is given."""

import logging
import re
import shutil
import subprocess
from pathlib import Path

from hub.core import mail

ROOT = Path(__file__).resolve().parents[2]
MAKE = shutil.which("make") or "/usr/bin/make"


def test_a_logged_email_keeps_its_long_link_on_one_line(app, caplog):
    link = "http://127.0.0.1:5000/account/password/" + "a1B2c3D4" * 12 + ".token-part"
    saved = app.config.get("MAIL_BACKEND"), app.config.get("MAIL_SERVER")
    app.config["MAIL_BACKEND"], app.config["MAIL_SERVER"] = None, ""
    try:
        with app.app_context(), caplog.at_level(logging.INFO, logger="hub.mail"):
            mail.send("someone@council.example", "Focus Hub: password", f"Go to:\n{link}\n")
    finally:
        app.config["MAIL_BACKEND"], app.config["MAIL_SERVER"] = saved
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert link in logged.splitlines()
    assert "=\n" not in logged


def test_make_run_serves_on_the_port_given():
    dry = subprocess.run(
        [MAKE, "-n", "run", "PORT=8123"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert re.search(r"flask --app wsgi run .*--port 8123", dry.stdout)
    default = subprocess.run(
        [MAKE, "-n", "run"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert re.search(r"--port 5000", default.stdout)
    # Emailed links point where the hub is served, unless BASE_URL says otherwise.
    assert "http://127.0.0.1:8123" in dry.stdout
