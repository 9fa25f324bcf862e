"""Code analytics: git repositories mined into per-codebase exports (`tally.code.mining`)."""
