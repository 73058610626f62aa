"""The access log in the reader's language: actions and the details the app writes, which are stored in English.

Entries are written by the core and the CLI as short English records (kept stable for auditors and scripts); the
dashboard translates the known shapes and shows anything else as stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from web.i18n import dashboard_text

ACTIONS = (
    "view_answers",
    "export",
    "view_themes",
    "report",
    "erasure",
    "purge",
    "add_action",
    "change_action",
    "publish",
    "unpublish",
    "pick_quote",
    "unpick_quote",
    *("add_area", "area_rename", "area_move", "area_delete", "area_add_unit", "area_remove_unit"),
    *("area_campaign", "kit"),
    *("accept_theme", "rename_theme", "reject_theme", "confirm_placement"),
)

_PATTERNS: list[tuple[re.Pattern[str], Callable[[str, re.Match[str]], str]]] = [
    (
        re.compile(r"erasure request carried out: (\d+) answers, (\d+) conversations, (\d+) contacts deleted in total"),
        lambda lang, m: dashboard_text(lang, "access_detail.erasure", answers=m[1], conversations=m[2], contacts=m[3]),
    ),
    (
        re.compile(r"retention ended (\S+); (\d+) answers deleted"),
        lambda lang, m: dashboard_text(lang, "access_detail.purge", day=m[1], answers=m[2]),
    ),
    (
        re.compile(r"actions, (\d+) rows"),
        lambda lang, m: dashboard_text(lang, "access_detail.actions_export", rows=m[1]),
    ),
    (
        re.compile(r"(\w+), (\d+) rows"),
        lambda lang, m: dashboard_text(lang, "access_detail.export", format=m[1].upper(), rows=m[2]),
    ),
    (re.compile(r"(\d+) themes"), lambda lang, m: dashboard_text(lang, "access_detail.themes", count=m[1])),
    (
        re.compile(r"action (\d+): (planned|in_progress|done|dropped)"),
        lambda lang, m: dashboard_text(
            lang, "access_detail.action", number=m[1], status=dashboard_text(lang, f"action.status.{m[2]}").lower()
        ),
    ),
    (re.compile(r"answer (\d+)"), lambda lang, m: dashboard_text(lang, "access_detail.quote", number=m[1])),
    (re.compile(r"theme (\d+)"), lambda lang, m: dashboard_text(lang, "access_detail.theme", number=m[1])),
    (
        re.compile(r"theme (\d+), renamed"),
        lambda lang, m: dashboard_text(lang, "access_detail.theme_renamed", number=m[1]),
    ),
]
_FIELDS = {"rows": "access_detail.rows", "format": "access_detail.format"}


def action_text(action: str, language: str) -> str:
    return dashboard_text(language, f"access_action.{action}") if action in ACTIONS else action


def detail_text(detail: str, language: str) -> str:
    for pattern, render in _PATTERNS:
        match = pattern.fullmatch(detail.strip())
        if match:
            return render(language, match)
    tokens = detail.split()
    if tokens and all("=" in token or token == "filtered" for token in tokens):
        parts = []
        for token in tokens:
            if token == "filtered":
                parts.append(dashboard_text(language, "access_detail.filtered"))
                continue
            key, _, value = token.partition("=")
            if key not in _FIELDS:
                return detail
            parts.append(dashboard_text(language, _FIELDS[key], value=value.upper() if key == "format" else value))
        return ", ".join(parts)
    return detail
