"""Failure counts: every failing operation is recorded once in a ledger; counts read time buckets."""
