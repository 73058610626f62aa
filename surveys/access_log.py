"""The access log: who viewed or exported which campaign's answers, and when (Normen asks for it)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from surveys.models import AccessLogEntry


async def record_access(
    session: AsyncSession, *, actor: str, action: str, campaign_id: int | None, detail: str = ""
) -> None:
    """Add an entry in the caller's transaction; the detail must never hold answer text or identifiers."""
    session.add(AccessLogEntry(actor=actor, action=action, campaign_id=campaign_id, detail=detail))
