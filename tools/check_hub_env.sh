#!/usr/bin/env bash
# What a JupyterHub or Binder image built by repo2docker gets, checked without Docker.
#
# repo2docker reads runtime.txt (the Python version), installs requirements.txt (which
# installs the kit's helpers with `-e .`), then runs postBuild. This script does the same
# in a copy of the repository at another path, with a fresh virtual environment, and then
# runs every lesson's set-up cell in a kernel of that environment, from the notebooks/
# folder as JupyterLab does. So it catches a package that only the developer's .venv has,
# a notebook that imports helpers from the working folder instead of the installed kit,
# and a postBuild that fails.
#
# Usage: tools/check_hub_env.sh [--keep]     (PYTHON=python3.11 to choose the interpreter)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
KEEP=0
[ "${1:-}" = "--keep" ] && KEEP=1

want=$(sed -n 's/^python-\([0-9]*\.[0-9]*\).*/\1/p' runtime.txt)
PYTHON=${PYTHON:-python$want}
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "runtime.txt asks for Python $want, and $PYTHON is not on the PATH; PYTHON=... to choose one" >&2
  exit 1
fi
have=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [ "$have" != "$want" ]; then
  echo "runtime.txt asks for Python $want, but $PYTHON is Python $have" >&2
  exit 1
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bseq-hub-XXXXXX")
cleanup() { if [ "$KEEP" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT
COPY="$WORK/repo"
ENV="$WORK/env"
SECONDS=0

echo "== copy of the repository (tracked and new files, as a commit would hold them): $COPY"
mkdir -p "$COPY"
git ls-files -z --cached --others --exclude-standard \
  | (cd "$ROOT" && xargs -0 tar -cf - --no-recursion --ignore-failed-read) \
  | tar -xf - -C "$COPY"
# Like repo2docker's image, the copy holds no .venv, build output or caches.
test ! -e "$COPY/.venv"

echo "== Python $have environment from requirements.txt alone: $ENV"
"$PYTHON" -m venv "$ENV"
(cd "$COPY" && "$ENV/bin/python" -m pip install --disable-pip-version-check --no-compile -q -r requirements.txt)
echo "   installed in ${SECONDS} s"

echo "== postBuild (NB_PYTHON_PREFIX=$ENV, as repo2docker sets it)"
(cd "$COPY" && NB_PYTHON_PREFIX="$ENV" bash ./postBuild)
settings="$ENV/share/jupyter/lab/settings/overrides.d/beyond-sequential.json"
test -f "$settings" || { echo "postBuild did not install $settings" >&2; exit 1; }

echo "== every lesson's set-up cell, one after another in one fresh kernel of that environment"
cd "$COPY/notebooks"
BSEQ_COPY="$COPY" "$ENV/bin/python" - <<'EOF'
import json
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

# One kernel runs every lesson's set-up cell in turn (one TensorFlow import, not eight: CPU
# time is CI's budget); nbval runs each notebook in a fresh kernel of its own anyway.
names, cells = [], []
for path in sorted(Path(".").glob("[0-9][0-9]-*.ipynb")):
    nb = nbformat.read(path, as_version=4)
    setup = next(cell for cell in nb.cells if cell.cell_type == "code")
    names.append(path.name)
    cells.append(nbformat.v4.new_code_cell(setup.source))
where_cell = nbformat.v4.new_code_cell(
    "import helpers, json, sys\n"
    "print(json.dumps({'python': sys.executable, 'helpers': helpers.__file__}))"
)
nb = nbformat.v4.new_notebook(cells=[*cells, where_cell])
started = time.perf_counter()
client = NotebookClient(nb, kernel_name="python3", timeout=600, allow_errors=True,
                        resources={"metadata": {"path": "."}})
client.execute()
failed = []
for name, cell in zip(names, nb.cells):
    errors = [o for o in cell.outputs if o.output_type == "error"]
    if errors:
        failed.append(f"{name}: {errors[0]['ename']}: {errors[0]['evalue'][-800:]}")
    print(f"   {name}: {'FAILED' if errors else 'set-up cell ran'}")
print(f"   every set-up cell in {time.perf_counter() - started:.1f} s")
where = json.loads("".join(o.get("text", "") for o in nb.cells[-1].outputs) or "{}")
copy = os.environ["BSEQ_COPY"]
if not where.get("python", "").startswith(sys.prefix) or not where.get("helpers", "").startswith(copy):
    failed.append(f"the kernel ran in {where.get('python')} with helpers from {where.get('helpers')}")
if failed:
    sys.exit("set-up cells that failed in the hub's environment:\n" + "\n".join(failed))
EOF
echo "== the hub's environment works: ${SECONDS} s in all"
