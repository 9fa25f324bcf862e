"""The four exports (overview, activity, ownership, branches) from the mined parts; pure functions."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tally.code.mining import history as h
from tally.code.mining.blame import FileBlame
from tally.code.mining.identity import JOIN_RULE, Identities
from tally.code.mining.languages import language_and_code, primary_language

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class HeadFile:
    path: str
    size: int
    lines: int  # 0 for a binary file
    binary: bool
    symlink: bool = False


@dataclass(frozen=True)
class Branch:
    name: str
    head_sha: str
    last_commit_at: str
    ahead: int
    behind: int


@dataclass(frozen=True)
class Mined:
    codebase_id: str
    full_name: str
    head_sha: str
    default_branch: str | None
    mined_at: str
    order: list[str]  # every commit reachable from HEAD
    records: dict[str, list[Any]]
    files: list[HeadFile]
    submodules: int
    blame: dict[str, FileBlame]
    branches: list[Branch]
    mailmap: bytes | None


def iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def build(mined: Mined) -> dict[str, dict[str, Any]]:
    records = [mined.records[sha] for sha in mined.order]
    identities = Identities(mined.mailmap)
    for record in records:
        identities.add(record[h.NAME], record[h.EMAIL])
    ownership = _ownership(mined, records, identities)
    return {"overview": _overview(mined, records, len(ownership["contributors"])),
            "activity": _activity(mined, records, identities),
            "ownership": ownership,
            "branches": _branches(mined)}


def _overview(mined: Mined, records: list[list[Any]], contributors: int) -> dict[str, Any]:
    additions = sum(r[h.ADDITIONS] for r in records)
    deletions = sum(r[h.DELETIONS] for r in records)
    languages: Counter[str] = Counter()
    code: set[str] = set()
    for file in mined.files:
        language, is_code = (None, False) if file.binary or file.symlink else language_and_code(file.path)
        if language:
            languages[language] += file.size
            if is_code:
                code.add(language)
    ranked = sorted(languages.items(), key=lambda item: (-item[1], item[0]))
    times = [r[h.AUTHOR_TIME] for r in records]
    return {
        "codebase_id": mined.codebase_id, "full_name": mined.full_name, "head_sha": mined.head_sha,
        "default_branch": mined.default_branch, "mined_at": mined.mined_at,
        "total_commits": len(records), "merge_commits": sum(1 for r in records if r[h.PARENTS] > 1),
        "non_merge_commits": sum(1 for r in records if r[h.PARENTS] <= 1),
        "total_additions": additions, "total_deletions": deletions,
        "binary_changes": sum(r[h.BINARY] for r in records),
        "total_churn": additions + deletions, "net_sloc": additions - deletions,
        "addition_bytes": sum(r[h.ADDITION_BYTES] for r in records),
        "deletion_bytes": sum(r[h.DELETION_BYTES] for r in records),
        "total_lines": sum(f.lines for f in mined.files), "total_files": len(mined.files),
        "binary_files": sum(1 for f in mined.files if f.binary), "submodules": mined.submodules,
        "total_contributors": contributors, "total_branches": len(mined.branches),
        "primary_language": primary_language(languages, code), "languages": dict(ranked),
        "first_commit_at": iso(min(times)) if times else None, "last_commit_at": iso(max(times)) if times else None,
    }


def _activity(mined: Mined, records: list[list[Any]], identities: Identities) -> dict[str, Any]:
    hours = {f"{hour:02d}": 0 for hour in range(24)}
    weekdays = dict.fromkeys(WEEKDAYS, 0)
    punch = {day: [0] * 24 for day in WEEKDAYS}  # weekday -> commits per UTC hour (the punch card)
    years: Counter[str] = Counter()
    weeks: dict[date, list[Any]] = {}
    for record in records:
        moment = datetime.fromtimestamp(record[h.AUTHOR_TIME], UTC)
        hours[f"{moment.hour:02d}"] += 1
        weekdays[WEEKDAYS[moment.weekday()]] += 1
        punch[WEEKDAYS[moment.weekday()]][moment.hour] += 1
        years[str(moment.year)] += 1
        monday = moment.date() - timedelta(days=moment.weekday())
        week = weeks.setdefault(monday, [0, 0, 0, set()])
        week[0] += 1
        week[1] += record[h.ADDITIONS]
        week[2] += record[h.DELETIONS]
        week[3].add(identities.person_of(record[h.NAME], record[h.EMAIL]))
    return {
        "codebase_id": mined.codebase_id, "head_sha": mined.head_sha, "timezone": "UTC",
        "date_basis": "author date",
        "commits_by_hour_utc": hours, "commits_by_weekday_utc": weekdays, "commits_by_weekday_hour_utc": punch,
        "commits_by_year_utc": dict(sorted(years.items())),
        "weekly": [{"week": monday.isoformat(), "commits": c, "additions": a, "deletions": d, "authors": len(people)}
                   for monday, (c, a, d, people) in sorted(weeks.items())],
    }


def _ownership(mined: Mined, records: list[list[Any]], identities: Identities) -> dict[str, Any]:
    people = identities.people()
    stats = {index: _Tally() for index in people}
    authors: dict[str, int] = {}
    for sha in mined.order:
        record = mined.records[sha]
        index = identities.person_of(record[h.NAME], record[h.EMAIL])
        authors[sha] = index
        stats[index].add(record)
    for file_blame in mined.blame.values():
        for sha, lines in file_blame.lines_by_commit().items():
            stats[authors[sha]].surviving_lines += lines
    contributors: list[dict[str, Any]] = [{
        "name": person.name, "email": person.email, "emails": sorted(person.emails), "names": sorted(person.names),
        "bot": person.bot, "commits": stats[index].commits, "additions": stats[index].additions,
        "deletions": stats[index].deletions, "surviving_lines": stats[index].surviving_lines,
        "first_commit_at": iso(stats[index].first), "last_commit_at": iso(stats[index].last),
    } for index, person in people.items()]
    contributors.sort(key=lambda c: (-c["surviving_lines"], -c["commits"], c["name"].lower(), c["email"].lower()))
    surviving = sum(c["surviving_lines"] for c in contributors)
    return {"codebase_id": mined.codebase_id, "head_sha": mined.head_sha, "join_rule": JOIN_RULE,
            "total_surviving_lines": surviving, "bus_factor": bus_factor([c["surviving_lines"] for c in contributors]),
            "contributors": contributors}


@dataclass
class _Tally:
    commits: int = 0
    additions: int = 0
    deletions: int = 0
    surviving_lines: int = 0
    first: int = 2**62
    last: int = -(2**62)

    def add(self, record: list[Any]) -> None:
        self.commits += 1
        self.additions += record[h.ADDITIONS]
        self.deletions += record[h.DELETIONS]
        self.first = min(self.first, record[h.AUTHOR_TIME])
        self.last = max(self.last, record[h.AUTHOR_TIME])


def bus_factor(lines: list[int]) -> int:
    """The fewest contributors who together own at least half the surviving lines (0 when there are none)."""
    total = sum(lines)
    owned = 0
    for count, share in enumerate(sorted(lines, reverse=True), start=1):
        owned += share
        if 2 * owned >= total > 0:
            return count
    return 0


def _branches(mined: Mined) -> dict[str, Any]:
    return {"codebase_id": mined.codebase_id, "default_branch": mined.default_branch,
            "branches": [{"name": b.name, "head_sha": b.head_sha, "last_commit_at": b.last_commit_at,
                          "ahead": b.ahead, "behind": b.behind, "default": b.name == mined.default_branch}
                         for b in mined.branches]}
