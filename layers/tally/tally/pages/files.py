"""The files under `tally/pages/static` and how each is answered: cache policy and security headers.

A page (`GET /`) is HTML, the one shell with the page's own parts (`tally.pages.shell`): `no-cache`,
so a browser always revalidates it (a 304 while it is unchanged) and never shows a stale shell after
a deploy. The page names its assets with their content digest (`/assets/dashboard.js?v=<digest>`,
rewritten once per container from the plain `src="/assets/dashboard.js"` of the file), so an asset
asked for with its current digest is `immutable` for a year: a repeat visit costs one conditional
request for the HTML and none for its assets. An asset asked for without a digest, or with another
one (an older page), gets the current bytes with `no-cache`, so an old URL never pins new bytes in a
cache for a year.

Every response carries the pages' security headers: a strict Content-Security-Policy (no inline
script or style, connections to this origin only, no framing), `nosniff` and `no-referrer`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from tally.pages.shell import assemble
from tally.platform.api_docs import errors
from tally.platform.errors import NotFound
from tally.platform.static import StaticAsset

PACKAGE = "tally.pages"
STATIC = "static"

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
PAGE_CACHE_CONTROL = "no-cache"
VERSIONED_ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable"
UNVERSIONED_ASSET_CACHE_CONTROL = "no-cache"

#: Asset types by file suffix; anything else in `static/` is not served as an asset.
ASSET_TYPES = {
    ".js": "application/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
HTML = "text/html; charset=utf-8"


@dataclass(frozen=True)
class PageFile:
    """A page's file, the navigation link that is its own, and what it shows only once signed in."""

    file: str
    nav: str
    hidden_until_signed_in: tuple[str, ...] = ()


#: Page names and their files; each is wrapped in `SHELL`.
PAGES = {
    "dashboard": PageFile("dashboard.html", "/", hidden_until_signed_in=("nav", "status")),
    "sites": PageFile("sites.html", "/sites"),
    "site": PageFile("site.html", "/sites"),
    "settings": PageFile("settings.html", "/settings"),
    "code": PageFile("code.html", "/code"),
    "me": PageFile("me.html", "/me/stats", hidden_until_signed_in=("status",)),
}
SHELL = "shell.html"
_ASSET_REFERENCE = re.compile(r'(?P<attr>\b(?:src|href))="/assets/(?P<name>[a-z0-9][a-z0-9._-]*)"')


def _static_names() -> set[str]:
    return {entry.name for entry in files(PACKAGE).joinpath(STATIC).iterdir() if entry.is_file()}


@cache
def asset(name: str) -> StaticAsset:
    """The asset called `name` (e.g. `dashboard.js`); `NotFound` for anything else."""
    suffix = name[name.rfind("."):] if "." in name else ""
    if suffix not in ASSET_TYPES or name not in _static_names():
        raise NotFound(f"no asset named {name!r}")
    return StaticAsset.from_package(PACKAGE, STATIC, name, content_type=ASSET_TYPES[suffix])


@cache
def page(name: str) -> StaticAsset:
    """The page's HTML (in the shell) with every `/assets/<name>` reference carrying that asset's digest."""
    spec = PAGES[name]
    static = files(PACKAGE).joinpath(STATIC)
    html = assemble(static.joinpath(SHELL).read_text(), static.joinpath(spec.file).read_text(), current=spec.nav,
                    hidden_until_signed_in=spec.hidden_until_signed_in)

    def versioned(match: re.Match[str]) -> str:
        referenced = asset(match["name"])
        return f'{match["attr"]}="/assets/{match["name"]}?v={referenced.digest}"'

    return StaticAsset.of(_ASSET_REFERENCE.sub(versioned, html).encode(), HTML)


def page_response(name: str, accept_encoding: str | None, if_none_match: str | None) -> Response[Any]:
    return page(name).response(accept_encoding, if_none_match,
                               {**SECURITY_HEADERS, "Cache-Control": PAGE_CACHE_CONTROL})


def asset_response(name: str, version: str | None, accept_encoding: str | None,
                   if_none_match: str | None) -> Response[Any]:
    found = asset(name)
    cache_control = VERSIONED_ASSET_CACHE_CONTROL if version == found.digest else UNVERSIONED_ASSET_CACHE_CONTROL
    return found.response(accept_encoding, if_none_match, {**SECURITY_HEADERS, "Cache-Control": cache_control})


def _documented(description: str, media_types: tuple[str, ...], cache_control: str) -> dict[int, OpenAPIResponse]:
    headers: dict[str, Any] = {
        "Cache-Control": {"description": cache_control, "schema": {"type": "string"}},
        "ETag": {"description": "A weak tag naming the content.", "schema": {"type": "string"}},
        "Content-Security-Policy": {"description": f"`{CONTENT_SECURITY_POLICY}`", "schema": {"type": "string"}},
    }
    return {
        200: {"description": description, "content": {t: {"schema": {"type": "string"}} for t in media_types},
              "headers": headers},
        304: {"description": "Not modified: `If-None-Match` names the current ETag.", "content": {}},
    }


#: The answers of the page routes, for the OpenAPI document.
PAGE_RESPONSES = _documented("The page, gzipped when `Accept-Encoding` allows it.", ("text/html",),
                             f"`{PAGE_CACHE_CONTROL}`: always revalidated.")
ASSET_RESPONSES: dict[int, OpenAPIResponse] = {
    **_documented("The asset, gzipped when `Accept-Encoding` allows it.",
                  tuple(t.partition(";")[0] for t in ASSET_TYPES.values()),
                  f"`{VERSIONED_ASSET_CACHE_CONTROL}` when `v` is the current digest, else "
                  f"`{UNVERSIONED_ASSET_CACHE_CONTROL}`."),
    **errors(404, 422, e404="No such asset.", e422="`name` or `v` longer than 64 characters."),
}
