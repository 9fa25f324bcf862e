from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tally.ops.window import Window
from tally.platform.errors import InvalidInput


@pytest.mark.parametrize(("text", "length"), [
    ("1s", timedelta(seconds=1)), ("15m", timedelta(minutes=15)), ("1h", timedelta(hours=1)),
    ("24h", timedelta(days=1)), ("7d", timedelta(days=7)), ("168h", timedelta(days=7)),
    ("604800s", timedelta(days=7)),
])
def test_valid_windows_parse_to_their_length(text, length):
    assert Window.parse(text).length == length


@pytest.mark.parametrize(("text", "rule"), [
    ("8d", "at most 7d"), ("169h", "at most 7d"), ("604801s", "at most 7d"),
    ("0h", "greater than 0"), ("0s", "greater than 0"),
    ("1w", "must match"), ("", "must match"), ("-1h", "must match"), ("1.5h", "must match"), ("h", "must match"),
    ("1H", "must match"), (" 1h", "must match"), ("1h ", "must match"),
])
def test_invalid_windows_are_rejected_with_the_rule_they_broke(text, rule):
    with pytest.raises(InvalidInput) as raised:
        Window.parse(text)
    assert rule in raised.value.message
    assert raised.value.status == 422


def test_a_huge_number_is_rejected_not_overflowed():
    with pytest.raises(InvalidInput, match="at most 7d"):
        Window.parse("9" * 40 + "d")


@given(st.integers(min_value=1, max_value=10**7), st.sampled_from("smhd"))
def test_every_well_formed_window_is_either_accepted_within_seven_days_or_rejected(value, unit):
    seconds = value * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]
    if seconds <= 7 * 86400:
        assert Window.parse(f"{value}{unit}").length.total_seconds() == seconds
    else:
        with pytest.raises(InvalidInput):
            Window.parse(f"{value}{unit}")
