"""The literal prefilter of `PatternList` never changes an answer, only the cost of getting it."""

from __future__ import annotations

import random
import re

import pytest
from crawlerdetect.providers.crawlers import data as crawlerdetect_patterns
from crawleruseragents import CRAWLER_USER_AGENTS_DATA
from hypothesis import given, settings
from hypothesis import strategies as st

from tally.web.enrich import bot_lists
from tally.web.enrich.bot_patterns import PatternList, alternatives, required_literals
from tests.unit.web.enrich import ua_samples as ua

CUA_PATTERNS = [entry["pattern"] for entry in CRAWLER_USER_AGENTS_DATA]
CUA_INSTANCES = sorted({i for entry in CRAWLER_USER_AGENTS_DATA for i in entry.get("instances", [])})


@pytest.mark.parametrize(("pattern", "literals"), [
    (r"Googlebot\/", {"googlebot/"}),
    (r"^Aether", {"aether"}),
    (r"[wW]get", {"wget"}),
    (r"check(?:er)?", {"check", "checker"}),
    (r"user[ _]?agent", {"useragent", "user agent", "user_agent"}),
    (r"(?:BuiltWith|BW/)", {"builtwith", "bw/"}),  # re's parser factors the `B` out: spelled back in
    (r"(360Spider(?:-Image|-Video)?)", {"360spider", "360spider-image", "360spider-video"}),
    (r"Amazon[ -]Route", {"amazon route", "amazon-route"}),
    (r"(?<!cu)bot(?![ _]TAB)", {"bot"}),
])
def test_the_literals_a_pattern_needs_are_found(pattern, literals):
    assert required_literals(pattern, re.IGNORECASE) == literals


@pytest.mark.parametrize("pattern", [r".*", r"a.b", r"[a-z]+bot?", r"^.{2}$", r"(?:ab|c)"])
def test_a_pattern_without_a_long_enough_literal_has_none(pattern):
    assert required_literals(pattern) is None


@pytest.mark.parametrize(("pattern", "parts"), [
    ("nuhk|grub-client|^(?:chrome|firefox)$", ["nuhk", "grub-client", "^(?:chrome|firefox)$"]),
    (r"a[|)]b|c\|d|(e|f)", [r"a[|)]b", r"c\|d", "(e|f)"]),
    (r"[]|]x|y", [r"[]|]x", "y"]),
    ("(?i)ab|cd", ["(?i)ab|cd"]),
])
def test_a_pattern_is_filtered_by_its_top_level_alternatives(pattern, parts):
    assert alternatives(pattern) == parts


def test_a_common_word_in_one_alternative_does_not_make_the_others_run():
    patterns = PatternList([r"nuhk|^(?:chrome|firefox)$"], flags=re.IGNORECASE)

    assert patterns.search(ua.CHROME_WINDOWS) is None
    assert patterns.search("Chrome") == r"nuhk|^(?:chrome|firefox)$"


def test_patterns_without_a_literal_still_run_on_every_text():
    patterns = PatternList([r"Googlebot/", r"^[a-z]{2}$"])

    assert patterns.unfiltered_patterns() == [r"^[a-z]{2}$"]
    assert patterns.search("ok") == r"^[a-z]{2}$"
    assert patterns.search("Googlebot/2.1") == "Googlebot/"
    assert patterns.search("Mozilla/5.0") is None


def _joined(patterns: list[str], flags: int, template: str = "{}") -> re.Pattern[str]:
    return re.compile(template.format("|".join(patterns)), flags)


def test_crawler_user_agents_answers_as_its_joined_regex_on_real_user_agents():
    sample = random.Random(7).sample(CUA_INSTANCES, 150) + ua.HUMANS + ua.BOTS
    patterns = PatternList(CUA_PATTERNS)
    joined = _joined(CUA_PATTERNS, 0)

    assert [patterns.search(u) is not None for u in sample] == [joined.search(u) is not None for u in sample]


def test_crawlerdetect_and_matomo_answer_as_their_joined_regexes_on_real_user_agents():
    sample = random.Random(8).sample(CUA_INSTANCES, 100) + ua.HUMANS + ua.BOTS
    matomo = bot_lists._matomo()
    lists = [(PatternList(crawlerdetect_patterns, flags=re.IGNORECASE), _joined(crawlerdetect_patterns, re.I)),
             (matomo, _joined(matomo.patterns, re.I, bot_lists.MATOMO_BOUNDARY))]
    for patterns, joined in lists:
        assert [patterns.search(u) is not None for u in sample] == [joined.search(u) is not None for u in sample]


_SMALL_LIST = CUA_PATTERNS[::15]
_SMALL_JOINED = _joined(_SMALL_LIST, re.IGNORECASE)
_SMALL = PatternList(_SMALL_LIST, flags=re.IGNORECASE)
_PIECES = st.sampled_from([*CUA_INSTANCES[::7], "bot", "Bot", "crawl", "/", " ", "(", ";", "Mozilla/5.0"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text(max_size=8)), max_size=4).map("".join))
def test_the_prefilter_agrees_with_the_joined_regex_on_any_text(text):
    assert (_SMALL.search(text) is not None) == (_SMALL_JOINED.search(text) is not None)
