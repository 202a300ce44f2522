#!/usr/bin/env bash
# The unit and policy tests beyond the default Python (which runs the whole suite):
#   - on Python 3.10, 3.12 and 3.13, found on PATH as python3.X or under ~/.pyenv/versions;
#   - on the lowest versions pyproject.toml allows of pulumi, requests, urllib3 and pulumi-policy
#     (uv's --resolution lowest-direct), with the default Python.
# Each gets its own virtualenv (.venv-3.X, .venv-lowest), made and filled by uv and refilled only when
# pyproject.toml changes. A missing Python is reported and skipped; under CI=true it fails the run.
set -uo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"
VERSIONS=${PYTHON_VERSIONS:-"3.10 3.12 3.13"}
UV="$repo_root/.venv/bin/uv"
missing=()
failed=()
passed=()

find_python() { # find_python 3.X: prints an interpreter of that version, if any
  local candidate
  for candidate in "$(command -v "python$1" 2>/dev/null || true)" \
      $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}/versions/$1".*/bin/python 2>/dev/null | sort -V -r); do
    [ -n "$candidate" ] && [ -x "$candidate" ] || continue
    if "$candidate" -c "import sys; sys.exit(f'{sys.version_info[0]}.{sys.version_info[1]}' != '$1')" 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

install() { # install VENV PYTHON [uv pip install options...]: a virtualenv with the package and its test tools
  local venv=$1 python=$2
  shift 2
  local stamp="$venv/.vcf-provider-installed"
  local wanted
  wanted=$( (cat pyproject.toml; echo "$* compiled") | sha256sum | cut -d' ' -f1)
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] && return 0
  echo "==> $venv: installing with uv ($python${*:+, $*})"
  rm -rf "$venv"
  if ! { "$UV" venv --quiet --python "$python" "$venv" &&
         "$UV" pip install --quiet --compile-bytecode --python "$venv/bin/python" "$@" --editable '.[testing]' &&
         "$UV" pip install --quiet --compile-bytecode --python "$venv/bin/python" 'pytest>=8' 'hypothesis>=6.100' 'pytest-xdist>=3.5' 'proxy.py>=2.4' 'PySocks>=1.7.1'
       } >"$venv.install.log" 2>&1; then
    tail -n 20 "$venv.install.log" >&2
    return 1
  fi
  echo "$wanted" > "$stamp"
}

# The suites run side by side, each in one process: half of a unit run is waiting (deadlines,
# slow servers on purpose), so four serial runs at once finish sooner, and cost less CPU, than
# four runs of two xdist workers one after another.
labels=()
venvs=()
queue() { labels+=("$1"); venvs+=("$2"); }

for version in $VERSIONS; do
  python=$(find_python "$version") || { missing+=("$version"); continue; }
  if install ".venv-$version" "$python"; then
    queue "Python $version" ".venv-$version"
  else
    failed+=("Python $version (install)")
  fi
done

default_python=$(.venv/bin/python -c 'import sys; print(sys.executable)')
if install .venv-lowest "$default_python" --resolution lowest-direct; then
  echo "==> lowest allowed versions: $(.venv-lowest/bin/python -c 'import importlib.metadata as m; print(", ".join(f"{n} {m.version(n)}" for n in ("pulumi", "requests", "urllib3", "pulumi-policy")))')"
  queue "lowest versions" .venv-lowest
else
  failed+=("lowest versions (install)")
fi

mkdir -p .test-logs
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
pids=()
for i in "${!labels[@]}"; do
  echo "==> ${labels[$i]}: unit and policy tests (output in .test-logs/unit-${venvs[$i]#.}.log)"
  # Each run its own --basetemp: pytest's shared one is numbered and pruned by whichever run starts.
  VCF_FUZZ_EXAMPLES=50 "${venvs[$i]}/bin/python" -m pytest -q -p no:cacheprovider -p no:xdist \
    --basetemp "$scratch/${venvs[$i]#.}" -m "not engine" tests/unit tests/policy \
    >".test-logs/unit-${venvs[$i]#.}.log" 2>&1 &
  pids+=($!)
done
for i in "${!labels[@]}"; do
  log=".test-logs/unit-${venvs[$i]#.}.log"
  if wait "${pids[$i]}"; then
    passed+=("${labels[$i]}")
    echo "==> ${labels[$i]}: $(tail -n 1 "$log")"
  else
    failed+=("${labels[$i]}")
    echo "!!! ${labels[$i]}: unit and policy tests failed; the end of $log:" >&2
    tail -n 40 "$log" >&2
  fi
done

status=0
if [ ${#missing[@]} -gt 0 ]; then
  echo "" >&2
  echo "!!! Python ${missing[*]} not found (looked for python3.X on PATH and under ~/.pyenv/versions):" >&2
  echo "!!! the unit and policy tests did NOT run on it. Install it (pyenv install 3.X) to test it." >&2
  [ "${CI:-}" = "true" ] && { echo "!!! CI=true: a missing supported Python fails the run." >&2; status=1; }
fi
if [ ${#failed[@]} -gt 0 ]; then
  echo "!!! tests failed on: ${failed[*]}" >&2
  status=1
fi
[ ${#passed[@]} -gt 0 ] && echo "==> unit and policy tests passed on: ${passed[*]}"
exit $status
