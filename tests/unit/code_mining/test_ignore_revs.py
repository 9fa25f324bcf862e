"""Commits in .git-blame-ignore-revs: every line's owner equals `git blame --ignore-revs-file`'s, line for line."""

from __future__ import annotations

import hashlib
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tally.code.mining import MineRequest, mine_all
from tally.code.mining.ignored import fingerprint, guess_parent_lines, similarity
from tests.unit.code_mining.gitrepo import GitRepo

ADA = ("Ada", "ada@example.com")
BOB = ("Bob", "bob@example.com")
FMT = ("Formatter", "fmt@example.com")

ORIGINAL = """\
def connect(host, port):
    sock = socket.create_connection((host, port), timeout=DEFAULT_TIMEOUT, source_address=None)
    return sock

def send(sock, payload):
\tdata = encode(payload)
\tsock.sendall(data)
\treturn len(data)

CONSTANTS = {'alpha': 1, 'beta': 2, 'gamma': 3}

def helper_one(): return compute('one', ENABLED)
def helper_two(): return compute('two', ENABLED)

def total(values):
    result = 0
    for value in values: result += value
    return result
"""

REFORMATTED = """\
# -*- coding: utf-8 -*-
import socket


def connect(host, port):
    sock = socket.create_connection(
        (host, port),
        timeout=DEFAULT_TIMEOUT,
        source_address=None,
    )
    return sock


def send(sock, payload):
    data = encode(payload)
    sock.sendall(data)
    return len(data) + HEADER


CONSTANTS = {
    "alpha": 1,
    "beta": 2,
    "gamma": 3,
}


def helper_two():
    return compute("two", ENABLED)


def helper_one():
    return compute("one", ENABLED)


def total(values):
    result = 0
    for value in values:
        result += value
    return result
"""


def owners(repo: GitRepo) -> dict[str, list[str]]:
    """Each text file's owner per line, as the miner finds them."""
    mined = mine_all(MineRequest(repo_path=str(repo.path), codebase_id="cb", full_name="demo/repo"))
    found: dict[str, list[str]] = {}
    for path, entry in mined.cache["blame"].items():
        found[path] = [sha for sha, count in entry["runs"] for _ in range(count)]
    return found


def assert_same_as_git(repo: GitRepo) -> dict[str, list[str]]:
    ours = owners(repo)
    assert ours, "nothing was blamed"
    for path, lines in ours.items():
        assert lines == repo.blame_lines(path), path
    return ours


def line_of(repo: GitRepo, path: str, text: str) -> int:
    return (repo.path / path).read_text().splitlines().index(text)


def test_a_reformat_that_splits_moves_and_reindents_lines_matches_git_line_for_line(tmp_path):
    repo = GitRepo(tmp_path / "repo")
    root = repo.commit("root", {"net.py": ORIGINAL}, author=ADA)
    bob = repo.commit("bob", {"net.py": ORIGINAL.replace("return len(data)", "return len(data) + HEADER")},
                      author=BOB)
    reformat = repo.commit("black", {"net.py": REFORMATTED}, author=FMT)
    later = repo.commit("ada", {"net.py": REFORMATTED.replace("result = 0", "result = START")}, author=ADA)
    repo.commit("ignore it", {".git-blame-ignore-revs": f"# black\n{reformat}\n"}, author=ADA)

    ours = assert_same_as_git(repo)["net.py"]
    # what the old same-place-in-the-region rule got wrong, and what git's matching gets right
    assert ours[line_of(repo, "net.py", "        timeout=DEFAULT_TIMEOUT,")] == root  # a split line's part
    assert ours[line_of(repo, "net.py", "    return len(data) + HEADER")] == bob  # reindented
    assert ours[line_of(repo, "net.py", '    return compute("two", ENABLED)')] == root  # moved above its neighbour
    assert ours[line_of(repo, "net.py", "import socket")] == root  # like enough to a line elsewhere in the file
    assert ours[line_of(repo, "net.py", "    result = START")] == later
    # lines like nothing before them stay with the ignored commit (git's "unblamable" lines, shown as its own)
    assert ours[line_of(repo, "net.py", "# -*- coding: utf-8 -*-")] == reformat
    assert ours[line_of(repo, "net.py", '    "gamma": 3,')] == reformat


def test_back_to_back_ignored_commits_and_an_ignored_merge_match_git(tmp_path):
    repo = GitRepo(tmp_path / "repo")
    repo.commit("root", {"net.py": ORIGINAL, "notes.txt": "".join(f"note number {i}\n" for i in range(20))},
                author=ADA)
    first = repo.commit("tabs", {"net.py": ORIGINAL.replace("\t", "    ")}, author=FMT)
    second = repo.commit("black", {"net.py": REFORMATTED}, author=FMT)
    repo.git("checkout", "-q", "-b", "side")
    side = repo.commit("side", {"notes.txt": "".join(f"Note Number {i}.\n" for i in range(0, 20, 2))}, author=BOB)
    repo.git("checkout", "-q", "main")
    repo.commit("main", {"net.py": REFORMATTED + "\nEXTRA = 1\n",
                         "notes.txt": "".join(f"note number {i}\n" for i in range(19))}, author=ADA)
    merge = repo.merge("side", message="merge the renumbering", author=BOB,
                       resolve={"notes.txt": "".join(f"NOTE number {i}!\n" for i in range(0, 20, 3)) + "new\n"})
    repo.commit("ignore them", {".git-blame-ignore-revs": f"{first}\n{second}\n# the merge\n{merge}\n"}, author=ADA)

    ours = assert_same_as_git(repo)
    assert first not in ours["net.py"] and second in ours["net.py"]
    assert side in ours["notes.txt"] or merge in ours["notes.txt"]


