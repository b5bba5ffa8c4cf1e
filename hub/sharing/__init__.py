"""Section 115 in practice: the hub's information-sharing agreements and their reminders, which
agencies are members of a case, records restricted by their originating agency, the
disclosure register, and subject access for the data protection officer. Who may see what is
decided in hub.permissions; this area keeps the agreements and records what was shared."""
