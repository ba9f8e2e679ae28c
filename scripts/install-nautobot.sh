#!/usr/bin/env bash
# Nautobot for tests/interop (the importer's round trip against a real server): its own venv, because its
# pinned Django stack would conflict with netops' dependencies. Installed from PyPI by pip, nothing of Nautobot
# is kept in this repository. Idempotent: does nothing when the pinned version is already there.
# Usage: scripts/install-nautobot.sh [VENV]   (default .venv/nautobot, inside the git-ignored .venv/)
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${1:-${NETOPS_NAUTOBOT_VENV:-.venv/nautobot}}"
version="${NETOPS_NAUTOBOT_VERSION:-3.2.7}"
python="${PYTHON:-python3}"
if [ -x "$venv/bin/nautobot-server" ] && [ -f "$venv/.installed-$version" ]; then
  exit 0
fi
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip
"$venv/bin/pip" install --quiet "nautobot==$version"
touch "$venv/.installed-$version"
