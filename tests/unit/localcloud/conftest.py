"""Tally's own template.yaml behind the emulator, with a recording runner."""

from __future__ import annotations

import pytest

from tally_dev.localcloud.cloud import http_api_emulator
from tally_dev.localcloud.sam_adapter import SamTemplate
from tally_dev.template import TEMPLATE_PATH, load_template
from tests.unit.localcloud.emulation import Emulated, RecordingRunner


@pytest.fixture(scope="module")
def tally_api_template() -> SamTemplate:
    return SamTemplate(TEMPLATE_PATH)


@pytest.fixture
def tally_api(tally_api_template: SamTemplate) -> Emulated:
    """Tally's own template.yaml behind the emulator, wired as the local cloud wires it."""
    runner = RecordingRunner()
    emulator = http_api_emulator(tally_api_template, load_template(), runner,  # type: ignore[arg-type]
                                 host="127.0.0.1", port=3000)
    return Emulated(runner, emulator._app.test_client())
