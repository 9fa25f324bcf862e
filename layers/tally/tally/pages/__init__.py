"""Tally's pages, served by `PagesFunction`: the dashboard at `/`, sites, a site, API keys, code, my usage.

Pages are static HTML, JavaScript and CSS in `static/` (also reachable as `web/dashboard`, a
symlink): no build step, no third-party code. Every page shares one head, header and navigation,
`static/shell.html`; a page's file holds only its own parts (`shell.py` puts them together). They
sign in with a bearer token kept in the browser and call the JSON API from the same origin.
"""
