#!/usr/bin/env bash
# Installs the system packages Tally's tests need, from Debian: chromium (browser tests drive
# /usr/bin/chromium through Playwright; Playwright's own browser downloads are never used) and git.
# Idempotent: exits at once when both are present. Installing needs root (or passwordless sudo).
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v git >/dev/null 2>&1 || missing+=(git)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "system-deps: ${missing[*]} missing; as root run: bash scripts/system-deps.sh" >&2
  exit 1
fi

echo "system-deps: installing ${missing[*]} from Debian" >&2
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes
if ! { "${as_root[@]}" apt-get update -qq && \
       "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "system-deps: apt-get could not install ${missing[*]}" >&2
  exit 1
fi
[ -x /usr/bin/chromium ] || { echo "system-deps: /usr/bin/chromium is still missing" >&2; exit 1; }
command -v git >/dev/null 2>&1 || { echo "system-deps: git is still missing" >&2; exit 1; }
