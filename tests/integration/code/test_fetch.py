"""Cloning an untrusted repository: pinned to the checked address, no redirects, capped, all or nothing."""

from __future__ import annotations

import subprocess

import pytest

from tally.code.fetch import Clone, CloneCapExceeded, fetch_repository
from tally.code.urls import UrlRefused
from tests.integration.code.https_repo import HOST, git_app, https_server, redirecting_app


def loopback_allowed(address):
    """The test's own check: its server is on loopback, which the real check refuses (tested apart)."""
    return None


@pytest.fixture
def source(tmp_path):
    repo = tmp_path / "source"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    (repo / "a.txt").write_text("one\ntwo\n" * 200)
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True)
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=T", "-c", "user.email=t@example.com",
                    "commit", "-q", "-m", "first"], check=True)
    return repo


def resolver_to(calls: list[str]):
    def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        return ["127.0.0.1"]
    return resolve


def test_a_clone_connects_to_the_checked_address_with_the_host_name_and_resolves_once(source, tmp_path):
    calls: list[str] = []
    with https_server(git_app(source), tmp_path) as (port, ca, hosts):
        clone = _fetch(f"https://{HOST}/org/repo", tmp_path / "work" / "clone.git", port, ca, calls)
    assert calls == [HOST]  # resolved once, then pinned
    assert hosts and set(hosts) == {HOST}
    head = subprocess.run(["git", "--git-dir", str(clone), "rev-parse", "refs/heads/main"], capture_output=True,
                          text=True, check=True).stdout.strip()
    assert head == subprocess.run(["git", "-C", str(source), "rev-parse", "HEAD"], capture_output=True, text=True,
                                  check=True).stdout.strip()


def _fetch(url, target, port, ca, calls, **caps):
    import tally.code.fetch as fetch_module

    original = fetch_module.PinnedPoolManager.__init__

    def on_port(self, host, _port, addresses, **kwargs):  # the server's port stands in for 443
        original(self, host, port, addresses, **kwargs)
        self.port = 443

    fetch_module.PinnedPoolManager.__init__ = on_port
    try:
        return fetch_repository(url, target, max_bytes=caps.get("max_bytes", 10_000_000),
                                max_seconds=caps.get("max_seconds", 60), resolver=resolver_to(calls),
                                check=loopback_allowed, ca_certs=str(ca))
    finally:
        fetch_module.PinnedPoolManager.__init__ = original


def test_a_clone_over_its_size_cap_fails_and_leaves_nothing(source, tmp_path):
    with https_server(git_app(source), tmp_path) as (port, ca, _):
        target = tmp_path / "work" / "clone.git"
        with pytest.raises(CloneCapExceeded, match="size cap"):
            _fetch(f"https://{HOST}/org/repo", target, port, ca, [], max_bytes=200)
    assert not target.exists()
    assert list((tmp_path / "work").iterdir()) == []


@pytest.mark.parametrize("location", ["https://169.254.169.254/latest/meta-data/", "http://127.0.0.1:1/x",
                                      f"https://{HOST}/elsewhere"])
def test_a_redirect_is_refused_wherever_it_points(tmp_path, location):
    with https_server(redirecting_app(location), tmp_path) as (port, ca, _), \
            pytest.raises(Clone, match="redirects are refused"):
        _fetch(f"https://{HOST}/org/repo", tmp_path / "clone.git", port, ca, [])
    assert not (tmp_path / "clone.git").exists()


@pytest.mark.parametrize("answer", ["127.0.0.1", "10.0.0.1", "169.254.169.254", "100.64.1.1", "::1", "fd12::1",
                                    "::ffff:192.168.0.1", "2002:c0a8:0001::1", "64:ff9b::a00:1", "224.0.0.1",
                                    "240.0.0.1", "0.0.0.0"])
def test_the_real_check_refuses_every_address_class_before_connecting(tmp_path, answer):
    with pytest.raises(UrlRefused, match="public addresses only"):
        fetch_repository("https://github.com/a/b", tmp_path / "c.git", max_bytes=1, max_seconds=1,
                         resolver=lambda host, port: [answer])
