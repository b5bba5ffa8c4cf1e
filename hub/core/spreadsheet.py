"""CSV for people who open it in a spreadsheet: a text cell that a spreadsheet would run as a
formula (or a DDE command) is made plain text with a leading apostrophe.

Spreadsheets skip leading spaces and line breaks, and some read full-width signs as their
ASCII twins, so those count too (OWASP's CSV injection advice, widened)."""

import csv
import io

TRIGGERS = frozenset("=+-@|%\t\r") | frozenset("\uff1d\uff0b\uff0d\uff20\uff5c\uff05")
BLANKS = " \t\r\n\u3000\u00a0"


def safe_cell(value) -> str | int | float:
    """The value as a CSV cell a spreadsheet shows and never runs. Numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        text = str(value)
        stripped = text.lstrip(BLANKS)
        if stripped[:1] in TRIGGERS or (text[:1] in TRIGGERS):
            return "'" + text
        return text
    return value


def to_csv(header: list, rows: list[list]) -> str:
    """A whole CSV document, every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return buffer.getvalue()
