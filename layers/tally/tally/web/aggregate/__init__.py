"""Exactly-once aggregation: raw events → visits → sealed minute/hour/day rollups (pure logic)."""
