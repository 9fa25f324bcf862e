"""Every figure of a mine equals what the git CLI says about the same repository."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from tally.code.mining import MineRequest, mine_all
from tests.unit.code_mining.gitrepo import GitRepo


def mine(repo: GitRepo, cache=None):
    return mine_all(MineRequest(repo_path=str(repo.path), codebase_id="cb1", full_name="demo/repo"), cache=cache)


@pytest.fixture
def mined(sample):
    return mine(sample)


def test_commit_counts_and_line_totals_equal_git_log_numstat(sample, mined):
    overview = mined.exports["overview"]
    additions, deletions, binary = sample.numstat()
    added_bytes, deleted_bytes = sample.patch_bytes()
    assert overview["total_commits"] == sample.count("HEAD")
    assert overview["merge_commits"] == sample.count("--merges", "HEAD") == 3
    assert (overview["total_additions"], overview["total_deletions"], overview["binary_changes"]) == \
        (additions, deletions, binary)
    assert binary == 2
    assert (overview["addition_bytes"], overview["deletion_bytes"]) == (added_bytes, deleted_bytes)
    assert overview["total_churn"] == additions + deletions
    assert overview["net_sloc"] == additions - deletions
    assert overview["head_sha"] == sample.head() and overview["default_branch"] == "main"


def test_files_lines_and_languages_at_head(sample, mined):
    overview = mined.exports["overview"]
    texts = sample.text_files()
    assert overview["total_lines"] == sum(texts.values())
    assert overview["total_files"] == len(sample.git("ls-files").splitlines()) - 1  # the submodule is no file
    assert overview["submodules"] == 1
    assert overview["languages"]["Python"] == len((sample.path / "src/main.py").read_bytes()) + \
        len((sample.path / "src/util.py").read_bytes())
    assert overview["primary_language"] == "Python"


def test_blame_of_every_text_file_equals_git_blame_with_ignore_revs(sample, mined):
    blame = mined.cache["blame"]
    texts = sample.text_files()
    assert set(blame) == {path for path, lines in texts.items() if lines}
    for path in blame:
        ours = Counter()
        for sha, count in blame[path]["runs"]:
            ours[sha] += count
        assert ours == sample.blame(path), path
    assert mined.exports["ownership"]["total_surviving_lines"] == sum(texts.values())


def test_contributors_after_mailmap_with_bots_flagged(sample, mined):
    ownership = mined.exports["ownership"]
    people = {c["name"]: c for c in ownership["contributors"]}
    assert set(people) == {"Ada", "Bob", "Carol", "dependabot[bot]"}
    assert people["Bob"]["emails"] == ["bob@example.com"]  # "Bobby <bob@old.example>" mapped by .mailmap
    assert people["dependabot[bot]"]["bot"] and not people["Ada"]["bot"]
    log = Counter(sample.git("log", "--format=%aN", "HEAD").splitlines())
    assert {name: c["commits"] for name, c in people.items()} == dict(log)
    surviving = Counter()
    names = dict(line.split(" ", 1) for line in sample.git("log", "--format=%H %aN", "HEAD").splitlines())
    for path, entry in mined.cache["blame"].items():
        for sha, count in entry["runs"]:
            surviving[names[sha]] += count
    assert {name: c["surviving_lines"] for name, c in people.items() if c["surviving_lines"]} == dict(surviving)
    assert ownership["bus_factor"] == 1
    assert mined.exports["overview"]["total_contributors"] == 4


def test_activity_by_author_date_in_utc(sample, mined):
    activity = mined.exports["activity"]
    moments = [datetime.fromtimestamp(int(t), UTC) for t in sample.git("log", "--format=%at", "HEAD").split()]
    assert sum(activity["commits_by_hour_utc"].values()) == len(moments)
    assert activity["commits_by_hour_utc"] == {f"{h:02d}": sum(1 for m in moments if m.hour == h) for h in range(24)}
    assert list(activity["commits_by_weekday_utc"]) == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert sum(w["commits"] for w in activity["weekly"]) == len(moments)
    additions, deletions, _ = sample.numstat()
    assert sum(w["additions"] for w in activity["weekly"]) == additions
    assert sum(w["deletions"] for w in activity["weekly"]) == deletions


def test_branches_ahead_behind_the_default_and_never_in_the_totals(sample, mined):
    branches = {b["name"]: b for b in mined.exports["branches"]["branches"]}
    assert set(branches) == set(sample.git("branch", "--format=%(refname:short)").split())
    for name, branch in branches.items():
        behind, ahead = map(int, sample.git("rev-list", "--left-right", "--count", f"main...{name}").split())
        assert (branch["ahead"], branch["behind"]) == (ahead, behind), name
        assert branch["head_sha"] == sample.head(name)
    assert branches["stale"]["ahead"] == 1
    assert mined.exports["overview"]["total_branches"] == len(branches)
    assert mined.exports["overview"]["total_commits"] == sample.count("HEAD")  # stale's commit is not counted
