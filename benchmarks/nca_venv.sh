#!/usr/bin/env bash
# Create benchmarks/.nca-venv with nca (network-config-analyzer 2.1.0) unless it already exists.
# The benchmark runner does the same on demand (run_benchmark.ensure_nca_venv).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.nca-venv"
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/nca" ]; then
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet "network-config-analyzer==2.1.0"
fi
"$venv/bin/nca" --version
