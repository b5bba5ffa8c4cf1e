"""Framework glue every area leans on, and nothing of any area: errors, security headers and
tokens, SQLite's transactions (database), templating, form errors, mail, time, and the named
signals areas use to react to each other's events. hub.core imports no area."""
