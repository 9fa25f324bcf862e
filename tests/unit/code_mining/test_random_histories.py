"""Random small histories (edits of repetitive files, renames, merges): totals and blame equal git's."""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tally.code.mining import MineRequest, mine_all
from tests.unit.code_mining.gitrepo import GitRepo

# Few distinct lines, so diffs must choose among equal ones (where git's exact rules matter).
LINES = ["}\n", "\n", "    return x\n", "def f(x):\n", "# " + "long comment " * 6 + "\n", "x = 1\n"]

edit = st.tuples(st.integers(0, 2), st.lists(st.tuples(st.integers(0, 200), st.sampled_from([*LINES, None])),
                                              min_size=1, max_size=8))
step = st.one_of(st.tuples(st.just("edit"), edit), st.tuples(st.just("rename"), st.integers(0, 2)),
                 st.tuples(st.just("merge"), st.lists(edit, min_size=1, max_size=3)))


def apply(body: list[str], changes: list[tuple[int, str | None]]) -> list[str]:
    body = list(body)
    for at, line in changes:
        if line is None:
            if body:
                del body[at % len(body)]
        else:
            body.insert(at % (len(body) + 1), line)
    return body


@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=2, max_size=7), seed=st.lists(st.sampled_from(LINES), min_size=40, max_size=90))
def test_random_history_matches_git(tmp_path_factory, steps, seed):
    repo = GitRepo(tmp_path_factory.mktemp("random") / "repo")
    names = ["a.py", "b.py", "c.py"]
    bodies = {name: seed[i * 7:] + seed[:i * 7] for i, name in enumerate(names)}
    repo.commit("root", {name: "".join(body) for name, body in bodies.items()})
    for n, (kind, arg) in enumerate(steps):
        if kind == "edit":
            index, changes = arg
            bodies[names[index]] = apply(bodies[names[index]], changes)
            repo.commit(f"edit {n}", {names[index]: "".join(bodies[names[index]])}, allow_empty=True)
        elif kind == "rename":
            old, new = names[arg], f"m{n}_{names[arg]}"
            repo.git("mv", old, new)
            bodies[new] = bodies.pop(old)
            names[arg] = new
            repo.commit(f"rename {n}")
        else:
            repo.git("checkout", "-q", "-b", f"side{n}")
            for index, changes in arg:
                bodies[names[index]] = apply(bodies[names[index]], changes)
                repo.commit(f"side {n}", {names[index]: "".join(bodies[names[index]])}, allow_empty=True)
            repo.git("checkout", "-q", "main")
            repo.commit(f"main {n}", {"notes.txt": f"{n}\n"})
            repo.merge(f"side{n}", message=f"merge {n}")
    mined = mine_all(MineRequest(repo_path=str(repo.path), codebase_id="r", full_name="r/r"))
    additions, deletions, _ = repo.numstat()
    overview = mined.exports["overview"]
    assert (overview["total_additions"], overview["total_deletions"]) == (additions, deletions)
    assert (overview["addition_bytes"], overview["deletion_bytes"]) == repo.patch_bytes()
    for path, entry in mined.cache["blame"].items():
        ours = Counter()
        for sha, count in entry["runs"]:
            ours[sha] += count
        assert ours == repo.blame(path), path
