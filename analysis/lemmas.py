"""simplemma's dictionaries as one small SQLite file per language, looked up word by word instead of loaded whole.

simplemma ships each language as an lzma-compressed front-coded stream that pure Python decodes record by record into
a dict: 4-6 s and 100-250 MB per language on the 2-core test machine, so a 20-answer analysis in a fresh process
spent over 15 s and about 500 MB loading nb, nn, sv and en. Here the decoded pairs are written once per machine to
`simplemma-<version>-<lang>.sqlite` in the user's cache directory (`VIKTIG_CACHE_DIR`, else
`$XDG_CACHE_HOME/viktig`, else `~/.cache/viktig`) and read through an indexed lookup (a few microseconds; the
pipeline caches each word's analysis, so a campaign looks up each distinct word once). Opening costs nothing and
the memory stays small. No cache directory writable: the dictionary is decoded into memory as before. Lemmas are
exactly simplemma's, from the same data.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import tempfile
import threading
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path

import simplemma
from simplemma.strategies import DefaultStrategy, DictionaryLookupStrategy
from simplemma.strategies.dictionaries.dictionary_factory import (
    CachingDictionaryFactory,
    DecodedStrMapping,
    MappingStrToByteString,
    _load_dictionary_from_disk,
)
from simplemma.utils import normalize_token

log = logging.getLogger(__name__)
VERSION = getattr(simplemma, "__version__", "unknown")


def cache_dir() -> Path:
    if os.environ.get("VIKTIG_CACHE_DIR"):
        return Path(os.environ["VIKTIG_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "viktig"


class SqliteMapping(DecodedStrMapping):
    """str -> str over a read-only (key BLOB PRIMARY KEY, value BLOB) table."""

    __slots__ = ("_connection", "_lock", "_size")

    def __init__(self, path: Path) -> None:
        self._connection = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
        self._lock = threading.Lock()
        self._size = -1
        self._connection.execute("SELECT 1 FROM lemma LIMIT 1")  # a file that is no such table fails here

    def _lookup(self, key: str) -> str | None:
        with self._lock:
            row = self._connection.execute("SELECT value FROM lemma WHERE key = ?", (key.encode(),)).fetchone()
        return bytes(row[0]).decode() if row is not None else None

    def __iter__(self) -> Iterator[str]:
        for (key,) in self._connection.execute("SELECT key FROM lemma"):
            yield bytes(key).decode()

    def __len__(self) -> int:
        if self._size < 0:
            with self._lock:
                self._size = int(self._connection.execute("SELECT COUNT(*) FROM lemma").fetchone()[0])
        return self._size


def dictionary(language: str) -> Mapping[str, str]:
    """The language's dictionary from its cache file, built first if there is none (once per machine)."""
    path = cache_dir() / f"simplemma-{VERSION}-{language}.sqlite"
    try:
        return SqliteMapping(path)
    except sqlite3.Error:
        pass
    data = _load_dictionary_from_disk(language)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=path.name)
        os.close(handle)
        with sqlite3.connect(name) as connection:
            connection.execute("CREATE TABLE lemma (key BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID")
            connection.executemany("INSERT INTO lemma VALUES (?, ?)", sorted(data.items()))
        connection.close()
        os.replace(name, path)  # atomic: a concurrent reader sees no file or the whole file
        return SqliteMapping(path)
    except (OSError, sqlite3.Error) as error:
        log.info("lemma_cache_unwritable error=%s", type(error).__name__)
        return MappingStrToByteString(data)


class CachedDictionaryFactory(CachingDictionaryFactory):
    """simplemma's DefaultDictionaryFactory with the decoded-dictionary cache file in between."""

    __slots__ = ()

    def _get_dictionary_uncached(self, lang: str) -> Mapping[str, str]:
        return dictionary(lang)


FACTORY = CachedDictionaryFactory()
_LEMMATIZER = simplemma.Lemmatizer(lemmatization_strategy=DefaultStrategy(dictionary_factory=FACTORY))
_LOOKUP = DictionaryLookupStrategy(FACTORY)


def lemmatize(word: str, language: str) -> str:
    """simplemma.lemmatize(word, lang=language)."""
    return _LEMMATIZER.lemmatize(word, language)


@lru_cache(maxsize=500_000)
def is_known(word: str, language: str) -> bool:
    """simplemma.is_known(word, lang=language)."""
    return _LOOKUP.get_lemma(normalize_token(word), language) is not None
