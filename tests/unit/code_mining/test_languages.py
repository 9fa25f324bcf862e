"""Languages come from Pygments' lexer registry; the shared lookups give Pygments' own answers."""

from __future__ import annotations

import pytest
from pygments.lexers import find_lexer_class_for_filename

from tally.code.mining.languages import is_code, language_of, primary_language

NAMES = ["app.py", "lib/other.py", "Makefile", "CMakeLists.txt", "notes.txt", "x.d.ts", "index.ts", "a.tar.gz",
         "man.1", ".bashrc", "README", "README.md", "data.json", "conf.yaml", "icon.svg", "Dockerfile", "x.h",
         "y.hpp", "page.html", "style.css", "setup.cfg", "pyproject.toml", "LICENSE"]


@pytest.mark.parametrize("name", NAMES)
def test_a_file_name_gets_pygments_language(name):
    lexer = find_lexer_class_for_filename(name.rsplit("/", 1)[-1])
    expected = None if lexer is None or lexer.name == "Text only" else lexer.name
    assert language_of(name) == expected


def test_the_primary_language_is_code_unless_there_is_none():
    sizes = {"JSON": 900, "XML": 800, "Markdown": 700, "Python": 100, "CSS": 50}
    code = {name for path, name in (("a.json", "JSON"), ("a.svg", "XML"), ("a.md", "Markdown"), ("a.py", "Python"),
                                    ("a.css", "CSS")) if is_code(path)}
    assert code == {"Python", "CSS"}
    assert primary_language(sizes, code) == "Python"
    assert primary_language({"JSON": 9, "YAML": 9}, set()) == "JSON"
    assert primary_language({}, set()) is None
