"""QR codes for a campaign's web link, drawn by segno: inline SVG for the page and poster, PNG for download."""

from __future__ import annotations

import io

import segno


def qr_svg(link: str, *, scale: int = 6, title: str = "") -> str:
    buffer = io.BytesIO()
    segno.make(link, error="m").save(
        buffer,
        kind="svg",
        scale=scale,
        border=2,
        xmldecl=False,
        svgns=True,
        title=title or None,
        svgclass="qr",
        lineclass=None,
        dark="#000",
        light="#fff",
    )
    return buffer.getvalue().decode()


def qr_png(link: str, *, scale: int = 12) -> bytes:
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()
