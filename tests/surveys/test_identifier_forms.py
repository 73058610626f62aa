"""Every written form of every identifier kind we claim is removed whole; look-alikes stay exactly as written.

The samples come from our own frozen generator (identifier_forms.py), checked by independent validators
(python-stdnum, phonenumbers). bench/deidentify_recall.py prints the same scores per form.
"""

from __future__ import annotations

import pytest

from surveys.deidentify import placeholders, redact
from tests.surveys.identifier_forms import identifier_samples, lookalike_samples, self_check
from tests.surveys.identifier_scoring import removed_whole, score_identifiers, score_lookalikes

SAMPLES = identifier_samples()
LOOKALIKES = lookalike_samples()
FORMS = sorted({sample.form for sample in SAMPLES})


def test_the_generator_makes_only_valid_identifiers() -> None:
    assert list(self_check(SAMPLES)) == []
    assert len(FORMS) >= 70 and len(SAMPLES) >= 2800


@pytest.mark.parametrize("form", FORMS)
def test_every_sample_of_the_form_is_removed_whole(form: str) -> None:
    outcomes = [(sample, redact(sample.text, "nb")) for sample in SAMPLES if sample.form == form]
    assert [(sample.text, out) for sample, out in outcomes if not removed_whole(sample, out)] == []


def test_no_digit_of_an_identifier_survives() -> None:
    """The templates hold no digits, so any digit left after redaction is a piece of the identifier."""
    outcomes = [(sample.text, redact(sample.text, "nb")) for sample in SAMPLES]
    assert [(text, out) for text, out in outcomes if any(c.isdigit() for c in out)] == []


def test_look_alikes_stay_exactly_as_written() -> None:
    score = score_lookalikes(LOOKALIKES, redact)
    assert {form: misses[:3] for form, misses in score.misses.items()} == {}
    assert sum(score.total.values()) >= 1000


def test_recall_per_kind_reaches_the_target() -> None:
    _, by_kind = score_identifiers(SAMPLES, redact)
    assert {kind: by_kind.rate(kind) for kind in by_kind.total if by_kind.rate(kind) < 0.995} == {}


@pytest.mark.parametrize("language", ["nb", "nn", "sv", "en"])
def test_placeholders_are_in_the_citizens_language(language: str) -> None:
    sample = next(s for s in SAMPLES if s.kind == "bank_account")
    assert placeholders(language)["bank_account"] in redact(sample.text, language)


def test_the_scoring_can_fail() -> None:
    """A redaction that leaves a piece behind, or eats a neighbouring word, does not count as removed."""
    sample = next(s for s in SAMPLES if s.form == "fnr 2-2-2-3-2")
    start = sample.text.index(sample.identifier)
    partial = (
        sample.text[:start] + sample.identifier[:2] + " [telefonnummer]" + sample.text[start + len(sample.identifier) :]
    )
    assert not removed_whole(sample, partial)
    assert not removed_whole(sample, "[fødselsnummer]" if sample.text != sample.identifier else "x")
