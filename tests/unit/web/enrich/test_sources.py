"""Source classification: tags first, then known referrers by clean name, then hosts, else Direct / None."""

from __future__ import annotations

import hashlib
from importlib import resources

import pytest

from tally.web.enrich.referrers import referrer_database
from tally.web.enrich.sources import DIRECT, Source, source_from

PAGE = "https://example.com/blog/post"
DATABASE_SHA256 = "b20e106d5bc040bcc3280fa197e9e026f41321f961d66508dd0354af222c6428"


@pytest.mark.parametrize(
    ("referrer", "source", "medium", "referrer_host"),
    [
        ("https://www.google.com/search?q=tally", "Google", "search", "google.com"),
        ("https://google.co.uk/", "Google", "search", "google.co.uk"),
        ("https://www.google.com/imgres?imgurl=x", "Google Images", "search", "google.com"),
        ("https://www.bing.com/search?q=tally", "Bing", "search", "bing.com"),
        ("https://duckduckgo.com/", "DuckDuckGo", "search", "duckduckgo.com"),
        ("https://search.brave.com/search?q=x", "Brave Search", "search", "search.brave.com"),
        ("https://t.co/AbC123", "Twitter", "social", "t.co"),
        ("https://x.com/someone/status/1", "Twitter", "social", "x.com"),
        ("https://l.facebook.com/l.php?u=x", "Facebook", "social", "l.facebook.com"),
        ("https://m.facebook.com/", "Facebook", "social", "m.facebook.com"),
        ("https://www.linkedin.com/feed/", "LinkedIn", "social", "linkedin.com"),
        ("https://lnkd.in/abc", "LinkedIn", "social", "lnkd.in"),
        ("https://old.reddit.com/r/python", "Reddit", "social", "old.reddit.com"),
        ("https://news.ycombinator.com/item?id=1", "Hacker News", "social", "news.ycombinator.com"),
        ("android-app://com.google.android.gm", "Gmail", "email", "android-app://com.google.android.gm"),
        ("android-app://com.reddit.frontpage/", "Reddit", "social", "android-app://com.reddit.frontpage"),
        ("https://de.wikipedia.org/wiki/Statistik", "Wikipedia", "referral", "de.wikipedia.org"),
        ("https://chatgpt.com/", "ChatGPT", "referral", "chatgpt.com"),
    ],
)
def test_known_referrers_get_their_clean_name_and_medium(referrer, source, medium, referrer_host):
    result = source_from(referrer, PAGE, "example.com")

    assert (result.source, result.medium, result.referrer_host) == (source, medium, referrer_host)


def test_an_unknown_referrer_is_its_host_without_www():
    assert source_from("https://www.markosaric.com/post?x=1", PAGE, "example.com") == Source(
        source="markosaric.com", referrer_host="markosaric.com")


def test_an_unknown_app_keeps_its_android_app_prefix():
    assert source_from("android-app://org.example.reader", PAGE).source == "android-app://org.example.reader"


@pytest.mark.parametrize("referrer", [None, "", "   "])
def test_no_referrer_is_direct(referrer):
    assert source_from(referrer, PAGE, "example.com") == Source(source=DIRECT)


@pytest.mark.parametrize("referrer", [
    "https://example.com/",  # the site itself
    "https://www.example.com/pricing",  # with www
    "https://EXAMPLE.com/",  # any case
    "http://localhost:3000/",
    "javascript:void(0)",
    "file:///home/me/page.html",
    "not a url",
])
def test_self_referrals_localhost_and_non_web_referrers_are_direct(referrer):
    assert source_from(referrer, "https://www.example.com/", "example.com").is_direct


def test_a_self_referral_is_recognised_by_the_page_host_even_without_a_site_domain():
    assert source_from("https://shop.example.org/cart", "https://shop.example.org/thanks").is_direct


def test_utm_source_wins_over_the_referrer_and_all_utm_tags_are_kept():
    result = source_from(
        "https://www.google.com/",
        "https://example.com/?utm_source=newsletter&utm_medium=email&utm_campaign=launch"
        "&utm_content=header&utm_term=stats",
        "example.com",
    )

    assert result == Source(source="newsletter", referrer_host="google.com", utm_source="newsletter",
                            utm_medium="email", utm_campaign="launch", utm_content="header", utm_term="stats")


def test_tag_precedence_is_utm_source_then_source_then_ref():
    assert source_from(None, "https://example.com/?ref=c&source=b&utm_source=a").source == "a"
    assert source_from(None, "https://example.com/?ref=c&source=b").source == "b"
    assert source_from(None, "https://example.com/?ref=c").source == "c"


@pytest.mark.parametrize(("tag", "source"), [
    ("google", "Google"), ("GOOGLE", "Google"), ("twitter", "Twitter"), ("ig", "Instagram"), ("fb", "Facebook"),
    ("adwords", "Google"), ("news.ycombinator.com", "Hacker News"), ("www.reddit.com", "Reddit"),
    ("my-podcast", "my-podcast"),
])
def test_tags_naming_known_sources_become_their_clean_names(tag, source):
    assert source_from(None, f"https://example.com/?utm_source={tag}").source == source


def test_blank_tags_are_ignored():
    result = source_from("https://t.co/x", "https://example.com/?utm_source=&ref=%20&utm_medium=")

    assert (result.source, result.utm_source, result.utm_medium) == ("Twitter", None, None)


def test_a_tag_on_a_direct_visit_names_the_source():
    assert source_from(None, "https://example.com/?ref=producthunt").source == "producthunt"


def test_tag_values_are_capped_at_2000_characters():
    result = source_from(None, "https://example.com/?utm_campaign=" + "x" * 3000)

    assert result.utm_campaign == "x" * 2000


def test_the_bundled_referrer_database_is_the_pinned_file():
    data = resources.files("tally.web.enrich").joinpath("data/referrers.json").read_bytes()

    assert hashlib.sha256(data).hexdigest() == DATABASE_SHA256


def test_subdomains_of_a_known_referrer_are_known_but_lookalike_domains_are_not():
    db = referrer_database()

    assert db.lookup("mail.yahoo.com") is not None
    assert db.lookup("notgoogle.com") is None
    assert db.lookup("com") is None
