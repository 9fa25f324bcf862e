"""A finished mine's exports, as the miner hands them over (small, with emails in ownership only)."""

from __future__ import annotations

from typing import Any


def sample_exports(codebase_id: str, name: str, contributors: int = 5) -> dict[str, Any]:
    people = [{"name": f"Dev {i}", "email": f"dev{i}@example.com", "bot": False, "commits": 10 - i,
               "additions": 100 * (i + 1), "deletions": 10 * i, "surviving_lines": 50 - i,
               "first_commit_at": "2024-01-01T00:00:00Z", "last_commit_at": "2024-06-01T00:00:00Z"}
              for i in range(contributors)]
    return {
        "overview": {"codebase_id": codebase_id, "full_name": name, "head_sha": "a" * 40, "default_branch": "main",
                     "mined_at": "2026-12-01T00:00:00Z", "total_commits": 42, "merge_commits": 3,
                     "total_additions": 1000, "total_deletions": 200, "binary_changes": 1, "total_churn": 1200,
                     "net_sloc": 800, "total_lines": 800, "total_files": 12, "total_contributors": contributors,
                     "total_branches": 3, "primary_language": "Python", "languages": {"Python": 9000},
                     "first_commit_at": "2024-01-01T00:00:00Z", "last_commit_at": "2024-06-01T00:00:00Z"},
        "activity": {"commits_by_hour_utc": {f"{h:02d}": 1 for h in range(24)},
                     "commits_by_weekday_utc": {d: 6 for d in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")},
                     "commits_by_year_utc": {"2024": 42},
                     "weekly": [{"week": "2024-01-01", "commits": 42, "additions": 1000, "deletions": 200,
                                 "authors": contributors}]},
        "ownership": {"head_sha": "a" * 40, "contributors": people, "bus_factor": 2,
                      "identity_rule": "same lower-cased email, else same name"},
        "branches": {"head_sha": "a" * 40, "default_branch": "main",
                     "branches": [{"name": n, "head": "b" * 40, "last_commit_at": "2024-06-01T00:00:00Z",
                                   "ahead": i, "behind": 2 * i} for i, n in enumerate(("main", "dev", "topic"))]},
    }
