"""A self-contained HTML report for a manager: themes with an inline SVG bar chart, quotes, change since last time."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from analysis.service import ThemeSummary

TEXTS = {
    "nb": {
        "title": "Hva er viktig for deg?",
        "answers": "svar",
        "themes": "Tema",
        "quotes": "Sitater",
        "change": "Endring siden forrige kampanje",
        "theme": "Tema",
        "then": "Da",
        "now": "Nå",
        "none": "Ingen tidligere kampanje for denne enheten med tema.",
        "keywords": "Nøkkelord",
        "fewer": "færre enn {n}",
        "quotes_hidden": "Sitater vises ikke: færre enn {n} respondenter i kampanjen.",
        "actions": "Tiltak",
        "after": "Etter tiltak",
        "no_actions": "Ingen tiltak ennå.",
        "responsible": "Ansvarlig",
        "due": "Når",
        "reason": "Begrunnelse",
        "decided": "bestemt i «{name}»",
        "planned": "Planlagt",
        "in_progress": "I gang",
        "done": "Gjennomført",
        "dropped": "Forkastet",
    },
    "nn": {
        "title": "Kva er viktig for deg?",
        "answers": "svar",
        "themes": "Tema",
        "quotes": "Sitat",
        "change": "Endring sidan førre kampanje",
        "theme": "Tema",
        "then": "Då",
        "now": "No",
        "none": "Ingen tidlegare kampanje for denne eininga med tema.",
        "keywords": "Nøkkelord",
        "fewer": "færre enn {n}",
        "quotes_hidden": "Sitat blir ikkje viste: færre enn {n} respondentar i kampanjen.",
        "actions": "Tiltak",
        "after": "Etter tiltak",
        "no_actions": "Ingen tiltak enno.",
        "responsible": "Ansvarleg",
        "due": "Når",
        "reason": "Grunngjeving",
        "decided": "bestemt i «{name}»",
        "planned": "Planlagt",
        "in_progress": "I gang",
        "done": "Gjennomført",
        "dropped": "Forkasta",
    },
    "sv": {
        "title": "Vad är viktigt för dig?",
        "answers": "svar",
        "themes": "Teman",
        "quotes": "Citat",
        "change": "Förändring sedan förra kampanjen",
        "theme": "Tema",
        "then": "Då",
        "now": "Nu",
        "none": "Ingen tidigare kampanj för enheten med teman.",
        "keywords": "Nyckelord",
        "fewer": "färre än {n}",
        "quotes_hidden": "Citat visas inte: färre än {n} svarande i kampanjen.",
        "actions": "Åtgärder",
        "after": "Efter åtgärd",
        "no_actions": "Inga åtgärder ännu.",
        "responsible": "Ansvarig",
        "due": "När",
        "reason": "Motivering",
        "decided": "beslutad i ”{name}”",
        "planned": "Planerad",
        "in_progress": "Pågår",
        "done": "Genomförd",
        "dropped": "Avbruten",
    },
    "en": {
        "title": "What matters to you?",
        "answers": "answers",
        "themes": "Themes",
        "quotes": "Quotes",
        "change": "Change since the previous campaign",
        "theme": "Theme",
        "then": "Then",
        "now": "Now",
        "none": "No earlier campaign of this unit with themes.",
        "keywords": "Keywords",
        "fewer": "fewer than {n}",
        "quotes_hidden": "Quotes are not shown: fewer than {n} respondents in the campaign.",
        "actions": "Actions",
        "after": "After action",
        "no_actions": "No actions yet.",
        "responsible": "Responsible",
        "due": "When",
        "reason": "Reason",
        "decided": "decided in “{name}”",
        "planned": "Planned",
        "in_progress": "In progress",
        "done": "Done",
        "dropped": "Dropped",
    },
}


@dataclass(frozen=True)
class ReportAction:
    """An improvement action as the report shows it (surveys.actions), its status as the stored value."""

    theme_label: str
    what: str
    status: str
    responsible: str = ""
    due: str = ""  # already formatted
    reason: str = ""
    decided_in: str = ""  # the campaign it was decided in, when that is an earlier one


@dataclass(frozen=True)
class ReportInput:
    campaign_name: str
    unit_name: str
    language: str
    themes: list[ThemeSummary]
    previous_name: str | None = None
    previous_shares: dict[str, tuple[str, float]] | None = None  # key -> (label, share)
    # Small-number protection (surveys.small_numbers): groups of fewer people than min_group show no numbers.
    min_group: int = 1
    people: dict[int, int] | None = None  # theme id -> people; the theme's size when missing
    previous_people: dict[str, int] | None = None  # key -> people in the previous campaign
    respondents: int | None = None  # in this campaign; fewer than min_group: no quotes at all
    actions: dict[int, list[ReportAction]] | None = None  # theme id -> its actions (own and carried over)
    previous_actions: dict[str, list[ReportAction]] | None = None  # previous theme key -> actions decided by then

    def hides(self, theme: ThemeSummary) -> bool:
        return (self.people or {}).get(theme.id, theme.size) < self.min_group

    def hides_previous(self, key: str) -> bool:
        return self.previous_people is not None and self.previous_people.get(key, 0) < self.min_group


def bar_chart(themes: list[ThemeSummary]) -> str:
    row, label_width, bar_width = 26, 260, 360
    height = row * len(themes) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_width + bar_width + 80}" height="{height}" role="img">'
    ]
    for i, theme in enumerate(themes):
        y = 5 + i * row
        width = max(1.0, bar_width * theme.share)
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 17}" text-anchor="end" font-size="13">{escape(theme.label)}</text>'
        )
        colour = "#b0b0b0" if theme.is_other else "#2f6f9f"
        parts.append(f'<rect x="{label_width}" y="{y + 4}" width="{width:.1f}" height="{row - 8}" fill="{colour}"/>')
        parts.append(
            f'<text x="{label_width + width + 6:.1f}" y="{y + 17}" font-size="12">'
            f"{theme.size} ({theme.share:.0%})</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _action_list(actions: list[ReportAction], t: dict[str, str]) -> str:
    if not actions:
        return ""
    items = []
    for item in actions:
        details = [f"{t['responsible']}: {escape(item.responsible)}"] if item.responsible else []
        if item.due:
            details.append(f"{t['due']}: {escape(item.due)}")
        if item.status == "dropped" and item.reason:
            details.append(f"{t['reason']}: {escape(item.reason)}")
        if item.decided_in:
            details.append(escape(t["decided"].format(name=item.decided_in)))
        extra = f"<br><small>{' · '.join(details)}</small>" if details else ""
        items.append(f"<li><strong>{t[item.status]}</strong>: {escape(item.what)}{extra}</li>")
    return f"<h4>{t['actions']}</h4><ul class=actions>{''.join(items)}</ul>"


def render_report(data: ReportInput) -> str:
    t = TEXTS.get(data.language, TEXTS["nb"])
    fewer = t["fewer"].format(n=data.min_group)
    total = sum(theme.size for theme in data.themes)
    no_quotes = data.respondents is not None and data.respondents < data.min_group
    sections = []
    for theme in data.themes:
        hidden = data.hides(theme)
        shown_quotes = [] if hidden or no_quotes else theme.quote_texts
        quotes = "".join(f"<blockquote>{escape(text)}</blockquote>" for text in shown_quotes)
        keywords = escape(", ".join(theme.keywords))
        numbers = fewer if hidden else f"{theme.size} {t['answers']}, {theme.share:.0%}"
        actions = _action_list((data.actions or {}).get(theme.id, []), t)
        sections.append(
            f"<section><h3>{escape(theme.label)} <small>{numbers}</small></h3>"
            f"<p class=kw>{t['keywords']}: {keywords}</p>{quotes}{actions}</section>"
        )
    charted = [theme for theme in data.themes if not data.hides(theme)]
    if no_quotes:
        sections.insert(0, f"<p>{t['quotes_hidden'].format(n=data.min_group)}</p>")
    if data.previous_shares is not None:
        now = {theme.key: theme for theme in data.themes}
        keys = list(now) + [key for key in data.previous_shares if key not in now]
        rows = []
        for key in keys:
            label = now[key].label if key in now else data.previous_shares[key][0]
            then = data.previous_shares.get(key, (label, 0.0))[1]
            current = now[key].share if key in now else 0.0
            delta = current - then
            then_hidden = data.hides_previous(key)
            now_hidden = key in now and data.hides(now[key])
            then_text = fewer if then_hidden else f"{then:.0%}"
            now_text = fewer if now_hidden else f"{current:.0%}"
            delta_text = "–" if then_hidden or now_hidden else f"{delta:+.0%}"
            after = "<br>".join(
                f"{escape(item.what)} ({t[item.status]})" for item in (data.previous_actions or {}).get(key, [])
            )
            rows.append(
                f"<tr><td>{escape(label)}</td><td>{then_text}</td><td>{now_text}</td><td>{delta_text}</td>"
                f"<td>{after or '–'}</td></tr>"
            )
        change = (
            f"<p>{escape(data.previous_name or '')}</p><table><tr><th>{t['theme']}</th><th>{t['then']}</th>"
            f"<th>{t['now']}</th><th>±</th><th>{t['after']}</th></tr>{''.join(rows)}</table>"
        )
    else:
        change = f"<p>{t['none']}</p>"
    return f"""<!doctype html>
<html lang="{escape(data.language)}"><head><meta charset="utf-8">
<title>{escape(t["title"])} – {escape(data.campaign_name)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}}
blockquote{{margin:.4rem 0 .4rem 1rem;padding-left:.8rem;border-left:3px solid #2f6f9f;font-style:italic}}
small{{color:#666;font-weight:normal}} .kw{{color:#555;font-size:.9rem}} table{{border-collapse:collapse}}
td,th{{border-bottom:1px solid #ddd;padding:.3rem .8rem;text-align:left}}</style></head>
<body><h1>{escape(t["title"])}</h1>
<p>{escape(data.unit_name)} – {escape(data.campaign_name)}: {total} {t["answers"]}</p>
<h2>{t["themes"]}</h2>{bar_chart(charted)}
<h2>{t["change"]}</h2>{change}
<h2>{t["quotes"]}</h2>{"".join(sections)}
</body></html>
"""
