"""QR codes for a campaign's web link, drawn by segno: inline SVG for the page and poster, PNG for download."""

from __future__ import annotations

import io

import segno


def qr_svg(link: str, *, scale: int = 6, title: str = "") -> str:
    """An SVG with both its own size and a viewBox: CSS may resize it (the A4 posters set it in mm) and it scales
    instead of being cropped; without CSS it keeps the size `scale` gives."""
    code = segno.make(link, error="m")
    buffer = io.BytesIO()
    code.save(
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
        omitsize=True,  # segno writes a viewBox only when it leaves out width and height; they are added below
    )
    width, height = code.symbol_size(scale=scale, border=2)
    return buffer.getvalue().decode().replace("<svg ", f'<svg width="{width}" height="{height}" ', 1)


def qr_png(link: str, *, scale: int = 12) -> bytes:
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()
