#!/usr/bin/env bash
# Installs everything the project needs: the Python virtualenv and the Pulumi engine.
# Idempotent: on a ready machine it only checks and finishes in seconds.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

PINNED_PULUMI_VERSION=3.274.1
PULUMI_BIN_DIR="${PULUMI_HOME:-$HOME/.pulumi}/bin"
PYTHON="${PYTHON:-python3}"

say() { printf '==> %s\n' "$*"; }

version_at_least() { # version_at_least HAVE WANT
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]
}

# --- Python ------------------------------------------------------------------
setup_python() {
  if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "error: Python 3.10 or newer is needed as '$PYTHON' (set PYTHON=/path/to/python3)." >&2
    exit 1
  fi
  if [ ! -x .venv/bin/python ]; then
    say "Creating .venv with $("$PYTHON" --version)"
    "$PYTHON" -m venv .venv
  fi
  local stamp=.venv/.vcf-provider-installed
  local wanted
  wanted=$(sha256sum < pyproject.toml | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] && .venv/bin/python -c 'import vcf_provider, pulumi, pulumi_policy, pytest' 2>/dev/null; then
    say "Python packages are up to date in .venv"
    return
  fi
  say "Installing vcf-provider (editable) with its dev extra into .venv"
  local log=.venv/pip-install.log
  # uv (itself a dev dependency) fills the virtualenv in seconds where pip takes a minute; pip is
  # the fallback where no uv wheel exists for this machine. --compile-bytecode as pip does: with
  # PYTHONDONTWRITEBYTECODE set (as on our machines), every Python process (each program and
  # provider the engine starts) would otherwise compile pulumi, grpc and requests from source.
  if ! { .venv/bin/python -m pip install --quiet 'uv>=0.4' &&
         .venv/bin/uv pip install --compile-bytecode --python .venv/bin/python --editable '.[dev]'
       } >"$log" 2>&1; then
    echo "    (uv could not install; trying pip)" >&2
    if ! { .venv/bin/python -m pip install --upgrade pip &&
           .venv/bin/python -m pip install --editable '.[dev]'; } >>"$log" 2>&1; then
      tail -n 30 "$log" >&2
      echo "error: pip install failed; the whole log is in $log" >&2
      exit 1
    fi
  fi
  echo "$wanted" > "$stamp"
}

