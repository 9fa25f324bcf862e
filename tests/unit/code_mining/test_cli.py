"""`tally mine PATH_OR_URL --out DIR` writes the five files of a run, from a path or a cloned URL."""

from __future__ import annotations

import io
import json

from tally.code.mining import MineRequest, mine_all
from tally_dev.cli import main
from tally_dev.mine import ProgressBar, full_name_of, mine


def test_mine_a_path_writes_the_four_exports_and_a_succeeded_status(sample, tmp_path, capsys):
    out = tmp_path / "out"
    cache = tmp_path / "c.json"
    assert main(["mine", str(sample.path), "--out", str(out), "--name", "demo/repo", "--cache", str(cache)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["activity.json", "branches.json", "overview.json",
                                                     "ownership.json", "status.json"]
    status = json.loads((out / "status.json").read_text())
    assert status["state"] == "succeeded"
    assert status["commits_done"] == status["commits_total"] == sample.count("HEAD")
    assert set(status["phase_seconds"]) == {"scan", "history", "ownership", "export"}
    expected = mine_all(MineRequest(repo_path=str(sample.path), codebase_id="local", full_name="demo/repo"))
    for name in ("activity", "branches", "ownership"):
        assert json.loads((out / f"{name}.json").read_text()) == json.loads(json.dumps(expected.exports[name]))
    lines = capsys.readouterr().err.splitlines()  # not a terminal: one plain line per phase, then a summary
    n = sample.count("HEAD")
    assert lines[:3] == [f"mining: history, 0/{n} commits", f"mining: ownership, {n}/{n} commits",
                         f"mining: export, {n}/{n} commits"]
    assert lines[-1].startswith(f"mined demo/repo: {n} commits")
    assert json.loads(cache.read_text())["head"] == sample.head()


def test_mine_a_url_clones_it_first(sample, tmp_path):
    out = tmp_path / "out"
    assert mine(f"file://{sample.path}", out, stream=io.StringIO()) == 0
    overview = json.loads((out / "overview.json").read_text())
    assert overview["total_commits"] == sample.count("HEAD")
    assert overview["full_name"] == full_name_of(f"file://{sample.path}") == f"{sample.path.parent.name}/repo"


def test_a_repository_that_cannot_be_read_gives_a_failed_status(tmp_path):
    out = tmp_path / "out"
    stream = io.StringIO()
    assert mine(str(tmp_path / "missing"), out, stream=stream) == 1
    status = json.loads((out / "status.json").read_text())
    assert status["state"] == "failed"
    assert "not a readable git repository" in status["error"]


def test_on_a_terminal_the_bar_shows_commits_and_phase():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    from tally.code.mining import Progress

    stream = Tty()
    bar = ProgressBar(stream, width=10)
    bar(Progress(phase="history", commits_done=5, commits_total=10))
    assert stream.getvalue() == "\r\033[K[#####.....] 5/10 commits · history"
