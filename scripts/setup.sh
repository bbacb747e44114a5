#!/usr/bin/env bash
# Set up everything linearnets needs on a fresh Debian/Ubuntu machine; quick and safe to re-run.
#   scripts/setup.sh        runtime: venv, CPU torch, the package, Fashion-MNIST (Debian package)
#   scripts/setup.sh dev    the same plus the dev tools (pytest, ruff, mypy, hypothesis, pillow, and
#                           nbclient + ipykernel, which run the book's code in a real Jupyter kernel)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"
TORCH_SPEC="${TORCH_SPEC:-torch==2.13.0}"
extra="${1:-}"

# 1. Fashion-MNIST from Debian, when this machine allows apt-get (root, or password-less sudo).
if ! dpkg -s dataset-fashion-mnist >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    sudo=""
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else sudo="skip"; fi
    fi
    if [ "$sudo" != skip ]; then
        echo "setup: installing dataset-fashion-mnist with apt-get"
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1 \
            || { $sudo apt-get update -q >/dev/null 2>&1 \
                 && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1; } \
            || echo "setup: could not install dataset-fashion-mnist; see 'linearnets data download'" >&2
    else
        echo "setup: not root and no sudo: skipping apt-get dataset-fashion-mnist" >&2
    fi
fi

# 1b. A font with Chinese glyphs for --lang zh labels (optional: without it --lang zh is refused).
if ! dpkg -s fonts-wqy-microhei >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    sudo=""
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else sudo="skip"; fi
    fi
    if [ "$sudo" != skip ]; then
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q fonts-wqy-microhei >/dev/null 2>&1 \
            || echo "setup: could not install fonts-wqy-microhei; --lang zh figures need a Chinese font" >&2
    fi
fi

# 2. A virtual environment with torch installed first, so the package's torch>= is met.
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.stamp-${extra:-run}"
want="$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi
# TORCH_INDEX_URL (e.g. https://download.pytorch.org/whl/cpu) picks where torch comes from: PyPI's
# Linux wheel is the multi-GB CUDA build, unless pip is configured otherwise (as on this project's VM,
# where torch==2.13.0 resolves to a local CPU wheel).
if [ -n "${TORCH_INDEX_URL:-}" ]; then
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
        --index-url "$TORCH_INDEX_URL" --extra-index-url https://pypi.org/simple "$TORCH_SPEC"
else
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "$TORCH_SPEC"
fi
if [ "$extra" = dev ]; then
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".[dev]"
else
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e .
fi
echo "$want" > "$stamp"
