"""Working a case: the services behind the case workspace and the planner board.

Callers (blueprints) authorise through hub.permissions first; every function here validates,
refuses with a marshmallow ValidationError (or StaleEdit) before writing anything, audits each
write in the same transaction, and leaves the commit to the caller."""


class StaleEdit(Exception):  # noqa: N818 - reads as the situation, like ValidationError
    """Someone saved the same thing since this form was opened. `differences` lists
    (field label, saved now, what the user typed) so the page can show what changed while
    keeping what the user typed."""

    def __init__(self, differences: list[tuple[str, str, str]], saved_by: str | None = None):
        super().__init__("stale edit")
        self.differences = differences
        self.saved_by = saved_by
