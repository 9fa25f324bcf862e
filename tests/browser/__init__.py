"""Browser-test helpers: Debian's chromium driven by Playwright, and a tiny website that records requests."""
