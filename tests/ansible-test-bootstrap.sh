#!/usr/bin/env bash
# ansible-test downloads a get-pip script from a host this machine cannot reach. This puts a
# stand-in into its cache that installs the same pip version from the pip wheel on PyPI instead
# (research/tooling.md, section 1). Run with PY= the venv's python.
set -euo pipefail
PY=${PY:-python}
PIPV=$("$PY" -c "import ansible_test, pathlib, re; print(re.search(r\"pip='([0-9.]+)'\", (pathlib.Path(ansible_test.__file__).parent / '_internal/python_requirements.py').read_text()).group(1))")
CACHE="$HOME/.ansible/test/cache"
target="$CACHE/get_pip_${PIPV//./_}.py"
[[ -f $target && -f $CACHE/pip-$PIPV-py3-none-any.whl ]] && exit 0
mkdir -p "$CACHE"; rm -f "$target.download"
"$PY" -m pip download -q --no-deps --only-binary=:all: "pip==$PIPV" -d "$CACHE"
cat > "$target" <<PYEOF
import os, runpy, sys
here = os.path.dirname(os.path.abspath(__file__))
args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
sys.argv = [sys.argv[0], 'install', '--find-links', here] + args
sys.path.insert(0, os.path.join(here, 'pip-$PIPV-py3-none-any.whl'))
runpy.run_module('pip', run_name='__main__', alter_sys=True)
PYEOF
