"""Primary keys of stored rows, typed as `int`.

SQLModel types every `id` as `int | None` because a row has none until it is flushed. Code that works with stored
rows needs an `int`; `pk` says so once, and fails loudly on an unsaved row rather than passing `None` on.
"""

from __future__ import annotations

from typing import Protocol


class _Row(Protocol):
    @property
    def id(self) -> int | None: ...


def pk(row: _Row) -> int:
    """The primary key of a row that has been flushed (or loaded); an unsaved row here is a bug."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no primary key yet: add and flush it first")
    return row.id
