"""Web analytics, read side: periods, the range plan, metrics and the stats service."""
