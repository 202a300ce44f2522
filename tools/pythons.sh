#!/usr/bin/env bash
# The unit and policy tests on every supported Python besides the default one (which runs the whole
# suite): 3.10, 3.12 and 3.13, found on PATH as python3.X or under ~/.pyenv/versions. Each gets its
# own virtualenv, .venv-3.X, reinstalled only when pyproject.toml changes. A missing version is
# reported and skipped; under CI=true it fails the run.
set -uo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"
VERSIONS=${PYTHON_VERSIONS:-"3.10 3.12 3.13"}
missing=()
failed=()

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

for version in $VERSIONS; do
  python=$(find_python "$version") || { missing+=("$version"); continue; }
  venv=".venv-$version"
  stamp="$venv/.vcf-provider-installed"
  wanted=$(sha256sum < pyproject.toml | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
    echo "==> Python $version: installing into $venv ($python)"
    rm -rf "$venv"
    if ! { "$python" -m venv "$venv" && "$venv/bin/python" -m pip install --quiet --upgrade pip &&
           "$venv/bin/python" -m pip install --quiet --editable '.[dev]'; } >"/tmp/vcf-pip-$version.log" 2>&1; then
      tail -n 20 "/tmp/vcf-pip-$version.log" >&2
      failed+=("$version (install)")
      continue
    fi
    echo "$wanted" > "$stamp"
  fi
  echo "==> Python $version: unit and policy tests"
  if ! "$venv/bin/python" -m pytest -q -p no:cacheprovider -m "not engine" tests/unit tests/policy; then
    failed+=("$version")
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
  echo "!!! tests failed on Python ${failed[*]}" >&2
  status=1
fi
[ $status -eq 0 ] && echo "==> unit and policy tests passed on Python $VERSIONS"
exit $status
