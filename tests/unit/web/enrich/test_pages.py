"""Pages: host without www, path without query or fragment, trailing slash kept, 2,000 characters at most."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tally.web.enrich.pages import MAX_PATH, InvalidPageUrl, Page, normalize_page


@pytest.mark.parametrize(("url", "page"), [
    ("https://example.com/pricing", Page("example.com", "/pricing")),
    ("https://www.example.com/blog/", Page("example.com", "/blog/")),
    ("https://WWW.Example.COM/Blog/Post", Page("example.com", "/Blog/Post")),
    ("https://example.com", Page("example.com", "/")),
    ("https://example.com/?utm_source=x", Page("example.com", "/")),
    ("https://example.com/docs?page=2#install", Page("example.com", "/docs")),
    ("https://example.com:8443/a", Page("example.com", "/a")),
    ("https://shop.example.com/cart", Page("shop.example.com", "/cart")),
    ("https://example.com/caf%C3%A9/", Page("example.com", "/café/")),
    ("https://example.com/100%25", Page("example.com", "/100%25")),
    ("https://example.com/a%3Fb%23c", Page("example.com", "/a%3Fb%23c")),
    ("https://example.com/a%20b", Page("example.com", "/a%20b")),
    ("https://example.com/latin-%E9", Page("example.com", "/latin-%E9")),
    ("  https://example.com/trimmed  ", Page("example.com", "/trimmed")),
])
def test_pages_of_urls(url, page):
    assert normalize_page(url) == page


def test_hash_mode_keeps_the_fragment_as_part_of_the_path():
    assert normalize_page("https://example.com/app?x=1#/settings/profile", hash_mode=True) == Page(
        "example.com", "/app#/settings/profile")
    assert normalize_page("https://example.com/app", hash_mode=True) == Page("example.com", "/app")


def test_paths_are_capped_at_2000_characters_without_cutting_an_escape_in_half():
    page = normalize_page("https://example.com/" + "a" * 1997 + "%3F" + "b" * 50)

    assert len(page.path) <= MAX_PATH
    assert page.path == "/" + "a" * 1997
    assert len(normalize_page("https://example.com/" + "a" * 5000).path) == MAX_PATH


@pytest.mark.parametrize("url", ["/relative/path", "", "https://", "not a url", "https://example.com:99999/"])
def test_urls_without_a_host_are_malformed(url):
    with pytest.raises(InvalidPageUrl) as raised:
        normalize_page(url)

    assert raised.value.status == 400


hosts = st.from_regex(r"\A(www\.)?[a-zA-Z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z]{2,6}){1,2}\Z")
path_pieces = st.one_of(st.text(max_size=12), st.from_regex(r"\A%[0-9A-Fa-f]{2}\Z"), st.sampled_from(["%", "/", " "]))
paths = st.one_of(
    st.lists(path_pieces, max_size=40).map(lambda pieces: "/" + "".join(pieces).replace("?", "").replace("#", "")),
    st.integers(1990, 2010).map(lambda n: "/" + "a" * n + "%C3%A9%25"),  # around the 2,000 cap
)
urls = st.builds(lambda scheme, host, path, query, fragment: f"{scheme}://{host}{path}{query}{fragment}",
                 st.sampled_from(["http", "https"]), hosts, paths,
                 st.one_of(st.just(""), st.text(max_size=50).map(lambda s: "?" + s.replace("#", ""))),
                 st.one_of(st.just(""), st.text(max_size=50).map(lambda s: "#" + s)))


@given(urls)
def test_a_page_never_carries_a_query_or_fragment(url):
    page = normalize_page(url)

    assert "?" not in page.path and "#" not in page.path
    assert page.path.startswith("/")
    assert not page.host.startswith("www.")
    assert len(page.path) <= MAX_PATH


@given(urls)
def test_normalising_a_page_again_changes_nothing(url):
    page = normalize_page(url)

    assert normalize_page(f"https://{page.host}{page.path}") == page
