#!/usr/bin/env bash
# Creates .venv from the locked dependencies (uv.lock) and installs the project into it.
# Idempotent and quick when nothing changed: a stamp records the lock file it was built from.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
UV_VERSION=0.13.8
STAMP=.venv/.tally-bootstrap

if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "bootstrap: $PYTHON is required (Lambda runs Python 3.11)" >&2
  exit 1
fi
if ! command -v git >/dev/null 2>&1; then
  echo "bootstrap: installing git" >&2
  apt-get update -qq && apt-get install -y -qq git >/dev/null
fi

if [ "$(id -u)" -eq 0 ] || [ "${TALLY_SYSTEM_DEPS:-0}" = 1 ]; then scripts/system-deps.sh; fi  # chromium, git
want="$(sha256sum uv.lock pyproject.toml scripts/bootstrap.sh | sha256sum | cut -d' ' -f1)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -x .venv/bin/python ]; then
  exit 0
fi

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
if ! { [ -x .venv/bin/uv ] && .venv/bin/uv --version | grep -q " $UV_VERSION"; }; then
  .venv/bin/python -m pip --version >/dev/null 2>&1 || .venv/bin/python -m ensurepip --upgrade >/dev/null
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi
# --compile-bytecode: every process of the local cloud (moto, a worker per function, `tally dev`)
# imports from .pyc instead of compiling sources each time (also where PYTHONDONTWRITEBYTECODE is set)
UV_PROJECT_ENVIRONMENT=.venv .venv/bin/uv sync --frozen --quiet --compile-bytecode --python .venv/bin/python
echo "$want" > "$STAMP"
echo "bootstrap: .venv is ready (locked by uv.lock)"
