"""Stats exports: a ZIP of CSV files in Plausible's export format, built by a bounded, resumable job,
and each user's export activity (exports requested and downloaded, NDJSON imports)."""