# --- Pulumi engine -----------------------------------------------------------
engine_source_hash() {
  cat tools/pulumi-cli/go.mod tools/pulumi-cli/go.sum tools/pulumi-cli/cmd/pulumi-language-python/* \
    | sha256sum | cut -d' ' -f1
}

installed_cli_version() { # prints the version of the pulumi at $1, without the leading v
  "$1" version 2>/dev/null | sed -e 's/^v//' || true
}

find_usable_cli() { # prints the path of a pulumi that is new enough, if any
  local candidate
  for candidate in "$(command -v pulumi 2>/dev/null || true)" "$PULUMI_BIN_DIR/pulumi"; do
    [ -n "$candidate" ] && [ -x "$candidate" ] || continue
    local have
    have=$(installed_cli_version "$candidate")
    if [ -n "$have" ] && version_at_least "$have" "$PINNED_PULUMI_VERSION"; then
      echo "$candidate"
      return
    fi
  done
}

show_build_progress() { # condenses `go build -v` output to a line per 50 modules / 100 packages
  local modules=0 packages=0 line
  while IFS= read -r line; do
    case "$line" in
      "go: downloading "*)
        modules=$((modules + 1))
        if ((modules % 50 == 0)); then printf '    %d modules downloaded...\n' "$modules"; fi ;;
      *:*) printf '%s\n' "$line" ;; # a compiler or go command message
      *)
        packages=$((packages + 1))
        if ((packages % 100 == 0)); then printf '    %d packages compiled...\n' "$packages"; fi ;;
    esac
  done
  printf '    %d modules downloaded, %d packages compiled\n' "$modules" "$packages"
}

build_engine() {
  if ! command -v go >/dev/null 2>&1; then
    cat >&2 <<EOF
error: no Pulumi CLI >= $PINNED_PULUMI_VERSION was found (on PATH or in $PULUMI_BIN_DIR), and Go is
not installed to build one. Either install the official Pulumi CLI
(https://www.pulumi.com/docs/install/) and make sure \`pulumi version\` prints v$PINNED_PULUMI_VERSION
or newer, or install Go 1.24+ (https://go.dev/dl/); then run \`make setup\` again.
EOF
    exit 1
  fi
  say "Building the Pulumi CLI v$PINNED_PULUMI_VERSION and the Python language host from Go modules."
  say "The first build downloads ~1.5 GB of modules and compiles ~2,000 packages: 10-20 minutes on 2 cores."
  mkdir -p "$PULUMI_BIN_DIR"
  local ldflags="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PINNED_PULUMI_VERSION"
  say "Downloading modules and compiling pulumi (progress below)"
  if ! (cd tools/pulumi-cli && go build -v -buildvcs=false -trimpath -ldflags "$ldflags" \
      -o "$PULUMI_BIN_DIR/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi 2>&1) | show_build_progress; then
    echo "error: building the Pulumi CLI failed (see above); nothing was installed" >&2
    exit 1
  fi
  say "Compiling pulumi-language-python"
  (cd tools/pulumi-cli && go build -buildvcs=false -trimpath -ldflags "$ldflags" \
      -o "$PULUMI_BIN_DIR/pulumi-language-python" ./cmd/pulumi-language-python)
  engine_source_hash > "$PULUMI_BIN_DIR/.vcf-provider-engine"
}

write_dynamic_provider_shim() {
  # The engine starts Python dynamic providers as `pulumi-resource-pulumi-python`, passing the
  # project's `virtualenv` runtime option as PULUMI_RUNTIME_VIRTUALENV (relative to the project).
  local shim="$PULUMI_BIN_DIR/pulumi-resource-pulumi-python"
  local content
  content=$(cat <<'EOF'
#!/bin/sh
# Starts a Pulumi Python dynamic provider with the program's virtualenv (written by vcf-provider's make setup).
venv="${PULUMI_RUNTIME_VIRTUALENV:-}"
if [ -n "$venv" ]; then
  case "$venv" in /*) ;; *) venv="$PWD/$venv" ;; esac
  if [ ! -x "$venv/bin/python" ]; then
    echo "The virtualenv '$venv' named in Pulumi.yaml has no bin/python; create it and install the program's dependencies." >&2
    exit 1
  fi
  PATH="$venv/bin:$PATH"; export PATH; unset PYTHONHOME
  exec "$venv/bin/python" -u -m pulumi.dynamic "$@"
fi
exec "${PULUMI_PYTHON_CMD:-python3}" -u -m pulumi.dynamic "$@"
EOF
)
  if [ ! -f "$shim" ] || [ "$(cat "$shim")" != "$content" ]; then
    say "Writing $shim"
    printf '%s\n' "$content" > "$shim"
    chmod +x "$shim"
  fi
}

setup_engine() {
  local cli
  cli=$(find_usable_cli)
  if [ -n "$cli" ] && [ "$cli" != "$PULUMI_BIN_DIR/pulumi" ]; then
    say "Using the Pulumi CLI at $cli ($("$cli" version))"
    return
  fi
  if [ -n "$cli" ] && [ -x "$PULUMI_BIN_DIR/pulumi-language-python" ] &&
     { [ ! -f "$PULUMI_BIN_DIR/.vcf-provider-engine" ] ||
       [ "$(cat "$PULUMI_BIN_DIR/.vcf-provider-engine")" = "$(engine_source_hash)" ]; }; then
    say "Using the Pulumi CLI at $cli ($("$cli" version))"
  else
    build_engine
  fi
  write_dynamic_provider_shim
}

setup_python
setup_engine
say "Ready. Put $PULUMI_BIN_DIR on PATH to use this pulumi yourself; make targets do it for you."
