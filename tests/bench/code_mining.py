"""Git mining: the history pass and the whole mine against `git log --numstat --no-merges`, same run.

Repositories: a generated one (a few thousand commits with merges, built with `git fast-import`)
and Tally's own (a bare clone of this checkout). For each: the history pass's wall time (the
`history` phase of a full mine) and the whole mine's (every phase, ownership included) as ratios to
`git log --numstat --no-merges` on the same repository; an incremental re-mine after 20 new
commits as a ratio to a full mine of the same state; and whether the totals equal
`git log --numstat --no-merges --no-renames`. Each time is the best of a few runs.
"""

from __future__ import annotations

import random
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from tally.code.mining import MineRequest, mine_all

ROOT = Path(__file__).resolve().parents[2]
HISTORY_BUDGET, WHOLE_BUDGET, INCREMENTAL_BUDGET = 2.0, 4.0, 0.1
RUNS = 3


def git(repo: Path, *args: str, input: bytes | None = None) -> str:
    env = {"GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com", "GIT_COMMITTER_NAME": "Bench",
           "GIT_COMMITTER_EMAIL": "bench@example.com", "PATH": "/usr/bin:/bin", "HOME": str(repo)}
    return subprocess.run(["git", "-C", str(repo), *args], input=input, capture_output=True, check=True,
                          env=env).stdout.decode("utf-8", "replace")


def generated(path: Path, commits: int = 3000, files: int = 150, seed: int = 7) -> Path:
    """A work tree with `commits` commits by 12 authors: edits of 1-4 files each, a merge every 40."""
    rng = random.Random(seed)
    contents = {f"src/m{i // 20}/f{i}.py": [f"def f{i}_{j}(x):\n    return x + {j}\n"
                                             for j in range(rng.randint(5, 60))] for i in range(files)}
    stream: list[bytes] = []
    mark = 0
    when = 1_500_000_000

    def commit(branch: str, changed: list[str], parents: list[str]) -> str:
        nonlocal mark, when
        mark += 1
        when += rng.randint(600, 90_000)
        author = rng.randrange(12)
        lines = [f"commit refs/heads/{branch}", f"mark :{mark}",
                 f"author Dev {author} <dev{author}@example.com> {when} +0000",
                 f"committer Dev {author} <dev{author}@example.com> {when} +0000"]
        message = f"change {mark}".encode()
        stream.append(("\n".join(lines) + f"\ndata {len(message)}\n").encode() + message + b"\n")
        for parent_index, parent in enumerate(parents):
            stream.append(f"{'from' if parent_index == 0 else 'merge'} {parent}\n".encode())
        for name in changed:
            data = "".join(contents[name]).encode()
            stream.append(f"M 100644 inline {name}\ndata {len(data)}\n".encode() + data + b"\n")
        return f":{mark}"

    main = commit("main", sorted(contents), [])
    side = main
    for n in range(1, commits):
        on_side = n % 40 >= 35
        changed = rng.sample(sorted(contents), rng.randint(1, 4))
        for name in changed:
            body = contents[name]
            for _ in range(rng.randint(1, 6)):
                at = rng.randrange(len(body) + 1)
                choice = rng.random()
                if choice < 0.5 or len(body) < 3:
                    body.insert(at, f"    # note {n} {rng.random():.6f}\n")
                elif choice < 0.8:
                    body[min(at, len(body) - 1)] = f"def g{n}_{at}(y):  # edited\n"
                else:
                    del body[min(at, len(body) - 1)]
        if on_side:
            side = commit("side", changed, [side])
        elif n % 40 == 0 and side != main:
            main = commit("main", changed, [main, side])
            side = main
        else:
            main = commit("main", changed, [main])
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "fast-import", "--quiet", input=b"".join(stream) + b"done\n")
    git(path, "checkout", "-q", "main")
    return path


