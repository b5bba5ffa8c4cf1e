"""Fixtures for single sign-on: real OpenID Connect providers on localhost."""

import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(token_seconds: int):
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.accounts.oidc_provider", str(port), str(token_seconds)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout.readline().strip() == "ready", "the OIDC provider did not start"
    return process, port


@pytest.fixture(scope="session")
def oidc_provider():
    """Two real providers: `port` issues hour-long ID tokens, `short_port` ten-second ones."""
    long_lived, port = _start(3600)
    short_lived, short_port = _start(10)
    yield SimpleNamespace(port=port, short_port=short_port, url=f"http://localhost:{port}")
    for process in (long_lived, short_lived):
        process.terminate()
        process.wait(timeout=10)


def provider_user(issuer: str, sub: str, **claims) -> None:
    """Create or change a person at the provider (oidc-provider-mock's PUT /users/<sub>)."""
    response = requests.put(f"{issuer}/users/{sub}", json=claims, timeout=10)
    assert response.status_code == 204, response.text
