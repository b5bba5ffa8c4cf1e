"""The organisation: hubs, their partner agencies, the people of those agencies and the roles
they hold. Administrators' changes (admin.py) validate first, change nothing when they refuse,
and are audited; callers commit."""
