"""Test databases on a PostgreSQL server (TEST_DATABASE_URL): created with a unique name, dropped with FORCE.

Used by tests/conftest.py and by the benchmarks (bench/), which need a throw-away database too.
"""

from __future__ import annotations

import uuid

TEST_SECRET = "test-secret-key-0123456789abcdef"


def create_postgres_database(admin_url: str, *, template: str | None = None) -> str:
    """A new database with a unique name (parallel test processes never share one); a copy of `template` if given."""
    import psycopg

    name = f"viktig_test_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template.rsplit("/", 1)[1]}"' if template else ""
    with psycopg.connect(_psycopg_url(admin_url), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"{copy}')
    return admin_url.rsplit("/", 1)[0] + "/" + name


def drop_postgres_database(admin_url: str, url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(_psycopg_url(admin_url), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _psycopg_url(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]