# Random edit scripts: a formatter-like commit (reindent, case, quotes, splits, joins, moves, new lines) ignored.
WORDS = ["alpha", "beta", "value", "result", "return", "compute(x)", "if", "data", "#", "=", "1", "None"]
text_line = st.lists(st.sampled_from(WORDS), min_size=1, max_size=7).map(lambda words: " ".join(words))
reformat_step = st.tuples(
    st.sampled_from(["indent", "upper", "quote", "split", "join", "move", "insert", "delete", "keep"]),
    st.integers(0, 60), st.integers(1, 4), text_line)


def reformat(lines: list[str], steps: list[tuple[str, int, int, str]]) -> list[str]:
    lines = list(lines)
    for kind, at, size, new in steps:
        if not lines:
            lines = [new]
        at %= len(lines)
        block = lines[at:at + size]
        if kind == "indent":
            lines[at:at + size] = ["\t" + line.strip() if line.startswith(" ") else "    " + line for line in block]
        elif kind == "upper":
            lines[at:at + size] = [line.upper() for line in block]
        elif kind == "quote":
            lines[at:at + size] = [f"'{line}'" for line in block]
        elif kind == "split":
            words = lines[at].split(" ")
            lines[at:at + 1] = [" ".join(words[:size]), "    " + " ".join(words[size:])]
        elif kind == "join" and at + 1 < len(lines):
            lines[at:at + 2] = [lines[at] + " " + lines[at + 1].strip()]
        elif kind == "move":
            del lines[at:at + size]
            lines[(at * 7) % (len(lines) + 1):(at * 7) % (len(lines) + 1)] = block
        elif kind == "insert":
            lines.insert(at, new)
        elif kind == "delete":
            del lines[at:at + size]
    return lines


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.lists(text_line, min_size=3, max_size=40),
       edits=st.lists(st.lists(reformat_step, min_size=1, max_size=10), min_size=2, max_size=4),
       ignored=st.lists(st.booleans(), min_size=4, max_size=4))
def test_random_reformats_of_ignored_commits_match_git(tmp_path_factory, body, edits, ignored):
    repo = GitRepo(tmp_path_factory.mktemp("ignore") / "repo")
    repo.commit("root", {"a.txt": "".join(line + "\n" for line in body)}, author=ADA)
    skipped = []
    for n, steps in enumerate(edits):
        body = reformat(body, steps)
        sha = repo.commit(f"edit {n}", {"a.txt": "".join(line + "\n" for line in body)}, author=[BOB, FMT][n % 2],
                          allow_empty=True)
        if ignored[n]:
            skipped.append(sha)
    repo.commit("ignore", {".git-blame-ignore-revs": "".join(sha + "\n" for sha in skipped)}, author=ADA)
    assert_same_as_git(repo)


def test_fingerprints_are_gits_byte_pairs():
    # blame.c's own example: "Darth   Radar" -> {"\0d", "da", "da", "ar", "ar", "rt", "th", "h\0", "\0r", "ra", ...}
    assert sum(fingerprint(b"Darth   Radar").values()) == 12
    assert similarity(fingerprint(b"cat mat"), fingerprint(b"father rather")) == 2
    assert similarity(fingerprint(b"tim"), fingerprint(b"mit")) == 0
    assert similarity(fingerprint(b"\tSock.Send(x)\r"), fingerprint(b"sock.send(x)")) == 13  # case, blanks


def test_a_line_resembling_nothing_is_not_guessed():
    parent = b"alpha = compute(beta)\nreturn value\n"
    ours = b"alpha = compute(beta, gamma)\nzzz\nreturn value\n"
    # one changed region: new lines 0-1 against old line 0
    assert guess_parent_lines(parent, ours, [(0, 2, 0, 1)], [0, 1]) == {0: 0}


def test_blame_cached_under_the_earlier_ignore_rule_is_redone(tmp_path):
    repo = GitRepo(tmp_path / "repo")
    repo.commit("root", {"net.py": ORIGINAL}, author=ADA)
    reformat = repo.commit("black", {"net.py": REFORMATTED}, author=FMT)
    repo.commit("ignore it", {".git-blame-ignore-revs": f"{reformat}\n"}, author=ADA)
    request = MineRequest(repo_path=str(repo.path), codebase_id="cb", full_name="demo/repo")
    cache = json.loads(json.dumps(mine_all(request).cache))
    cache["blame"]["net.py"]["runs"] = [[reformat, REFORMATTED.count("\n")]]  # what no rule gives: seen if reused
    assert mine_all(request, cache=cache).cache["blame"]["net.py"]["runs"] == cache["blame"]["net.py"]["runs"]

    cache["ignore_revs"] = hashlib.sha256(reformat.encode()).hexdigest()  # how the earlier rule keyed it
    again = mine_all(request, cache=cache).cache["blame"]["net.py"]["runs"]
    assert [sha for sha, count in again for _ in range(count)] == repo.blame_lines("net.py")
