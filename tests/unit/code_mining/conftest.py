"""A small repository with every case the figures must survive, built once per worker with git itself."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.unit.code_mining.gitrepo import GitRepo

ADA = ("Ada", "ada@example.com")
BOB_OLD = ("Bobby", "bob@old.example")
BOB = ("Bob", "bob@example.com")
CAROL = ("Carol", "carol@example.com")
BOT = ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com")


def build_history(repo: GitRepo) -> None:
    """Root with files, renames, binary, empty commit, merges (plain, conflict, octopus), non-UTF-8
    path and message, .mailmap, a submodule, a bot, a type change, more than 24 files changed at once
    (the sweep's tree-diff path), an ignored reformatting, several branches."""
    app = "".join(f"line {i}\n" for i in range(12))
    repo.commit("root with files", {"README.md": "# Demo\n\nHello.\n", "src/app.py": app,
                                     "data.bin": b"\x00\x01\x02binary\x00",
                                     ".mailmap": "Bob <bob@example.com> Bobby <bob@old.example>\n"})
    repo.commit("bob edits", {"src/app.py": app.replace("line 3\n", "line three\nline 3b\n")}, author=BOB_OLD)
    repo.git("mv", "src/app.py", "src/main.py")
    repo.commit("rename with an edit", {"src/main.py": (repo.path / "src/main.py").read_text() + "tail\n"})
    repo.commit("nothing", allow_empty=True)
    repo.commit("a file that becomes a link", {"link": "plain\ntext\n"})
    repo.commit("binary grows", {"data.bin": b"\x00\x01\x02binary\x00more", "crlf.txt": b"one\r\ntwo\r\nno newline"})

    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("carol adds", {"src/util.py": "def f():\n    return 1\n"}, author=CAROL)
    repo.commit("carol edits main", {"src/main.py": (repo.path / "src/main.py").read_text().replace("line 9", "nine")},
                author=CAROL)
    repo.git("checkout", "-q", "main")
    repo.commit("ada docs", {"README.md": "# Demo\n\nHello, world.\n"})
    repo.merge("feature", message="merge feature")

    repo.git("checkout", "-q", "-b", "clash")
    repo.commit("clash side", {"README.md": "# Demo\n\nHi from clash.\n"}, author=BOB)
    repo.git("checkout", "-q", "main")
    repo.commit("main side", {"README.md": "# Demo\n\nHi from main.\n"})
    repo.merge("clash", message="resolve", resolve={"README.md": "# Demo\n\nHi from both.\nResolved.\n"})

    for name in ("o1", "o2"):
        repo.git("checkout", "-q", "-b", name, "main")
        repo.commit(f"{name} adds", {f"{name}.txt": f"{name}\n"}, author=CAROL)
    repo.git("checkout", "-q", "main")
    repo.merge("o1", "o2", message="octopus")

    repo.commit(b"caf\xe9 latin-1 message", {b"caf\xe9.txt": b"caf\xe9\n"})
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{repo.head()},vendor/sub")
    repo.commit("a submodule")
    repo.commit("bump", {"requirements.txt": "x==1\n"}, author=BOT)
    repo.commit("many files", {f"docs/page{i:02d}.md": f"# Page {i}\n\nText {i}.\n" for i in range(30)})
    (repo.path / "link").unlink(missing_ok=True)
    (repo.path / "link").symlink_to("README.md")  # a text file becomes a symlink: a type change
    repo.git("add", "link")
    repo.commit("a symlink")
    reformat = repo.commit("reformat", {"src/util.py": "def f():\n    return  1\n"})
    repo.commit("ignore the reformat", {".git-blame-ignore-revs": f"# formatting\n{reformat}\n"})

    repo.git("checkout", "-q", "-b", "stale", "main~3")
    repo.commit("stale work", {"stale.txt": "s\n"}, author=CAROL)
    repo.git("checkout", "-q", "main")
    repo.commit("last", {"src/main.py": (repo.path / "src/main.py").read_text() + "end\n"})


@pytest.fixture(scope="session")
def built_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = GitRepo(tmp_path_factory.mktemp("mining") / "repo")
    build_history(repo)
    return repo.path


@pytest.fixture
def sample(built_repo: Path, tmp_path: Path) -> GitRepo:
    """A private copy of the built repository (tests may add commits to it)."""
    target = tmp_path / "repo"
    shutil.copytree(built_repo, target, symlinks=True)
    repo = GitRepo.__new__(GitRepo)
    repo.path = target
    repo.clock = 1_700_000_000
    return repo
