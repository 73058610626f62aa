"""simplemma's dictionaries through the per-machine SQLite cache: the same lemmas, built once, rebuilt if damaged."""

from __future__ import annotations

from pathlib import Path

import pytest
import simplemma

from analysis import lemmas

WORDS = ["barnebarna", "turene", "hagen", "venner", "kaffen", "trygghetsalarmen", "xqzv", "ÅPNE"]


def test_lookups_equal_simplemmas_and_the_file_is_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIKTIG_CACHE_DIR", str(tmp_path))
    dictionary = lemmas.CachedDictionaryFactory().get_dictionary("nn")
    reference = simplemma.strategies.dictionaries.DefaultDictionaryFactory().get_dictionary("nn")
    assert [dictionary.get(word) for word in WORDS] == [reference.get(word) for word in WORDS]
    assert len(dictionary) == len(reference)
    (cached,) = tmp_path.glob("simplemma-*-nn.sqlite")
    built = cached.stat().st_mtime_ns
    again = lemmas.CachedDictionaryFactory().get_dictionary("nn")
    assert again.get("turane") == reference.get("turane")
    assert cached.stat().st_mtime_ns == built  # read, not rebuilt


def test_a_damaged_cache_file_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIKTIG_CACHE_DIR", str(tmp_path))
    (tmp_path / f"simplemma-{lemmas.VERSION}-nn.sqlite").write_bytes(b"not a database")
    dictionary = lemmas.CachedDictionaryFactory().get_dictionary("nn")
    reference = simplemma.strategies.dictionaries.DefaultDictionaryFactory().get_dictionary("nn")
    assert dictionary.get("turane") == reference.get("turane") is not None


def test_pipeline_lemmas_are_simplemmas() -> None:
    for word in WORDS:
        assert lemmas.lemmatize(word, "nb") == simplemma.lemmatize(word, lang="nb")
        assert lemmas.is_known(word, "nb") == simplemma.is_known(word, lang="nb")
