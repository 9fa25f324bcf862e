"""Development tooling for Tally: the local cloud, the `tally` CLI, demo data. Never shipped to Lambda."""
