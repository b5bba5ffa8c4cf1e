"""Exit 0 when the PostgreSQL at the URL given answers, 1 otherwise (used by `make test`)."""

import sys

import psycopg


def main(url: str) -> int:
    url = url.replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
