"""The small repository the code-analytics e2e tests mine, built with git itself."""

from __future__ import annotations

import subprocess
from pathlib import Path

PEOPLE = [("Ann", "ann@example.com"), ("Bo", "bo@example.com"), ("Cy", "cy@example.com")]


def build_repository(path: Path, commits: int) -> None:
    """`commits` commits by three people over four modules on `main`, and a branch `feature` two behind."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    for i in range(commits):
        name, email = PEOPLE[i % 3]
        when = f"2024-0{1 + i % 6}-{10 + i:02d}T{8 + i % 10:02d}:00:00Z"
        (path / f"module{i % 4}.py").write_text("".join(f"value_{j} = {j}\n" for j in range(3 + i)))
        env = {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when, "PATH": "/usr/bin:/bin", "HOME": str(path)}
        for args in (["add", "."], ["-c", f"user.name={name}", "-c", f"user.email={email}", "commit", "-q", "-m",
                                    f"change {i}"]):
            subprocess.run(["git", "-C", str(path), *args], check=True, env=env)
    subprocess.run(["git", "-C", str(path), "branch", "feature", "HEAD~2"], check=True)
