"""Accepting events: Plausible-compatible live events and NDJSON imports, stored once as raw events."""
