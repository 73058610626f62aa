"""Recall of de-identification on the written forms of every kind we claim, and how many look-alikes it changes.

Uses our own frozen generator (tests/surveys/identifier_forms.py): each identifier must become exactly one
placeholder with the words around it untouched; each look-alike (dates, times, amounts, organisation numbers...)
must stay exactly as written. Targets: recall >= 99.5 % per kind, look-alikes changed <= 1 %.

Run: python bench/deidentify_recall.py [--misses]  (prints figures; not part of the test suite)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from surveys.deidentify import redact
from tests.surveys.identifier_forms import identifier_samples, lookalike_samples
from tests.surveys.identifier_scoring import score_identifiers, score_lookalikes

RECALL_TARGET = 0.995
LOOKALIKE_TARGET = 0.01


def main() -> int:
    show_misses = "--misses" in sys.argv
    samples = identifier_samples()
    by_form, by_kind = score_identifiers(samples, redact)
    print(f"identifier samples: {sum(by_form.total.values())} in {len(by_form.total)} written forms")
    for form in by_form.total:
        flag = "" if by_form.rate(form) == 1 else "   <-"
        print(f"  {form:28s} {by_form.found[form]:4d}/{by_form.total[form]:<4d} {by_form.rate(form):7.1%}{flag}")
        if show_misses:
            for text, redacted in by_form.misses.get(form, [])[:3]:
                print(f"      {text!r} -> {redacted!r}")
    print("recall per kind:")
    for kind in by_kind.total:
        print(f"  {kind:16s} {by_kind.found[kind]:5d}/{by_kind.total[kind]:<5d} {by_kind.rate(kind):7.2%}")
    print(f"recall overall: {by_kind.rate():.2%} (target >= {RECALL_TARGET:.1%})")
    lookalikes = lookalike_samples()
    changed = score_lookalikes(lookalikes, redact)
    print(f"look-alike samples: {sum(changed.total.values())} in {len(changed.total)} kinds")
    for form in changed.total:
        print(f"  {form:28s} changed {changed.found[form]:4d}/{changed.total[form]:<4d} {changed.rate(form):7.1%}")
        if show_misses:
            for text, redacted in changed.misses.get(form, [])[:3]:
                print(f"      {text!r} -> {redacted!r}")
    print(f"look-alikes changed overall: {changed.rate():.2%} (target <= {LOOKALIKE_TARGET:.0%})")
    worst_kind = min(by_kind.rate(kind) for kind in by_kind.total)
    return 0 if worst_kind >= RECALL_TARGET and changed.rate() <= LOOKALIKE_TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
