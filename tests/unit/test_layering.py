"""The floor plan holds: each package of `tally` imports only the layers below it, and only the AWS
seam (`tally.platform.aws`) creates boto3 clients.

Layers, bottom up: `platform` (errors, caller, HTTP, AWS seam) · `ops` (failure ledger) and `totals`
(platform totals) · `auth`, `pages`, `sites` · `public_stats` and `web`. Every import counts, lazy
and type-only ones too: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tally_dev.template import ROOT

PACKAGE = ROOT / "layers" / "tally" / "tally"

#: The tally packages each package may import (besides itself).
ALLOWED: dict[str, set[str]] = {
    "platform": set(),
    "ops": {"platform"},
    "totals": {"platform"},
    "auth": {"platform"},
    "pages": {"platform"},
    "sites": {"platform", "ops", "totals"},
    "public_stats": {"platform", "ops", "totals"},
    "web": {"platform", "ops", "totals", "sites"},
    "usage": {"platform", "ops", "auth"},
    "code": {"platform", "ops", "totals"},
    "exports": {"platform", "ops", "totals", "sites", "web", "usage"},
}


def tally_imports(path: Path) -> set[str]:
    """The `tally.*` modules a source file imports, anywhere in it."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name == "tally" or name.startswith("tally.")}


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def modules_of(package: str) -> list[Path]:
    return sorted((PACKAGE / package).rglob("*.py"))


def test_every_package_has_a_layer():
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert packages == set(ALLOWED), "give a new package its place in ALLOWED (and in the README's floor plan)"


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_imports_only_the_layers_below_it(package):
    allowed = ALLOWED[package] | {package}
    wrong = {f"{path.relative_to(PACKAGE)} imports {module}"
             for path in modules_of(package) for module in tally_imports(path)
             if package_of(module) not in allowed}
    assert not wrong, sorted(wrong)


def test_the_layers_have_no_cycle():
    seen: set[str] = set()

    def visit(package: str, path: tuple[str, ...]) -> None:
        assert package not in path, f"cycle: {' → '.join((*path, package))}"
        if package in seen:
            return
        for below in ALLOWED[package]:
            visit(below, (*path, package))
        seen.add(package)

    for package in ALLOWED:
        visit(package, ())


def imported_top_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and not node.level}
    return {name.split(".")[0] for name in names}


def test_only_the_miner_imports_pygit2():
    """pygit2 ships in the miner's own layer (layers/git/): nothing else may need it."""
    handlers = sorted((ROOT / "functions").glob("*/*.py"))
    importers = {str(path.relative_to(ROOT)) for path in [*PACKAGE.rglob("*.py"), *handlers]
                 if "pygit2" in imported_top_modules(path)}
    assert importers
    assert all(name.startswith("layers/tally/tally/code/mining/") for name in importers), sorted(importers)


def test_the_tally_layer_does_not_ship_pygit2_and_the_git_layer_does():
    def packages(requirements: Path) -> set[str]:
        return {line.split("==")[0].strip().lower() for line in requirements.read_text().splitlines()
                if line and not line.startswith((" ", "#"))}

    assert "pygit2" not in packages(ROOT / "layers" / "tally" / "requirements.txt")
    assert {"pygit2", "pygments"} <= packages(ROOT / "layers" / "git" / "requirements.txt")


def creates_boto3_client(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr in {"client", "resource", "Session"} and \
                isinstance(node.func.value, ast.Name) and node.func.value.id == "boto3":
            return True
    return False


def test_only_the_aws_seam_creates_boto3_clients():
    handlers = sorted((ROOT / "functions").glob("*/*.py"))
    creators = [str(path.relative_to(ROOT)) for path in [*PACKAGE.rglob("*.py"), *handlers]
                if creates_boto3_client(path)]
    assert creators == ["layers/tally/tally/platform/aws.py"]


def test_no_handler_imports_boto3():
    for path in sorted((ROOT / "functions").glob("*/*.py")):
        names = {alias.name for node in ast.walk(ast.parse(path.read_text()))
                 if isinstance(node, ast.Import | ast.ImportFrom)
                 for alias in node.names} | {node.module or "" for node in ast.walk(ast.parse(path.read_text()))
                                             if isinstance(node, ast.ImportFrom)}
        assert not {n for n in names if n.split(".")[0] in {"boto3", "botocore"}}, path


def test_no_handler_imports_pynamodb_when_it_is_imported():
    """Entity models are imported on first use, so a handler's cold import stays as cheap as `import boto3`."""
    import subprocess
    import sys

    from tally_dev.template import functions

    probe = ("import importlib.util, sys\n"
             "for name, path in {paths!r}:\n"
             "    spec = importlib.util.spec_from_file_location(name, path)\n"
             "    spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pynamodb'))\n")
    paths = [(f"handler_{lid}", str(spec.code_dir / f"{spec.module.replace('.', '/')}.py"))
             for lid, spec in functions().items()]
    out = subprocess.run([sys.executable, "-c", probe.format(paths=paths)], capture_output=True, text=True, check=True,
                         env={"PATH": "", "PYTHONPATH": str(PACKAGE.parent)})
    assert out.stdout.strip().splitlines()[-1] == "[]"
