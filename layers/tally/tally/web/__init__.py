"""Web analytics: ingest, enrichment, visitor ids, exactly-once aggregation into rollups."""
