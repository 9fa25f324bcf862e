"""Hierarchical minute / hour / day buckets, and the plan that covers a window with few of them.

A window [start, end) is read as: the ledger entries of its two ragged edge minutes, plus whole
minutes up to the first hour boundary, whole hours up to the first day boundary, whole days, and
back down again. A 7-day window therefore touches at most 59 + 23 + 7 + 23 + 59 bucket keys and
two edge minutes, however many failures were recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum


class Granularity(StrEnum):
    minute = "m"
    hour = "h"
    day = "d"

    @property
    def step(self) -> timedelta:
        return _STEP[self]

    def key(self, at: datetime) -> str:
        return at.astimezone(UTC).strftime(_FORMAT[self])

    def floor(self, at: datetime) -> datetime:
        at = at.astimezone(UTC)
        if self is Granularity.minute:
            return at.replace(second=0, microsecond=0)
        if self is Granularity.hour:
            return at.replace(minute=0, second=0, microsecond=0)
        return at.replace(hour=0, minute=0, second=0, microsecond=0)


_STEP = {Granularity.minute: timedelta(minutes=1), Granularity.hour: timedelta(hours=1),
         Granularity.day: timedelta(days=1)}
_FORMAT = {Granularity.minute: "%Y%m%d%H%M", Granularity.hour: "%Y%m%d%H", Granularity.day: "%Y%m%d"}
_LADDER = (Granularity.minute, Granularity.hour, Granularity.day)


@dataclass(frozen=True)
class BucketRange:
    """Whole buckets of one granularity, `first` to `last` inclusive (keys sort as times do)."""

    granularity: Granularity
    first: datetime
    last: datetime

    @property
    def first_key(self) -> str:
        return self.granularity.key(self.first)

    @property
    def last_key(self) -> str:
        return self.granularity.key(self.last)


@dataclass(frozen=True)
class EdgeSlice:
    """A part of one minute read from the ledger entries themselves: [start, end)."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class WindowPlan:
    ranges: tuple[BucketRange, ...]
    edges: tuple[EdgeSlice, ...]


def plan_window(start: datetime, end: datetime) -> WindowPlan:
    """Cover [start, end) exactly with edge slices and bucket ranges, coarsest buckets in the middle."""
    if end <= start:
        return WindowPlan((), ())
    minute = Granularity.minute
    inner_start = minute.floor(start) if minute.floor(start) == start else minute.floor(start) + minute.step
    inner_end = minute.floor(end)
    if inner_start >= inner_end:  # the whole window lies inside one or two ragged minutes
        cut = min(inner_start, end)
        edges = [EdgeSlice(start, cut)] + ([EdgeSlice(cut, end)] if cut < end else [])
        return WindowPlan((), tuple(e for e in edges if e.start < e.end))
    edges = []
    if start < inner_start:
        edges.append(EdgeSlice(start, inner_start))
    if inner_end < end:
        edges.append(EdgeSlice(inner_end, end))
    return WindowPlan(tuple(_cover(inner_start, inner_end)), tuple(edges))


def _cover(start: datetime, end: datetime) -> list[BucketRange]:
    """Aligned [start, end) as ranges climbing the ladder then descending it."""
    ranges: list[BucketRange] = []
    tail: list[BucketRange] = []
    for level, coarser in zip(_LADDER, (*_LADDER[1:], None), strict=True):
        if coarser is None:
            count = (end - start) // level.step
            if count:
                ranges.append(BucketRange(level, start, start + (count - 1) * level.step))
                start += count * level.step
            break
        # climb: finer buckets until start sits on a coarser boundary (or the window ends)
        boundary = coarser.floor(start)
        if boundary != start:
            boundary += coarser.step
        head_end = min(boundary, end)
        if head_end > start:
            ranges.append(BucketRange(level, start, head_end - level.step))
            start = head_end
        # descend: finer buckets from the last coarser boundary to the end
        tail_start = max(coarser.floor(end), start)
        if end > tail_start:
            tail.insert(0, BucketRange(level, tail_start, end - level.step))
            end = tail_start
        if start >= end:
            break
    return ranges + tail
