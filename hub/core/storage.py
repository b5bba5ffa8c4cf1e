"""Where uploaded files are kept: one small interface, so a hub can keep them in a directory
(the default, under the instance folder, outside the web root), an object store or database
large objects without any caller changing.

Files are stored under keys the hub makes (random hex), never under a name a person gave, so
no upload can choose or climb out of its place. A stored file is reached only through the
record that names its key, and so only through hub.permissions."""

import os
import secrets
import tempfile
from pathlib import Path
from typing import Protocol

from flask import current_app


class FileStore(Protocol):
    def put(self, data: bytes) -> str:
        """Keep the bytes; return the new key."""

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...


class DirectoryStore:
    """Files in a directory, two levels of fan-out by key, written whole or not at all."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if len(key) != 32 or not all(c in "0123456789abcdef" for c in key):
            raise KeyError(key)
        return self.root / key[:2] / key

    def put(self, data: bytes) -> str:
        key = secrets.token_hex(16)
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # A temporary file in the same directory, renamed into place: a reader never sees
        # half a file, and a crash leaves only a temporary file behind.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def check_outside_web_root(root: str | os.PathLike, static_folder: str | None) -> None:
    """Refuse a store inside the folder the web server serves as it is."""
    if static_folder is None:
        return
    root_path, static = Path(root).resolve(), Path(static_folder).resolve()
    if root_path == static or static in root_path.parents:
        raise RuntimeError(f"EVIDENCE_DIR {root_path} is inside the web root {static}")


def evidence_store() -> FileStore:
    """The store the application is configured with (EVIDENCE_DIR)."""
    root = current_app.config["EVIDENCE_DIR"]
    check_outside_web_root(root, current_app.static_folder)
    return DirectoryStore(root)
