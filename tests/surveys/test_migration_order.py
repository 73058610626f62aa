"""The migration files are numbered in the order Alembic runs them, so reading the folder tells the history.

Revision ids are what databases record in alembic_version, so older ids stay as they were (0005, 0021, 0011w...);
only the file names follow the chain.
"""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory

from viktig.migrate import alembic_config


def test_file_numbers_follow_the_chain_from_base_to_head() -> None:
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    chain = list(reversed(list(scripts.walk_revisions("base", "heads"))))
    assert len(scripts.get_heads()) == 1, scripts.get_heads()
    numbers = [int(Path(script.path).name.split("_", 1)[0]) for script in chain]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers), [
        (script.revision, Path(script.path).name) for script in chain
    ]
    assert numbers[:6] == [1, 2, 3, 4, 5, 6]
