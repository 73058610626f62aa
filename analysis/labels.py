"""Step 9: names a manager understands. A discovered theme is named by a short phrase taken from its most central
answers ("Kaffe med de andre etter trimmen"), never by keywords glued together; no label or keyword may contain a
person's name, a redaction placeholder ("[fødselsnummer]") or a number, because a manager's screen is not the place
to point at a person or to show what was redacted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

import numpy as np

from analysis.tokens import NEGATIONS, Tokenizer, _is_known, stopwords_for
from surveys.deidentify import placeholders

NAMES_FILE = Path(__file__).with_name("data") / "first_names.txt"
_PLACEHOLDER = re.compile(r"\[([^\]]{1,40})\]")
_SENTENCE_END = re.compile(r"[.!?:;\n]\s*$")
_WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*|\S*\d\S*")
MAX_WORDS = 6
# Words that start an answer but never a name for it ("at", "å", "jeg", "det er"): stop words cover most, these
# are the rest.
LEADING_FILLER = frozenset({"og", "at", "å", "att", "to", "that", "and", "også", "og så"})


@cache
def first_names() -> frozenset[str]:
    lines = NAMES_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


@cache
def placeholder_words() -> frozenset[str]:
    words: set[str] = set()
    for language in ("nb", "nn", "sv", "en", "da"):
        for text in placeholders(language).values():
            words.update(re.findall(r"[^\W\d_]+", text.lower()))
    return frozenset(words)


class ForbiddenWords:
    """Which lower-case words of a campaign's answers may not appear in a label or keyword.

    - placeholders: every word of the de-identification placeholders, and any word inside [brackets];
    - names: a word written with a capital letter after the start of a sentence ("besøk av Kari"), a capitalised
      word the dictionary does not know, and a common first name that is capitalised somewhere or unknown to the
      dictionary ("kari"), while "liv" (life) or "per dag" stay usable;
    - numbers: any word with a digit.
    """

    def __init__(self, originals: Iterable[str], languages: Sequence[str], seeds: frozenset[str] = frozenset()):
        self.languages = tuple(languages) or ("nb",)
        self.words: set[str] = set(placeholder_words())
        capitalised: set[str] = set()
        for text in originals:
            for inside in _PLACEHOLDER.findall(text):
                self.words.update(re.findall(r"[^\W\d_]+", inside.lower()))
            for match in _WORD.finditer(_PLACEHOLDER.sub(" . ", text)):
                word = match.group()
                lower = word.lower()
                if any(ch.isdigit() for ch in word):
                    self.words.add(lower)
                    continue
                if not word[0].isupper() or word == "I" or lower in seeds:
                    continue
                capitalised.add(lower)
                start_of_sentence = not text[: match.start()].strip() or bool(
                    _SENTENCE_END.search(text[: match.start()])
                )
                if not start_of_sentence or not self._known(lower):
                    self.words.add(lower)
        names = first_names()
        self.words.update(name for name in capitalised if name in names)
        self._names = names
        self._seeds = seeds

    def _known(self, word: str) -> bool:
        return any(_is_known(word, language) for language in self.languages)

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str):
            return False
        lower = word.lower()
        if lower in self.words or any(ch.isdigit() for ch in lower):
            return True
        return lower in self._names and lower not in self._seeds and not self._known(lower)

    def allows(self, phrase: str) -> bool:
        return not any(part in self for part in re.split(r"[\s+]+", phrase.lower()) if part)


def clean_keywords(keywords: Sequence[str], forbidden: ForbiddenWords, languages: Sequence[str]) -> list[str]:
    """Keywords without names, placeholders, numbers or any campaign language's stop words."""
    stop = set().union(*(stopwords_for(language) for language in languages or ("nb",)))
    result = []
    for keyword in keywords:
        parts = keyword.lower().split()
        if not parts or "∅" in keyword or not forbidden.allows(keyword) or all(part in stop for part in parts):
            continue
        if parts[0] in stop or parts[-1] in stop:
            continue
        result.append(keyword)
    return result


def phrase_label(
    rows: Sequence[int],
    texts: Sequence[str],
    languages: Sequence[str],
    closeness: np.ndarray,
    importance: dict[str, float],
    lemma_of: dict[tuple[str, str], str],
    forbidden: ForbiddenWords,
    label_language: str,
    taken: set[str] | None = None,
) -> str | None:
    """The best short phrase from the theme's most central answers, capitalised; None if none is clean.

    A candidate is a run of at most six words of one answer that starts and ends with a content word. Its score is
    the importance of its content words for this theme (c-TF-IDF, 0–1) over a length penalty, plus the closeness
    of its answer to the theme's centre, plus a little when the answer is in the campaign's language.
    """
    tokenizer = Tokenizer()
    central = sorted(rows, key=lambda row: (-float(closeness[row]), row))[:12]
    best: tuple[float, str] | None = None
    for row in central:
        language = languages[row]
        stop = stopwords_for(language) | LEADING_FILLER
        negations = NEGATIONS.get(language, frozenset())
        words = tokenizer.transform_one(texts[row])
        if not words or len(words) > 40:
            continue
        content = [word not in stop and word not in negations for word in words]
        same_language = 0.15 if _group(language) == _group(label_language) else 0.0
        for start in range(len(words)):
            if not content[start] and words[start] not in negations:
                continue
            score_words = 0.0
            for end in range(start, min(len(words), start + MAX_WORDS)):
                word = words[end]
                if word in forbidden:
                    break
                if content[end]:
                    score_words += importance.get(lemma_of.get((word, language), word), 0.0)
                    if score_words <= 0:
                        continue
                    phrase = " ".join(words[start : end + 1])
                    length = end - start + 1
                    score = score_words / (1.0 + 0.45 * (length - 1)) + 0.6 * float(closeness[row]) + same_language
                    if taken and phrase in taken:
                        continue
                    if best is None or score > best[0] + 1e-9:
                        best = (score, phrase)
    if best is None:
        return None
    phrase = best[1]
    return phrase[0].upper() + phrase[1:]


def _group(language: str) -> str:
    return {"nn": "nb", "da": "nb"}.get(language, language)
