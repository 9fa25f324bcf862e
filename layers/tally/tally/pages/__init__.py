"""Tally's pages, served by `PagesFunction`: the dashboard at `/` today, `/code` and `/me/stats` next.

Pages are static HTML, JavaScript and CSS in `static/` (also reachable as `web/dashboard`, a
symlink): no build step, no third-party code. They sign in with a bearer token kept in the
browser and call the JSON API from the same origin.
"""
