"""A horizontal bar chart of theme shares drawn on the server as SVG (no script, no CSS needed to read it)."""

from __future__ import annotations

from html import escape

BAR_HEIGHT = 28
GAP = 10
LABEL_WIDTH = 260
BAR_WIDTH = 360


def share_chart(items: list[tuple[str, float]], *, title: str) -> str:
    """items: (label, share 0..1), largest first. Text labels carry the numbers, so colour is not the only cue."""
    height = len(items) * (BAR_HEIGHT + GAP) + GAP
    width = LABEL_WIDTH + BAR_WIDTH + 70
    largest = max((share for _, share in items), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="chart-title" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
        f'<title id="chart-title">{escape(title)}</title>',
    ]
    for index, (label, share) in enumerate(items):
        y = GAP + index * (BAR_HEIGHT + GAP)
        bar = max(2, round(BAR_WIDTH * share / largest))
        short = label if len(label) <= 34 else label[:33] + "…"
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT * 0.7:.0f}" text-anchor="end" fill="#1a1a1a">'
            f"{escape(short)}</text>"
        )
        parts.append(f'<rect x="{LABEL_WIDTH}" y="{y}" width="{bar}" height="{BAR_HEIGHT}" fill="#00507a"/>')
        parts.append(
            f'<text x="{LABEL_WIDTH + bar + 6}" y="{y + BAR_HEIGHT * 0.7:.0f}" fill="#1a1a1a">'
            f"{share * 100:.0f} %</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
