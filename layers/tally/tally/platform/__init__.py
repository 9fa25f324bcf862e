"""Cross-cutting pieces every capability uses: errors, callers, HTTP wiring, settings, storage seams."""
