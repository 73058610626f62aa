"""The 6 June kit's printable pages, rendered without a request so `viktig kit` writes the very pages the dashboard
serves: the posters (one A4 page per unit, with its QR code) followed by the staff guide, and the report for the
municipality after the day (the roll-up and each unit's themes, with small-number protection as for managers).

`standalone=True` puts the stylesheet inside the file, so it opens and prints from a USB stick or an e-mail with no
server; the dashboard links the same stylesheet instead (its CSP forbids inline styles).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2

from surveys.campaigns import CampaignLinks, links_for
from surveys.i18n import t
from surveys.models import Area, AreaCampaign, Campaign, Unit, utcnow
from surveys.rollup import Rollup
from web.app import LOCAL_TIME, STATIC, TEMPLATES
from web.i18n import chat_text, dashboard_text
from web.qr import qr_svg
from web.views.campaigns import only_here

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True, trim_blocks=True, lstrip_blocks=True
)


@dataclass(frozen=True)
class KitPoster:
    unit: Unit
    campaign: Campaign
    links: CampaignLinks
    qr: str
    language: str
    local_only: bool

    def p(self, key: str) -> str:
        return chat_text(self.language, key)

    def language_names(self) -> list[tuple[str, str]]:
        """The campaign's languages, each named in itself ("Bokmål · Nynorsk · Svenska · English"), so a reader sees
        they can answer in their own."""
        return [(lang, t(lang, "language_name")) for lang in self.campaign.language_list]


def _values(language: str, standalone: bool) -> dict[str, Any]:
    return {
        "_": lambda key, **kw: dashboard_text(language, key, **kw),
        "lang": language,
        "standalone": standalone,
        "css": (STATIC / "kit.css").read_text(encoding="utf-8") if standalone else "",
    }


def posters(members: list[tuple[Unit, Campaign]], *, web_base_url: str, bot_username: str | None) -> list[KitPoster]:
    made = []
    for unit, campaign in members:
        links = links_for(campaign, web_base_url=web_base_url, bot_username=bot_username)
        language = (campaign.language_list or ["nb"])[0]
        qr = qr_svg(links.web_link, scale=12, title=chat_text(language, "poster.title"))
        made.append(KitPoster(unit, campaign, links, qr, language, only_here(links.web_link)))
    return made


def render_kit(
    area: Area,
    group: AreaCampaign,
    members: list[tuple[Unit, Campaign]],
    *,
    web_base_url: str,
    bot_username: str | None,
    language: str = "nb",
    standalone: bool = True,
) -> str:
    """One HTML document: a poster page per unit, then the guide ("slik gjør dere det") with every unit's code."""
    made = posters(members, web_base_url=web_base_url, bot_username=bot_username)
    context = {
        **_values(language, standalone),
        "area": area,
        "group": group,
        "posters": made,
        "local_only": any(poster.local_only for poster in made),
        "telegram": bool(bot_username) and any("telegram" in p.campaign.channel_list for p in made),
    }
    return _ENV.get_template("kit_print.html").render(context)


def render_report(
    area: Area,
    table: Rollup,
    *,
    language: str = "nb",
    standalone: bool = True,
    now: datetime | None = None,
) -> str:
    """The municipality's report: the heat map, then per unit its themes with their actions (surveys.actions)."""
    context = {
        **_values(language, standalone),
        "area": area,
        "group": table.area_campaign,
        "rollup": table,
        "made_at": (now or utcnow()).astimezone(LOCAL_TIME).strftime("%Y-%m-%d %H:%M"),
    }
    return _ENV.get_template("kit_report.html").render(context)


def write_kit_files(folder: Path, kit_html: str, report_html: str) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    kit_file, report_file = folder / "kit.html", folder / "report.html"
    kit_file.write_text(kit_html, encoding="utf-8")
    report_file.write_text(report_html, encoding="utf-8")
    return kit_file, report_file
