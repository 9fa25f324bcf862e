"""A site's domain is stored in one spelling: the one ingest looks up."""

from __future__ import annotations

import string

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tally.sites.domain import InvalidDomain, normalise_domain

LABEL = st.from_regex(r"\A[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?\Z")
TLD = st.from_regex(r"\A[a-z]{2,10}\Z")
HOST = st.builds(lambda labels, tld: ".".join([*labels, tld]), st.lists(LABEL, min_size=1, max_size=4), TLD) \
    .filter(lambda h: not h.startswith("www."))


@pytest.mark.parametrize(("raw", "normalised"), [
    ("example.com", "example.com"),
    ("Example.COM", "example.com"),
    ("  example.com  ", "example.com"),
    ("example.com.", "example.com"),
    ("www.example.com", "example.com"),
    ("WWW.Example.com", "example.com"),
    ("https://www.example.com/blog?x=1#top", "example.com"),
    ("http://example.com:8080", "example.com"),
    ("example.com:443/path", "example.com"),
    ("blog.example.co.uk", "blog.example.co.uk"),
    ("www.com", "www.com"),  # stripping would leave a bare TLD
    ("www.www.example.com", "example.com"),
    ("shop.www.example.com", "shop.www.example.com"),  # only leading labels
    ("Bücher.example", "xn--bcher-kva.example"),
    ("https://www.BÜCHER.example/", "xn--bcher-kva.example"),
    ("xn--bcher-kva.example", "xn--bcher-kva.example"),
    ("例え.テスト", "xn--r8jz45g.xn--zckzah"),
    ("münchen。de", "xn--mnchen-3ya.de"),  # ideographic full stop separates labels too
    ("a1-b2.example", "a1-b2.example"),
])
def test_domains_are_normalised_to_one_spelling(raw, normalised):
    assert normalise_domain(raw) == normalised


@pytest.mark.parametrize(("raw", "reason"), [
    ("", "required"),
    ("   ", "required"),
    ("localhost", "two labels"),
    ("com", "two labels"),
    ("192.0.2.1", "IP address"),
    ("http://[2001:db8::1]/", "IP address"),
    ("exa mple.com", "spaces"),
    ("example.com\n", "example.com"),  # trailing whitespace is trimmed, not an error
    ("exam\tple.com", "spaces"),
    ("exa_mple.com", "not valid"),
    ("-example.com", "not valid"),
    ("example-.com", "not valid"),
    ("example..com", "not valid"),
    ("a" * 64 + ".com", "not valid"),
    (".".join(["a" * 60] * 5), "at most 253"),
    ("user@example.com", "user name"),
    ("https://user:pw@example.com/", "user name"),
    ("example.com:port", "not a host name"),
    ("example.com\\evil.com", "backslashes"),
    ("xn--zz.com", "punycode"),
    ("xn--abc.com", "international"),
    ("x" * 1001, "at most 1000"),
    ("ex%41mple.com", "not valid"),
])
def test_what_is_not_a_host_name_is_rejected_with_a_reason(raw, reason):
    if reason == "example.com":
        assert normalise_domain(raw) == "example.com"
        return
    with pytest.raises(InvalidDomain, match=reason):
        normalise_domain(raw)


@given(st.text(max_size=80))
@example("www.www.com")
@example("WWW.Ⅻ.example")
@example("xn--bcher-kva.www.example")
def test_normalising_is_idempotent(raw):
    try:
        once = normalise_domain(raw)
    except InvalidDomain:
        return
    assert normalise_domain(once) == once


@given(HOST)
def test_a_leading_www_is_stripped(host):
    assert normalise_domain(f"www.{host}") == normalise_domain(host) == host


@given(HOST, st.sampled_from(["http://", "https://", "HTTPS://", ""]), st.integers(1, 65535) | st.none(),
       st.text(alphabet=string.ascii_letters + string.digits + "/?#=&", max_size=20))
def test_scheme_port_path_and_case_do_not_change_the_domain(host, scheme, port, rest):
    url = f"{scheme}{host.upper()}{f':{port}' if port else ''}/{rest}"
    assert normalise_domain(url) == host


@given(HOST, st.sampled_from(list("_!$'()*+,; <>\"{}|^`")), st.data())
def test_hosts_with_forbidden_characters_are_rejected(host, bad, data):
    position = data.draw(st.integers(1, len(host) - 1))
    with pytest.raises(InvalidDomain):
        normalise_domain(host[:position] + bad + host[position:])


@given(st.ip_addresses(v=4).map(str) | st.ip_addresses(v=6).map(lambda ip: f"[{ip}]"))
def test_ip_addresses_are_rejected(address):
    with pytest.raises(InvalidDomain):
        normalise_domain(address)


@given(st.lists(LABEL, min_size=1, max_size=3), st.integers(64, 80))
def test_labels_longer_than_63_characters_are_rejected(labels, length):
    with pytest.raises(InvalidDomain):
        normalise_domain(".".join(["a" * length, *labels, "com"]))
