"""Enrichment of an ingested event: bot filter, client (browser, OS, device), source, page, country, IP.

One module per concept, each importable alone (the libraries behind them load on first use):
`bots.is_bot`, `user_agents.parse_user_agent`, `sources.source_from`, `pages.normalize_page`,
`geo.country_from`, `network.client_ip`; `settings` holds the environment-driven configuration.
`bots` draws on `bot_lists` (the maintained bot lists), `no_browser` (the rule for UAs that name no
browser) and `bot_patterns` (searching thousands of regexes at the cost of a few).
"""
