"""Question kinds as a table: how each kind is asked, which buttons it shows and what an answer to it is.

A new kind is one `QuestionKindSpec` in `KINDS`; the steps read everything kind-specific from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from surveys.engine.words import norm
from surveys.i18n import pick, t
from surveys.models import Question, QuestionKind

# (payload value, label) of each button a question shows, in order.
Options = Callable[[Question, str], list[tuple[str, str]]]


@dataclass(frozen=True)
class QuestionKindSpec:
    """One question kind. Free-text kinds store what was typed; the others store the text of a chosen option."""

    name: str
    free_text: bool = False
    action: str = ""  # the payload action its buttons carry ("o", "s"); empty for free text
    options: Options = lambda question, language: []
    one_row: bool = False  # lay the option buttons out in one row (a scale) instead of one per row
    # A pressed button's value → the text stored as the answer; None when the value is not (or no longer) offered.
    answer_for: Callable[[Question, str, str], str | None] = lambda question, value, language: None
    # Typed words → the value of the button they mean, None when they mean none of them.
    value_for_words: Callable[[Question, str, str], str | None] = lambda question, words, language: None
    # What to say when typed words match no button (the question is then shown again).
    hint: Callable[[Question, str], str] = lambda question, language: t(language, "error.not_understood")


def _choice_options(question: Question, language: str) -> list[tuple[str, str]]:
    return [(option["key"], pick(option["label"], language)) for option in question.texts.get("options", [])]


def _choice_answer(question: Question, value: str, language: str) -> str | None:
    for key, label in _choice_options(question, language):
        if key == value:
            return label
    return None


def _choice_value(question: Question, words: str, language: str) -> str | None:
    for number, (key, label) in enumerate(_choice_options(question, language), start=1):
        if words in (norm(label), str(number), key):
            return key
    return None


def _scale_range(question: Question) -> range:
    low, high = question.scale_min or 0, question.scale_max or 0  # survey files always set both for a scale
    return range(low, high + 1)


def _scale_value(question: Question, words: str, language: str) -> str | None:
    return words if words.isdigit() and int(words) in _scale_range(question) else None


KINDS: dict[str, QuestionKindSpec] = {
    spec.name: spec
    for spec in (
        QuestionKindSpec(QuestionKind.text.value, free_text=True),
        QuestionKindSpec(
            QuestionKind.choice.value,
            action="o",
            options=_choice_options,
            answer_for=_choice_answer,
            value_for_words=_choice_value,
            hint=lambda question, language: t(language, "question.choose_option"),
        ),
        QuestionKindSpec(
            QuestionKind.scale.value,
            action="s",
            options=lambda question, language: [(str(n), str(n)) for n in _scale_range(question)],
            one_row=True,
            answer_for=_scale_value,
            value_for_words=_scale_value,
            hint=lambda question, language: t(
                language, "question.scale_hint", low=question.scale_min, high=question.scale_max
            ),
        ),
    )
}


def kind_of(question: Question) -> QuestionKindSpec:
    """The question's kind; an unknown kind (a newer survey file on an older server) is asked as free text."""
    return KINDS.get(question.kind) or KINDS[QuestionKind.text.value]
