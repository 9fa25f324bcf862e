"""Load a function's handler module the way Lambda does: from its CodeUri, by the template's Handler."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from tally_dev.template import functions


def load_handler_module(logical_id: str) -> ModuleType:
    spec = functions()[logical_id]
    path = spec.code_dir / f"{spec.module.replace('.', '/')}.py"
    name = f"handler_{logical_id}"
    if name in sys.modules:
        return sys.modules[name]
    module_spec = importlib.util.spec_from_file_location(name, path)
    assert module_spec and module_spec.loader
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    module_spec.loader.exec_module(module)
    return module
