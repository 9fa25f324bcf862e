"""Cloning an untrusted repository: over HTTPS only to the addresses checked, capped in bytes and time.

The host is resolved once and every address checked (`tally.code.urls.public_addresses`); the clone
(dulwich, pure-Python git over smart HTTP, in the miner's layer) then talks through a urllib3 pool
manager that connects to one of those checked addresses, with the certificate verified for the host
name (SNI and `Host` set to it), so a DNS answer that changes in between cannot move the connection.
Redirects are refused (any 3xx fails the clone), as is a request for any other host. Received bytes
and elapsed time are counted on every read; past a cap the clone fails. The clone is made in a
scratch directory and renamed into place only when complete, so a failed clone leaves nothing behind.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tally.code.urls import IpAddress, Resolver, UrlRefused, address_refusal, parse_location, public_addresses

AddressCheck = Callable[[IpAddress], str | None]


class Clone(Exception):
    """The clone failed or was refused (the run fails with this message)."""


class CloneCapExceeded(Clone):
    pass


def fetch_repository(url: str, target: Path, *, max_bytes: int, max_seconds: float,
                     resolver: Resolver | None = None, check: AddressCheck = address_refusal,
                     ca_certs: str | None = None) -> Path:
    """A bare clone of `url` at `target` (reused when a step of the same run made it already)."""
    if (target / "HEAD").is_file():
        return target
    location = parse_location(url, allow_local=False)
    addresses = _checked(location.host, location.port, resolver, check)
    from dulwich.client import Urllib3HttpGitClient
    from dulwich.errors import GitProtocolError, HangupException

    manager = PinnedPoolManager(location.host, location.port, addresses, max_bytes=max_bytes,
                                deadline=time.monotonic() + max_seconds, ca_certs=ca_certs)
    client = Urllib3HttpGitClient(f"https://{location.host}", pool_manager=manager,  # type: ignore[arg-type]
                                  timeout=min(60, max_seconds))
    scratch = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}")
    scratch.parent.mkdir(parents=True, exist_ok=True)
    try:
        client.clone(urlsplit(url).path, str(scratch), mkdir=True, bare=True, origin_url=url)
        scratch.rename(target)
    except (GitProtocolError, HangupException, OSError) as error:
        raise Clone(f"could not clone the repository: {manager.refusal or error}") from error
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def _checked(host: str, port: int, resolver: Resolver | None, check: AddressCheck) -> list[IpAddress]:
    from tally.code import urls

    if check is address_refusal:
        return public_addresses(urls.RepositoryLocation(url="", host=host, port=port), resolver or urls.system_resolver)
    import ipaddress

    answers = [ipaddress.ip_address(a) for a in (resolver or urls.system_resolver)(host, port)]
    for address in answers:
        reason = check(address)
        if reason:
            raise UrlRefused(f"public addresses only: {host} resolves to {reason}")
    return answers


class PinnedPoolManager:
    """What dulwich's urllib3 client needs of a pool manager (`headers`, `request`), bound to one host
    and its checked addresses: connections go to the first checked address, verified for `host`."""

    def __init__(self, host: str, port: int, addresses: Sequence[IpAddress], *, max_bytes: int, deadline: float,
                 ca_certs: str | None = None) -> None:
        import urllib3

        self.host, self.port = host, port
        self.headers: dict[str, str] = {}
        self.max_bytes, self.deadline = max_bytes, deadline
        self.received = 0
        self.refusal: str | None = None
        self.pool = urllib3.HTTPSConnectionPool(
            str(addresses[0]), port, server_hostname=host, assert_hostname=host, cert_reqs="CERT_REQUIRED",
            ca_certs=ca_certs, retries=False, maxsize=2)

    def request(self, method: str, url: str, *, headers: dict[str, str] | None = None, body: Any = None,
                preload_content: bool = False, timeout: float | None = None) -> Any:
        import urllib3

        parts = urlsplit(url)
        if parts.scheme != "https" or parts.hostname != self.host or (parts.port or 443) != self.port:
            self._refuse(f"a request for another origin ({parts.scheme}://{parts.hostname}) is refused")
        self._in_time()
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        response = self.pool.urlopen(method, path, body=body, headers={**(headers or {}), "Host": self.host},
                                     redirect=False, preload_content=False, assert_same_host=False,
                                     timeout=urllib3.Timeout(total=max(1.0, self.deadline - time.monotonic())))
        if 300 <= response.status < 400:
            response.release_conn()
            self._refuse(f"redirects are refused (HTTP {response.status} to "
                         f"{response.headers.get('Location', '?')})")
        read = response.read

        def counted(amt: int | None = None, *args: Any, **kwargs: Any) -> bytes:
            self._in_time()
            data: bytes = read(amt, *args, **kwargs)
            self.received += len(data)
            if self.received > self.max_bytes:
                self._refuse(f"the clone is over its size cap ({self.max_bytes} bytes)", CloneCapExceeded)
            return data

        response.read = counted  # type: ignore[method-assign]
        return response

    def _in_time(self) -> None:
        if time.monotonic() > self.deadline:
            self._refuse("the clone is over its time cap", CloneCapExceeded)

    def _refuse(self, why: str, kind: type[Clone] = Clone) -> None:
        self.refusal = why
        raise kind(why)
