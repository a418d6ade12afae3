#!/usr/bin/env bash
# Set up chartvault on Debian/Ubuntu: system packages, .venv/, the shipped models.
# Idempotent; run as root or with sudo available. Usage: scripts/setup.sh [--with-servers]
#   --with-servers  also install PostgreSQL, Ceph RGW and docker-compose (tests need them)
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

pkgs=(tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd poppler-utils fonts-dejavu-core python3-venv python3-dev)
if [ "${1:-}" = "--with-servers" ]; then
  pkgs+=(ocrmypdf postgresql radosgw ceph-mon ceph-osd docker-compose curl time chromium)
fi
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The distribution's interpreter (what python3-venv above is for) unless PYTHON names
# another. Debian builds it with PGO and LTO: pure-Python work runs ~25 % faster than in a
# plain source build (pyenv's default), which takes ~0.3 CPU-s off every ingest's start.
PY=${PYTHON:-}
if [ -z "$PY" ]; then
  PY=python3
  if /usr/bin/python3 -c 'import sys, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null
  then PY=/usr/bin/python3; fi
fi
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  "$PY" -m venv .venv
fi
echo "== installing chartvault into .venv"
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
# compat mode: a .pth entry for the repository root, so the top-level packages
# (flows, storage, ...) import as regular packages from any working directory
.venv/bin/python -m pip install -q -e ".[dev]" --config-settings editable_mode=compat

# byte-compile the project now, not during the first ingest (pip did its own packages)
.venv/bin/python -m compileall -q chartvault flows extractors classifiers storage \
  retention_policies >/dev/null
echo "== building the shipped document-type model"
.venv/bin/python -m classifiers.build
echo "== set-up done"
