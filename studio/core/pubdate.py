"""When an episode is published: the script's date at the show's publish_time in its timezone.

Podcast apps show a pubDate in the listener's own time zone, so the moment decides which day
they see. The default, 10:00 UTC, is the script's date everywhere from UTC-10 (Hawaii) to
UTC+13 (New Zealand in summer): in New York it is 05:00 or 06:00, in London 10:00 or 11:00,
in Beijing 18:00. A show whose listeners share one region sets its own zone and hour.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

from studio.core.lazy import lazy_pattern

DATE_ONLY = lazy_pattern(r"\d{4}-\d{2}-\d{2}")


def zone(name: str) -> dt.tzinfo:
    """The time zone called `name` (IANA, e.g. "Asia/Shanghai"; "UTC" needs no tz database)."""
    return dt.timezone.utc if name.upper() in ("UTC", "Z") else zoneinfo.ZoneInfo(name)


def known_zone(name: str) -> bool:
    try:
        zone(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):  # ValueError: a path-like or malformed key
        return False
    return True


def published_at(day: dt.date, timezone: str, publish_time: str, given: str | None = None) -> dt.datetime:
    """The moment an episode dated `day` is published: `given` (the script's own pub_date: a date,
    or a date and time, without an offset in the show's zone), else `day` at `publish_time`."""
    tz = zone(timezone)
    hour, minute = (int(p) for p in publish_time.split(":"))
    if given and DATE_ONLY.fullmatch(given):
        day, given = dt.date.fromisoformat(given), None
    if given:
        when = dt.datetime.fromisoformat(given)
        return when if when.tzinfo else when.replace(tzinfo=tz)
    return dt.datetime.combine(day, dt.time(hour, minute), tz)
