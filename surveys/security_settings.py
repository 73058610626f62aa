"""The security settings (reverse proxy, staff sessions, log addresses, web-chat limits), read from the environment.

Kept apart from surveys.settings so the parsing and its error messages sit in one small place; Settings.from_env
merges what `read_security_settings` returns.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from surveys.settings_errors import SettingsError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(name: str, text: str) -> tuple[Network, ...]:
    """Comma- or space-separated addresses and CIDR ranges, e.g. "127.0.0.1, 10.0.0.0/8, ::1"."""
    networks: list[Network] = []
    for item in text.replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise SettingsError(
                f"{name} must list IP addresses or CIDR ranges separated by commas (e.g. 127.0.0.1, 10.0.0.0/8), "
                f"and {item!r} is neither."
            ) from None
    return tuple(networks)


def _positive_int(env: Mapping[str, str], name: str, default: int, *, unit: str, maximum: int) -> int:
    text = env.get(name, "").strip() or str(default)
    if not text.isdigit() or not 0 < int(text) <= maximum:
        raise SettingsError(f"{name} must be a whole number of {unit} between 1 and {maximum}, not {text!r}.")
    return int(text)


def _flag(env: Mapping[str, str], name: str) -> bool:
    text = env.get(name, "").strip().lower()
    if text in ("", "0", "false", "no", "off"):
        return False
    if text in ("1", "true", "yes", "on"):
        return True
    raise SettingsError(f"{name} must be 1 or 0 (true/false), not {text!r}.")


def read_security_settings(env: Mapping[str, str]) -> dict[str, Any]:
    return {
        "trusted_proxies": parse_networks("VIKTIG_TRUSTED_PROXIES", env.get("VIKTIG_TRUSTED_PROXIES", "")),
        "session_idle_minutes": _positive_int(env, "VIKTIG_SESSION_IDLE_MINUTES", 30, unit="minutes", maximum=24 * 60),
        "session_lifetime_hours": _positive_int(
            env, "VIKTIG_SESSION_LIFETIME_HOURS", 12, unit="hours", maximum=24 * 30
        ),
        "log_client_ip": _flag(env, "VIKTIG_LOG_CLIENT_IP"),
        "chat_limit_per_visitor": _positive_int(
            env, "VIKTIG_CHAT_LIMIT_PER_VISITOR", 30, unit="messages a minute", maximum=100_000
        ),
        "chat_limit_per_address": _positive_int(
            env, "VIKTIG_CHAT_LIMIT_PER_ADDRESS", 600, unit="messages a minute", maximum=1_000_000
        ),
        "metrics_token": env.get("VIKTIG_METRICS_TOKEN", "").strip() or None,
        "metrics_allow": parse_networks("VIKTIG_METRICS_ALLOW", env.get("VIKTIG_METRICS_ALLOW", "")),
    }
