"""Public platform stats: one cached, rate-limited, stampede-safe answer for marketing pages.

Modules, one concept each:

- `settings`   the function's configuration (environment, read on first use)
- `figures`    the public figures and how they derive from the platform totals
- (the platform totals it reads live below it, in `tally.totals`)
- `cache`      the cached answer: versioned, with XFetch early recomputation
- `lock`       the ownership-token lease lock that lets one request recompute
- `ratelimit`  10 requests a minute per client IP, keyed by a salted hash of the IP
- `service`    the read path that ties them together and degrades instead of failing
- `http`       Cache-Control, ETag, RateLimit headers and conditional GET (304)
- `wiring`     the production objects, built once per container on first use
"""
