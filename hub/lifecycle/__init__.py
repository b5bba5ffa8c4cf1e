"""The data lifecycle: backing the whole database up (backup.py), moving one hub's data to
another instance (ownership.py finds the hub's rows from the models; export.py, importing.py)
and ending records at the close of their retention period (retention.py, run by the clock
from jobs.py). Its commands are in commands.py; docs/operations.md is the operator's guide."""
