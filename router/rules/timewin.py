"""Time windows: ``days`` of the week and ``times`` of day, in a timezone.

A range that ends before it starts runs across midnight and belongs to the day
it starts on: ``days: [fri]`` with ``times: ["22:00-06:00"]`` covers Friday
22:00 to Saturday 06:00. Local time comes from ``zoneinfo``, so a window keeps
its wall-clock meaning across daylight-saving changes (a wall time skipped by
the change never occurs; one repeated by it occurs twice).
"""

from __future__ import annotations

import difflib
import re
import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from router.rules.base import StrictModel, yaml_kind

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_ALIASES = {d: i for i, d in enumerate(DAYS)} | {
    full: i for i, full in enumerate(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))}
_TIME_RANGE = re.compile(r"^(\d\d):(\d\d)-(\d\d):(\d\d)$")


@cache
def _zone_names() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


@cache
def zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def _timezone(value: str) -> str:
    try:
        zone(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        close = difflib.get_close_matches(value, _zone_names(), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else " (use an IANA name: Europe/Berlin)"
        raise PydanticCustomError("timezone", "unknown timezone {value}" + hint,
                                  {"value": repr(value)}) from None
    return value


Timezone = Annotated[str, AfterValidator(_timezone)]


def _days(value: Any) -> int:
    """``mon``, ``Monday``, ``mon-fri``, ``fri-mon`` -> a bit set of weekdays."""
    if not isinstance(value, str):
        raise PydanticCustomError("day_type", f"expected a day name, got {yaml_kind(value)}")
    first, _, last = value.strip().lower().partition("-")
    ends = [first, last] if last else [first]
    if any(e not in _DAY_ALIASES for e in ends):
        raise PydanticCustomError(
            "day", "unknown day {value} (write mon..sun, full names, or a range like mon-fri)",
            {"value": repr(value)})
    start, end = _DAY_ALIASES[ends[0]], _DAY_ALIASES[ends[-1]]
    span = (end - start) % 7
    return sum(1 << ((start + i) % 7) for i in range(span + 1))


def _minutes(hours: str, minutes: str, value: str) -> int:
    h, m = int(hours), int(minutes)
    if m > 59 or h > 24 or (h == 24 and m):
        raise PydanticCustomError("time", "invalid time in {value} (00:00 to 24:00)",
                                  {"value": repr(value)})
    return h * 60 + m


def _time_range(value: Any) -> tuple[int, int]:
    if not isinstance(value, str):
        raise PydanticCustomError("time_type", f"expected 'HH:MM-HH:MM', got {yaml_kind(value)}")
    found = _TIME_RANGE.match(value.strip())
    if found is None:
        raise PydanticCustomError("time", "invalid time range {value} (write HH:MM-HH:MM, "
                                  "e.g. 22:00-06:00)", {"value": repr(value)})
    start = _minutes(found[1], found[2], value)
    end = _minutes(found[3], found[4], value)
    if start == end:
        raise PydanticCustomError("time_empty", "time range {value} is empty",
                                  {"value": repr(value)})
    return (start, end)


Day = Annotated[int, BeforeValidator(_days), WithJsonSchema(
    {"type": "string", "description": "mon..sun, full names, or a range such as mon-fri"})]
TimeRange = Annotated[tuple[int, int], BeforeValidator(_time_range), WithJsonSchema(
    {"type": "string", "pattern": r"^\d\d:\d\d-\d\d:\d\d$"})]


class WindowSpec(StrictModel):
    """One window: ``days`` and/or ``times``; ``timezone`` pins it to one zone."""

    days: tuple[Day, ...] | None = None
    times: tuple[TimeRange, ...] | None = None
    timezone: Timezone | None = None

    @model_validator(mode="after")
    def _something_given(self) -> WindowSpec:
        if not self.days and not self.times:
            raise PydanticCustomError("empty_window", "give days, times or both")
        return self

    def compile(self, name: str | None = None) -> Window:
        mask = 0
        for bits in self.days or (0x7F,):
            mask |= bits
        times = tuple(self.times or ((0, 24 * 60),))
        return Window(mask, times, self.timezone, name or _written(mask, times, self.timezone))


def _written(mask: int, times: tuple[tuple[int, int], ...], tz: str | None) -> str:
    """A window in words, e.g. ``mon-fri 22:00-06:00 Europe/Berlin``."""
    parts = [] if mask == 0x7F else [_day_ranges(mask)]
    if times != ((0, 24 * 60),):
        parts.append(",".join(f"{_hhmm(a)}-{_hhmm(b)}" for a, b in times))
    if tz:
        parts.append(tz)
    return " ".join(parts) or "every day"


def _day_ranges(mask: int) -> str:
    ranges: list[str] = []
    day = 0
    while day < 7:
        if not mask & (1 << day):
            day += 1
            continue
        end = day
        while end + 1 < 7 and mask & (1 << (end + 1)):
            end += 1
        ranges.append(DAYS[day] if end == day else f"{DAYS[day]}-{DAYS[end]}")
        day = end + 1
    return ",".join(ranges)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class Window:
    """A compiled window: a weekday bit set, minute ranges, an optional fixed zone."""

    days: int
    times: tuple[tuple[int, int], ...]
    timezone: str | None
    written: str

    def contains(self, local: datetime) -> bool:
        minute = local.hour * 60 + local.minute
        today = 1 << local.weekday()
        yesterday = 1 << ((local.weekday() - 1) % 7)
        for start, end in self.times:
            if start < end:
                if start <= minute < end and self.days & today:
                    return True
            elif (minute >= start and self.days & today) or \
                    (minute < end and self.days & yesterday):
                return True
        return False


def local_time(now: datetime, tz: str | None) -> datetime:
    return now.astimezone(zone(tz or "UTC"))
