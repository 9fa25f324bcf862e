"""The local cloud's clock offset, as the functions' cache clocks read it."""

from __future__ import annotations

import math

import pytest

from tally.platform.clock import OffsetClock
from tally_dev.localcloud.clock import LocalClock


def test_advancing_adds_up_and_the_functions_clock_sees_it(tmp_path):
    local = LocalClock(tmp_path / "offset")
    seen = OffsetClock(local.path, base=lambda: 10.0)
    assert seen() == 10.0
    assert local.advance(61) == 61
    assert seen() == 71.0
    assert local.advance(0.5) == 61.5
    assert seen() == 71.5
    assert [p.name for p in tmp_path.iterdir()] == ["offset"]  # written whole, no partial file left


@pytest.mark.parametrize("seconds", [0, -1, math.nan, math.inf])
def test_the_clock_never_moves_back_or_stands_still(tmp_path, seconds):
    local = LocalClock(tmp_path / "offset")
    local.advance(5)
    with pytest.raises(ValueError, match="only moves forward"):
        local.advance(seconds)
    assert local.offset == 5
    assert OffsetClock(local.path, base=lambda: 0.0)() == 5
