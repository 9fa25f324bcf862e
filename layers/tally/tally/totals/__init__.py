"""Platform totals: counters kept exactly once as data is sealed, below sites, web and public stats.

- `counters`  the counters (`Totals`) and what one piece of data adds to them (`Contribution`)
- `store`     the DynamoDB shards, the dedupe record of each contribution, and the bounded read
- `settings`  where the totals live (`PUBLIC_STATS_TABLE` of a contributing function)
- `wiring`    the writer the contributing functions use, built once per container

This package imports only `tally.platform`: sites, web analytics and public stats build on it.
"""
