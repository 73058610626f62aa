"""How many answers per second `redact` handles: 100 000 realistic answers, and a few worst-case long ones.

Run: python bench/deidentify_speed.py  (prints figures; not part of the test suite)
"""

from __future__ import annotations

import random
import time

from surveys.deidentify import redact

PLAIN = [
    "Å være sammen med familien og barnebarna",
    "At de samme pleierne kommer, så jeg slipper å forklare alt på nytt hver dag",
    "kaffe og prat med de andre på avdelingen",
    "Jeg vil klare meg selv hjemme så lenge som mulig. Trygghetsalarmen gjør at jeg tør å bo alene.",
    "Komme meg ut på tur, frisk luft, se hagen 🌷",
    "Att få bestämma själv när jag ska duscha",
    "Being seen and listened to",
    "EG VIL HA MEIR TID TIL Å PRATE",
]
WITH_NUMBERS = [
    "Jeg har bodd i Strandveien i 40 år og vil bli der",
    "Middag kl 17.00 og ikke 15.30",
    "Jeg er født 12.05.1948 og har tre barn",
    "Fysioterapeuten kommer 2 ganger i uka, det hjelper",
    "Det kostet kr 1 250 for tannlegen",
]
WITH_IDENTIFIERS = [
    "Ring datteren min på 912 34 567 hvis noe skjer",
    "Fødselsnummeret mitt er 01018012371 hvis dere trenger det",
    "Skriv til kari.nordmann@example.no så svarer jeg",
    "Jeg bor i Storgata 5, 0150 Oslo og vil gjerne ha besøk",
    "Mitt personnummer är 811218-9876, ring 070-123 45 67",
]


def answers(count: int, seed: int = 7) -> list[str]:
    """Roughly what a campaign receives: most answers plain, some with numbers, a few with identifiers."""
    rng = random.Random(seed)
    pools = [(PLAIN, 0.75), (WITH_NUMBERS, 0.18), (WITH_IDENTIFIERS, 0.07)]
    out = []
    for _ in range(count):
        pool = rng.choices([p for p, _ in pools], weights=[w for _, w in pools])[0]
        out.append(rng.choice(pool))
    return out


def measure(texts: list[str]) -> float:
    started = time.perf_counter()
    for text in texts:
        redact(text, "nb")
    return time.perf_counter() - started


def main() -> None:
    texts = answers(100_000)
    seconds = measure(texts)
    print(f"realistic answers: {len(texts)} in {seconds:.2f} s = {len(texts) / seconds:,.0f} answers/s")
    only_digits = [t for t in texts if t in WITH_NUMBERS or t in WITH_IDENTIFIERS]
    seconds = measure(only_digits)
    print(f"answers with digits or '@': {len(only_digits)} in {seconds:.2f} s = {len(only_digits) / seconds:,.0f}/s")
    long_text = " ".join(WITH_NUMBERS + WITH_IDENTIFIERS) * 12  # about 4 000 characters, Telegram's longest message
    long_text = long_text[:4096]
    seconds = measure([long_text] * 200)
    print(f"4096-character answers full of numbers: {200 / seconds:,.0f}/s")
    adversarial = ["a" * 4000 + "@", "1 " * 2000, "x.y-" * 1000 + "@b", "Storgata " * 450 + "5"]
    for text in adversarial:
        seconds = measure([text] * 20)
        print(f"adversarial {text[:12]!r}... ({len(text)} chars): {seconds / 20 * 1000:.1f} ms each")


if __name__ == "__main__":
    main()
