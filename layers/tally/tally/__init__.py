"""Tally: a multi-tenant, privacy-first stats platform. Shipped to Lambda as the `tally` layer."""
