"""The data lifecycle: backing the whole database up (backup.py), moving one hub's data to
another instance (export.py, import_.py) and ending records at the close of their retention
period (retention.py, run by the clock from jobs.py). Its commands are in commands.py."""
