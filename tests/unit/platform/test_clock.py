"""The caches' monotonic clock: `time.monotonic` unless the local cloud names an offset file."""

from __future__ import annotations

import time

import pytest

from tally.platform.clock import OffsetClock, monotonic_clock


def test_without_an_offset_file_the_clock_is_time_monotonic():
    assert monotonic_clock(None) is time.monotonic
    assert monotonic_clock("") is time.monotonic


def test_the_offset_files_seconds_are_added_to_the_base_clock(tmp_path):
    path = tmp_path / "offset"
    clock = OffsetClock(path, base=lambda: 100.0)
    assert clock() == 100.0  # no file yet: not moved
    path.write_text("61.5")
    assert clock() == 161.5
    path.write_text("3600")
    assert clock() == 3700.0


@pytest.mark.parametrize("text", ["", "soon", "-30", "nan", "inf", "-inf"])
def test_an_offset_that_is_not_a_forward_finite_number_moves_nothing(tmp_path, text):
    path = tmp_path / "offset"
    path.write_text(text)
    assert OffsetClock(path, base=lambda: 5.0)() == 5.0


def test_a_named_file_gives_an_offset_clock_on_the_real_monotonic_clock(tmp_path):
    path = tmp_path / "offset"
    path.write_text("1000")
    clock = monotonic_clock(str(path))
    assert isinstance(clock, OffsetClock)
    assert clock.base is time.monotonic
    assert clock() >= time.monotonic() + 999