def cpu() -> float:
    """CPU seconds of this process and its waited-for children (git, the miner's forked workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def best(action: Any, runs: int = RUNS) -> tuple[float, Any, float]:
    """(best wall seconds, the last result, best CPU seconds) over `runs` runs."""
    times, cpus, result = [], [], None
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), cpu()
        result = action()
        times.append(time.perf_counter() - started)
        cpus.append(cpu() - started_cpu)
    return min(times), result, min(cpus)


def numstat_totals(repo: Path) -> tuple[int, int]:
    additions = deletions = 0
    for line in git(repo, "log", "--numstat", "--no-merges", "--no-renames", "--format=", "HEAD").splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and parts[0] != "-":
            additions += int(parts[0])
            deletions += int(parts[1])
    return additions, deletions


def measure(name: str, repo: Path) -> list[dict[str, Any]]:
    request = MineRequest(repo_path=str(repo), codebase_id=name, full_name=f"bench/{name}")
    command = ["git", "-C", str(repo), "log", "--numstat", "--no-merges", "HEAD"]
    git_log, _, git_cpu = best(lambda: subprocess.run(command, stdout=subprocess.DEVNULL, check=True))
    outcomes = []
    whole, outcome, whole_cpu = best(lambda: outcomes.append(mine_all(request)) or outcomes[-1])
    history = min(o.phase_seconds["history"] for o in outcomes)
    overview = outcome.exports["overview"]
    exact = (overview["total_additions"], overview["total_deletions"]) == numstat_totals(repo)

    for n in range(20):  # 20 new commits, each editing a file that exists
        files = [f for f in git(repo, "ls-files").splitlines() if f.endswith((".py", ".md"))]
        target = repo / files[(n * 7) % len(files)]
        target.write_text(target.read_text() + f"# bench line {n}\n")
        git(repo, "commit", "-q", "-am", f"bench {n}")
    incremental, _, _ = best(lambda: mine_all(request, cache=outcome.cache))
    full_again, _, _ = best(lambda: mine_all(request))
    commits = overview["total_commits"]
    return [
        {"name": f"git_mining.{name}.history_vs_git_log", "value": round(history / git_log, 3),
         "unit": "x git log", "budget": f"<= {HISTORY_BUDGET}", "ok": history / git_log <= HISTORY_BUDGET,
         "baseline": f"git log --numstat --no-merges, same run ({git_log:.2f} s, {commits} commits)"},
        {"name": f"git_mining.{name}.whole_mine_vs_git_log", "value": round(whole / git_log, 3),
         "unit": "x git log", "budget": f"<= {WHOLE_BUDGET}", "ok": whole / git_log <= WHOLE_BUDGET,
         "baseline": "git log --numstat --no-merges, same run", "phase_seconds": outcome.phase_seconds,
         "cpu_ratio": round(whole_cpu / git_cpu, 3)},
        {"name": f"git_mining.{name}.incremental_20_commits_vs_full", "value": round(incremental / full_again, 3),
         "unit": "x full mine", "budget": f"<= {INCREMENTAL_BUDGET}",
         "ok": incremental / full_again <= INCREMENTAL_BUDGET,
         "baseline": f"a full mine of the same state, same run ({full_again:.2f} s)"},
        {"name": f"git_mining.{name}.totals_equal_git_numstat", "value": int(exact), "unit": "1 = identical",
         "budget": "== 1", "ok": exact, "baseline": "git log --numstat --no-merges --no-renames"},
    ]


def run() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="tally-bench-mining-") as scratch:
        base = Path(scratch)
        repos = {"generated_3000": generated(base / "generated"), "tally": base / "tally"}
        subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(repos["tally"])], check=True)
        figures: list[dict[str, Any]] = []
        for name, repo in repos.items():
            figures.extend(measure(name, repo))
        shutil.rmtree(base, ignore_errors=True)
    return figures


if __name__ == "__main__":
    for figure in run():
        print(figure)
