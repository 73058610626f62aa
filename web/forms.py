"""Reading the campaign form into values for surveys.campaigns, with a catalogue key for each problem."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from multidict import MultiDictProxy

from surveys.campaigns import CHANNELS, CampaignError, parse_channels, parse_languages
from surveys.settings import LANGUAGES


@dataclass
class CampaignForm:
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _int(text: str, *, default: int | None) -> int | None:
    text = text.strip()
    if not text:
        return default
    return int(text) if text.isdigit() else -1


def _moment(text: str) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CampaignError("campaign.bad_date") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("Europe/Oslo")).astimezone(UTC)


def read_campaign_form(form: MultiDictProxy[Any]) -> CampaignForm:
    result = CampaignForm()
    values = result.values
    values["name"] = str(form.get("name", "")).strip()
    if not values["name"]:
        result.errors.append("campaign.need_name")
    main = str(form.get("main_language", "nb"))
    chosen = [main] + [lang for lang in LANGUAGES if form.get(f"lang_{lang}") and lang != main]
    try:
        values["languages"] = parse_languages(",".join(chosen))
    except CampaignError:
        result.errors.append("campaign.bad_languages")
    try:
        values["channels"] = parse_channels(",".join(name for name in CHANNELS if form.get(f"channel_{name}")))
    except CampaignError:
        result.errors.append("campaign.need_channel")
    values["anonymous"] = bool(form.get("anonymous"))
    values["count_completed_only"] = bool(form.get("count_completed_only"))
    values["kiosk"] = bool(form.get("kiosk"))
    values["reminder_after_hours"] = _int(str(form.get("reminder_after_hours", "")), default=None)
    if values["reminder_after_hours"] is not None and values["reminder_after_hours"] < 1:
        result.errors.append("campaign.bad_reminder")
    values["retention_months"] = _int(str(form.get("retention_months", "")), default=12)
    if values["retention_months"] is None or values["retention_months"] < 1:
        result.errors.append("campaign.bad_retention")
    for name in ("opens_at", "closes_at"):
        try:
            values[name] = _moment(str(form.get(name, "")))
        except CampaignError:
            values[name] = None
            result.errors.append("campaign.bad_date")
    if values["opens_at"] and values["closes_at"] and values["closes_at"] <= values["opens_at"]:
        result.errors.append("campaign.close_before_open")
    values["purpose"] = {lang: text for lang in LANGUAGES if (text := str(form.get(f"purpose_{lang}", "")).strip())}
    values["privacy_text"] = {
        lang: text for lang in LANGUAGES if (text := str(form.get(f"privacy_{lang}", "")).strip())
    }
    return result
