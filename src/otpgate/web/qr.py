"""QR codes as inline SVG (segno): made here, never by an outside service, so the
authenticator secret in the ``otpauth://`` URI never leaves otpgate."""

from __future__ import annotations

QR_LABEL = "QR code to scan with your authenticator app"


def qr_svg(uri: str) -> str:
    """An ``<svg>`` element for ``uri`` (never Micro QR: apps can't read it), labelled for
    screen readers; the URI itself is not repeated in it."""
    import segno  # ~11 MB: loaded by the first enrolment, not by every worker

    code = segno.make(uri, error="m", micro=False)
    svg: str = code.svg_inline(scale=4, border=4, dark="#000", light="#fff", title=QR_LABEL)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{QR_LABEL}" ', 1)
