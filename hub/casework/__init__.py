"""Working a case: the services behind the case workspace and the planner board.

Callers (blueprints) authorise through hub.permissions first; every function here validates,
refuses with a marshmallow ValidationError (a stale form with hub.core.locking.StaleForm)
before writing anything, audits each write in the same transaction, and leaves the commit to
the caller."""
