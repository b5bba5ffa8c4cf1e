"""Template filters and Jinja's settings. The values every page needs (the user's hubs, the
service menu) come from the shell blueprint, hub.blueprints.main, which may ask
hub.permissions."""

import re
import secrets
from datetime import date

from flask import Flask
from markupsafe import Markup

from hub.core.timeutil import format_local, long_date

# Unicode's directional embeddings and overrides (closed by PDF) and isolates (closed by PDI).
_PDF, _PDI = "\u202c", "\u2069"
_OPENS = {
    **dict.fromkeys("\u202a\u202b\u202d\u202e", _PDF),
    **dict.fromkeys("\u2066\u2067\u2068", _PDI),
}
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def close_bidi(value):
    """A stored value with a right-to-left override left open would reorder the rest of the
    page's line: the next name, the date, the link ("report\u202efdp.exe"). Close whatever it
    opens at its own end, so each value's direction stays its own; Arabic or Hebrew text needs
    no control characters and is untouched. Applied to every {{ }} (Jinja's finalize)."""
    if not isinstance(value, str) or isinstance(value, Markup) or not _BIDI.search(value):
        return value
    pending: list[str] = []
    for char in _BIDI.findall(value):
        if char in _OPENS:
            pending.append(_OPENS[char])
        elif char == _PDF and pending and pending[-1] == _PDF:
            pending.pop()
        elif char == _PDI and _PDI in pending:  # a PDI also closes embeddings inside it
            del pending[len(pending) - 1 - pending[::-1].index(_PDI) :]
    return value + "".join(reversed(pending))


def init_app(app: Flask) -> None:
    app.jinja_env.finalize = close_bidi
    # A one-time token for a form that adds a record: sent twice, it adds one (core.locking).
    app.jinja_env.globals["new_form_token"] = lambda: secrets.token_hex(16)
    app.jinja_env.filters["local_time"] = format_local
    app.jinja_env.filters["local_date"] = lambda v: format_local(v, "%-d %B %Y")
    app.jinja_env.filters["day"] = day
    app.jinja_env.filters["long_date"] = long_date
    # For date and time inputs, filled with a stored UTC time as the London clock shows it.
    app.jinja_env.filters["local_date_iso"] = lambda v: format_local(v, "%Y-%m-%d")
    app.jinja_env.filters["local_hhmm"] = lambda v: format_local(v, "%H:%M")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def day(value) -> str:
    """A date (or its ISO text, as figures kept in JSON hold it) as '4 December 2026'."""
    if not value:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return f"{value.day} {value:%B %Y}"
