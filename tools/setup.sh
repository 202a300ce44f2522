#!/usr/bin/env bash
# Installs everything the project needs: the Python virtualenv and the Pulumi engine.
# Idempotent: on a ready machine it only checks and finishes in seconds.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

PINNED_PULUMI_VERSION=3.274.1
# Named, not "latest": on our module proxy "latest" resolves to an old release.
PINNED_YAML_HOST_VERSION=1.38.3
# What the TypeScript consumer compiles against. npm has no @pulumi/pulumi 3.274.x; TypeScript 7 is
# outside @pulumi/pulumi's peer range (< 7).
TS_TOOLCHAIN="@pulumi/pulumi@3.276.0 typescript@5.9.3 @types/node@20.19.9"
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
  # Files only, in a stable order: a __pycache__ that running the host's runner.py leaves is no source.
  find tools/pulumi-cli/go.mod tools/pulumi-cli/go.sum tools/pulumi-cli/cmd/pulumi-language-python \
    tools/pulumi-cli/internal -type f -not -path '*/__pycache__/*' | LC_ALL=C sort | xargs cat \
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

# --- Other languages ---------------------------------------------------------
need_go() { # need_go WHAT: fails with a hint when Go is missing
  if ! command -v go >/dev/null 2>&1; then
    echo "error: Go 1.24+ (https://go.dev/dl/) is needed to build $1; install it and run \`make setup\` again." >&2
    exit 1
  fi
}

module_version_of() { # module_version_of BINARY MODULE: the version of MODULE that BINARY was built from
  go version -m "$1" 2>/dev/null | awk -v module="$2" '$1 == "mod" && $2 == module { print $3 }'
}

# The YAML language host, beside our CLI: the CLI takes plugins from its own directory first and
# warns about any it finds only on PATH.
setup_yaml_host() {
  local host="$PULUMI_BIN_DIR/pulumi-language-yaml" module=github.com/pulumi/pulumi-yaml
  if [ -x "$host" ] && { ! command -v go >/dev/null 2>&1 ||
       [ "$(module_version_of "$host" "$module")" = "v$PINNED_YAML_HOST_VERSION" ]; }; then
    say "pulumi-language-yaml v$PINNED_YAML_HOST_VERSION is installed"
    return
  fi
  need_go pulumi-language-yaml
  say "Building pulumi-language-yaml v$PINNED_YAML_HOST_VERSION (2-3 minutes on 2 cores the first time)"
  mkdir -p "$PULUMI_BIN_DIR"
  GOBIN="$PULUMI_BIN_DIR" go install -trimpath "$module/cmd/pulumi-language-yaml@v$PINNED_YAML_HOST_VERSION"
}

# vcf-sdkgen generates the Node.js and Go SDKs, whose language hosts we cannot install. It is a
# project tool, not a Pulumi plugin, so it lives in .venv/bin (on PATH in make targets).
sdkgen_source_hash() {
  cat tools/pulumi-cli/go.mod tools/pulumi-cli/go.sum tools/pulumi-cli/cmd/vcf-sdkgen/* \
    tools/pulumi-cli/internal/*/* | sha256sum | cut -d' ' -f1
}

setup_sdkgen() {
  local tool=.venv/bin/vcf-sdkgen stamp=.venv/.vcf-sdkgen-built
  local wanted
  wanted=$(sdkgen_source_hash)
  if [ -x "$tool" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
    say "vcf-sdkgen is up to date in .venv/bin"
    return
  fi
  need_go vcf-sdkgen
  say "Compiling vcf-sdkgen (a minute the first time)"
  (cd tools/pulumi-cli && go build -buildvcs=false -trimpath -o "$repo_root/$tool" ./cmd/vcf-sdkgen)
  echo "$wanted" > "$stamp"
}

# The TypeScript compiler and @pulumi/pulumi for compiling the TypeScript consumer, in
# .venv/node/node_modules: tests link that folder instead of running npm (20 s cold) each time.
setup_ts_toolchain() {
  local prefix=.venv/node stamp=.venv/node/.vcf-installed
  if [ -x "$prefix/node_modules/.bin/tsc" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$TS_TOOLCHAIN" ]; then
    say "The TypeScript toolchain is up to date in $prefix"
    return
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "error: Node.js 20+ with npm (https://nodejs.org/) is needed to compile the TypeScript example; install it and run \`make setup\` again." >&2
    exit 1
  fi
  say "Installing $TS_TOOLCHAIN into $prefix"
  mkdir -p "$prefix"
  [ -f "$prefix/package.json" ] || echo '{"name": "vcf-provider-ts-toolchain", "private": true}' > "$prefix/package.json"
  # shellcheck disable=SC2086 # the list is split into packages on purpose
  (cd "$prefix" && npm install --no-audit --no-fund --loglevel=error --save-exact $TS_TOOLCHAIN)
  echo "$TS_TOOLCHAIN" > "$stamp"
}

# Compiles what a generated Go SDK imports into Go's build cache, from a module that requires
# what a consumer of that SDK requires, so compiling the consumer in a test takes seconds, not
# 2-3 minutes. Runs every time: `go build` of cached packages takes about a second, and Go trims
# its cache by itself, so a stamp could not tell that it is still warm.
warm_go_sdk_cache() {
  local module=.venv/go-sdk-warm
  need_go "the Go SDK's dependencies"
  if [ ! -f "$module/go.sum" ] || ! grep -q "sdk/v3 v$PINNED_PULUMI_VERSION\$" "$module/go.mod"; then
    say "Preparing $module, a module that imports what a generated Go SDK imports"
    mkdir -p "$module"
    printf 'module vcf-provider/go-sdk-warm\n\ngo 1.24\n\nrequire github.com/pulumi/pulumi/sdk/v3 v%s\n' \
      "$PINNED_PULUMI_VERSION" > "$module/go.mod"
    rm -f "$module/go.sum"
    printf '%s\n' '// Package warm imports what a generated Go SDK imports.' 'package warm' '' 'import (' \
      '	_ "github.com/blang/semver"' \
      '	_ "github.com/pulumi/pulumi/sdk/v3/go/pulumi"' \
      '	_ "github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"' \
      '	_ "github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"' ')' > "$module/warm.go"
    (cd "$module" && go mod tidy)
  fi
  say "Compiling the Go SDK's dependencies into Go's build cache (a second if cached, else 2-3 minutes)"
  (cd "$module" && go build ./...)
}

setup_python
setup_engine
setup_yaml_host
setup_sdkgen
setup_ts_toolchain
warm_go_sdk_cache
say "Ready. Put $PULUMI_BIN_DIR on PATH to use this pulumi yourself; make targets do it for you."
