"""Build small repositories with the git CLI, and read the git CLI's own figures (the oracle)."""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from pathlib import Path

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


class GitRepo:
    """A work tree driven by `git`; every commit gets an explicit author and date (UTC seconds)."""

    def __init__(self, path: Path, branch: str = "main") -> None:
        self.path = path
        self.clock = 1_600_000_000
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", branch)
        self.git("config", "core.quotepath", "false")
        self.git("config", "commit.gpgsign", "false")

    def git(self, *args: str | bytes, author: tuple[str, str] = ("Ada", "ada@example.com"), check: bool = True,
            input: bytes | None = None) -> str:
        self.clock += 3_700  # a little over an hour per call, so hours and weeks vary
        env = {**os.environ, "GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1],
               "GIT_COMMITTER_NAME": author[0], "GIT_COMMITTER_EMAIL": author[1],
               "GIT_AUTHOR_DATE": f"{self.clock} +0200", "GIT_COMMITTER_DATE": f"{self.clock} +0200",
               "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(self.path), "LC_ALL": "C"}
        result = subprocess.run(["git", "-C", str(self.path), *args], env=env, capture_output=True, input=input,
                                check=False)
        if check and result.returncode:
            raise AssertionError(f"git {args}: {result.stderr.decode(errors='replace')}")
        return result.stdout.decode("utf-8", errors="surrogateescape")

    def write(self, files: dict[str | bytes, bytes | str | None]) -> None:
        for name, content in files.items():
            target = self.path / os.fsdecode(name)
            if content is None:
                self.git("rm", "-q", "--", os.fsencode(name))
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content.encode() if isinstance(content, str) else content)
            self.git("add", "--", os.fsencode(name))

    def commit(self, message: str | bytes, files: dict[str | bytes, bytes | str | None] | None = None,
               author: tuple[str, str] = ("Ada", "ada@example.com"), allow_empty: bool = False) -> str:
        self.write(files or {})
        raw = message if isinstance(message, bytes) else message.encode()
        self.git("commit", "-q", "--no-verify", *(["--allow-empty"] if allow_empty else []), "-F", "-",
                 author=author, input=raw)
        return self.head()

    def head(self, ref: str = "HEAD") -> str:
        return self.git("rev-parse", ref).strip()

    def merge(self, *branches: str, message: str = "merge", author: tuple[str, str] = ("Ada", "ada@example.com"),
              resolve: dict[str | bytes, bytes | str | None] | None = None) -> str:
        result = self.git("merge", "-q", "--no-ff", "--no-edit", "-m", message, *branches, author=author,
                          check=resolve is None)
        if resolve is not None:
            self.write(resolve)
            self.git("commit", "-q", "--no-edit", author=author)
        del result
        return self.head()

    # the oracle ----------------------------------------------------------------------------------

    def numstat(self, ref: str = "HEAD") -> tuple[int, int, int]:
        """(additions, deletions, binary changes) of `git log --numstat --no-merges --no-renames`."""
        additions = deletions = binary = 0
        for line in self.git("log", "--numstat", "--no-merges", "--no-renames", "--format=", ref).splitlines():
            if not line.strip():
                continue
            added, deleted, _ = line.split("\t", 2)
            if added == "-":
                binary += 1
            else:
                additions += int(added)
                deletions += int(deleted)
        return additions, deletions, binary

    def patch_bytes(self, ref: str = "HEAD") -> tuple[int, int]:
        """Bytes of added and deleted lines (without newline) in `git log -p --no-merges --no-renames`."""
        raw = subprocess.run(["git", "-C", str(self.path), "log", "-p", "--no-merges", "--no-renames", "--format=",
                              "--no-color", "--no-ext-diff", ref], capture_output=True, check=True).stdout
        added = deleted = 0
        in_hunk = False
        for line in raw.split(b"\n"):
            if line.startswith(b"diff --git "):
                in_hunk = False
            elif line.startswith(b"@@"):
                in_hunk = True
            elif in_hunk and line.startswith(b"+"):
                added += len(line) - 1
            elif in_hunk and line.startswith(b"-"):
                deleted += len(line) - 1
        return added, deleted

    def count(self, *args: str) -> int:
        return int(self.git("rev-list", "--count", *args).strip())

    def text_files(self, ref: str = "HEAD") -> dict[str, int]:
        """Text files at `ref` with their line counts (numstat against the empty tree, submodules aside)."""
        found: dict[str, int] = {}
        modes = {line.split("\t", 1)[1]: line.split()[0]
                 for line in self.git("ls-tree", "-r", "-z", ref).split("\0") if line}
        for line in self.git("diff", "--numstat", "-z", "--no-renames", EMPTY_TREE, ref).split("\0"):
            if not line.strip():
                continue
            added, _, path = line.split("\t", 2)
            if added != "-" and modes.get(path) != "160000":
                found[path] = int(added)
        return found

    def blame(self, path: str, ref: str = "HEAD") -> Counter[str]:
        """Lines per commit of `git blame --line-porcelain`, honouring .git-blame-ignore-revs when present."""
        ignore = ["--ignore-revs-file", ".git-blame-ignore-revs"] if (self.path / ".git-blame-ignore-revs").exists() \
            else []
        out = self.git("blame", "--line-porcelain", *ignore, ref, "--", path)
        return Counter(line.split()[0] for line in out.splitlines()
                       if len(line) > 40 and line[40] == " " and all(c in "0123456789abcdef" for c in line[:40]))

    def blame_lines(self, path: str, ref: str = "HEAD") -> list[str]:
        """The commit of each line, in order, by `git blame --line-porcelain --ignore-revs-file` (when present)."""
        ignore = ["--ignore-revs-file", ".git-blame-ignore-revs"] if (self.path / ".git-blame-ignore-revs").exists() \
            else []
        out = self.git("blame", "--line-porcelain", *ignore, ref, "--", path)
        return [line[:40] for line in out.splitlines()
                if len(line) > 40 and line[40] == " " and all(c in "0123456789abcdef" for c in line[:40])]
