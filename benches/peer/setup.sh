#!/usr/bin/env bash
# Installs the peers of `smoothscore bench` into a venv: PyTorch (CPU wheel) and NumPy from
# PyPI. Usage: benches/peer/setup.sh [VENV]  (default target/peer-venv), then
#   smoothscore bench --python target/peer-venv/bin/python
set -euo pipefail
venv="${1:-target/peer-venv}"
if ! python3 -m venv "$venv" 2>/dev/null; then
  apt-get update >/dev/null && apt-get install -y python3-venv >/dev/null
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --upgrade pip
"$venv/bin/pip" install --quiet numpy
# The CPU-only wheel index first (small); PyPI's default wheel (with CUDA libraries) otherwise.
"$venv/bin/pip" install --quiet torch --index-url https://download.pytorch.org/whl/cpu ||
  "$venv/bin/pip" install --quiet torch
"$venv/bin/python" -c "import torch, numpy; print('torch', torch.__version__, 'numpy', numpy.__version__)"
