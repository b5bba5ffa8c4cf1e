"""The scoring engine is pure Python: its tests need no app and no database.

tests/conftest.py wraps every test in a database transaction (an autouse fixture
named ``_transaction``). Overriding it here keeps these tests independent of the
web app, and fast enough for hypothesis to run many examples.
"""

import pytest


@pytest.fixture(autouse=True)
def _transaction():
    yield None
