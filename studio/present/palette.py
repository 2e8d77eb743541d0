"""The palette of the email and the site, light and dark, every text colour at >= 4.5:1 (WCAG 2).

The show's accent colour (show.toml `[email] accent`) colours links and buttons;
it is darkened for light backgrounds and lightened for dark ones until it reads.
"""

from __future__ import annotations

MIN_CONTRAST = 4.5

# mark: the background of the sentence being played on the transcript page (text stays >= 4.5:1 on it)
LIGHT = {"page": "#f3f4f6", "card": "#ffffff", "text": "#1f2937", "head": "#111827", "muted": "#4b5563",
         "rule": "#e5e7eb", "chip": "#f3f4f6", "mark": "#fdf0b5"}
DARK = {"page": "#0b0b0c", "card": "#1c1c1e", "text": "#e5e7eb", "head": "#f9fafb", "muted": "#a1a1aa",
        "rule": "#3f3f46", "chip": "#27272a", "mark": "#4a4220"}


def rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def luminance(hex_colour: str) -> float:
    def lin(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(v) for v in rgb(hex_colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = luminance(a), luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def _mix(a: str, b: str, t: float) -> str:
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(rgb(a), rgb(b)))


def readable(colour: str, backgrounds: list[str], toward: str, target: float = MIN_CONTRAST + 0.3) -> str:
    """`colour` mixed toward `toward` (black or white) just enough to reach `target` on every background."""
    for step in range(0, 101):
        c = _mix(colour, toward, step / 100)
        if all(contrast(c, bg) >= target for bg in backgrounds):
            return c
    return toward


def palette(accent: str) -> dict[str, dict[str, str]]:
    """{"light": {...}, "dark": {...}} with `accent` (links, on card and page) and `button` (white text on it)."""
    light_accent = readable(accent, [LIGHT["card"], LIGHT["page"], LIGHT["chip"], "#ffffff"], "#000000")
    dark_accent = readable(accent, [DARK["card"], DARK["page"], DARK["chip"]], "#ffffff")
    return {"light": dict(LIGHT, accent=light_accent, button=light_accent, on_button="#ffffff"),
            "dark": dict(DARK, accent=dark_accent, button=light_accent, on_button="#ffffff")}
