"""Cookie-less visitor ids: a keyed hash of (daily salt, site, IP, User-Agent), salts rotated daily.

`visitor_id` is the hash; `salts.SaltStore` keeps the salts (today's and yesterday's, created once
per UTC day, deleted after 48 hours); `ids.VisitorIds` gives an event both the current and the
previous day's id so a visit that crosses midnight keeps its visitor; `job` is the scheduled
rotation. Neither the IP nor the User-Agent is ever stored or logged.
"""
