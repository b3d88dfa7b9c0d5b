"""The embeddable badge: a small static SVG naming the registry, the live status and the
serial. No script, no external resource, no font download: an ``<img>`` anywhere can show it,
and it can do nothing but be seen. It is a *pointer* to the verify page, never a proof: anyone
can copy an image, so the verify page's guidance says to check the address it links to.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

#: status → (label, background colour); colours have 4.5:1 contrast with white text
STYLES = {
    "active": ("Certified: valid", "#1a7f37"),
    "suspended": ("Suspended", "#9a6700"),
    "withdrawn": ("Withdrawn", "#b42318"),
    "superseded": ("Replaced by a renewal", "#57606a"),
    "expired": ("Expired", "#57606a"),
    "unknown": ("Unknown certificate", "#b42318"),
}


def _width(text: str) -> int:
    # a generous estimate of 11px sans-serif text (no font metrics in an image anyone embeds)
    return 12 + int(len(text) * 6.6)


def render_badge(registry: str, status: str, serial: str, checked: str) -> bytes:
    """The badge's SVG bytes: *registry*'s name on the left, the status on the right, the
    serial and the date it was drawn (*checked*) under them; the title says it all again for
    screen readers."""
    label, colour = STYLES.get(status, STYLES["unknown"])
    left, right = registry[:40], label
    left_w, right_w = _width(left), _width(right)
    width = max(left_w + right_w, _width(serial) + 20)
    title = f"{registry}: certificate {serial}, {label} (checked {checked})"
    e = escape
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="40" '
        f'viewBox="0 0 {width} 40" role="img" aria-label="{e(title, {chr(34): "&quot;"})}">'
        f"<title>{e(title)}</title>"
        f'<rect width="{width}" height="40" rx="4" fill="#24292f"/>'
        f'<rect x="{left_w}" width="{width - left_w}" height="22" rx="4" fill="{colour}"/>'
        '<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="6" y="15">{e(left)}</text>'
        f'<text x="{left_w + 6}" y="15" font-weight="bold">{e(right)}</text>'
        f'<text x="6" y="34" font-size="10">{e(serial)} · {e(checked)}</text>'
        "</g></svg>"
    )
    return svg.encode()
