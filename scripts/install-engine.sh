#!/usr/bin/env bash
# Install the Pulumi engine that the demo and the engine tests run: the pulumi CLI, the
# Python language host, and the two scripts the official CLI archive ships beside them.
#
# Result: .tools/engine/bin/ contains pulumi, pulumi-language-python,
# pulumi-language-python-exec and pulumi-resource-pulumi-python (the host of dynamic
# providers). A pulumi already on PATH at PULUMI_MIN_VERSION or newer, with its language
# host beside it, is linked there instead of building anything. Otherwise both binaries are
# built from the Go module proxy. The first build takes about 10 minutes on 2 cores, and
# later runs find the stamp file and return at once.
set -euo pipefail

PULUMI_VERSION="3.276.0"
PULUMI_MIN_VERSION="3.150.0"
# Since v3.80 the language host is a module of its own without release tags
# (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3). When the proxy
# will not serve it at the release commit, the host is built from the last sdk/v3
# release that still carried it. It speaks the same language-host protocol, and the
# scripts below come from PULUMI_VERSION, so the program runs on the pinned Python SDK.
FALLBACK_LANGUAGE_HOST_SDK_VERSION="3.79.0"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
engine_dir="${ENGINE_DIR:-$root/.tools/engine}"
bin_dir="$engine_dir/bin"
build_dir="$engine_dir/build"
stamp="$bin_dir/.installed"

log() { printf '[engine] %s\n' "$*" >&2; }
fail() { printf '[engine] error: %s\n' "$*" >&2; exit 1; }

version_at_least() {
    # True when dotted version $1 >= $2.
    [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]
}

want_stamp="pulumi=$PULUMI_VERSION min=$PULUMI_MIN_VERSION host-fallback=$FALLBACK_LANGUAGE_HOST_SDK_VERSION"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want_stamp" ] \
    && "$bin_dir/pulumi" version >/dev/null 2>&1 \
    && [ -x "$bin_dir/pulumi-language-python" ] \
    && [ -x "$bin_dir/pulumi-resource-pulumi-python" ]; then
    log "ready: $("$bin_dir/pulumi" version) in $bin_dir"
    exit 0
fi

rm -rf "$bin_dir"
mkdir -p "$bin_dir" "$build_dir"

# 1. A suitable pulumi on PATH: link it and its companions, build nothing.
if existing="$(command -v pulumi 2>/dev/null)" && [ "$existing" != "$bin_dir/pulumi" ]; then
    existing_version="$("$existing" version 2>/dev/null | sed 's/^v//')" || existing_version=""
    existing_dir="$(dirname "$(readlink -f "$existing")")"
    if [ -n "$existing_version" ] && version_at_least "$existing_version" "$PULUMI_MIN_VERSION" \
        && [ -x "$existing_dir/pulumi-language-python" ] \
        && [ -x "$existing_dir/pulumi-resource-pulumi-python" ]; then
        log "using pulumi v$existing_version from $existing_dir"
        for tool in pulumi pulumi-language-python pulumi-language-python-exec pulumi-resource-pulumi-python; do
            [ -e "$existing_dir/$tool" ] && ln -sf "$existing_dir/$tool" "$bin_dir/$tool"
        done
        printf '%s\n' "$want_stamp" >"$stamp"
        exit 0
    fi
    log "pulumi on PATH ($existing, version '${existing_version:-unknown}') is older than v$PULUMI_MIN_VERSION or lacks the Python language host; building v$PULUMI_VERSION"
fi

command -v go >/dev/null 2>&1 || fail "no pulumi v$PULUMI_MIN_VERSION+ on PATH and no Go toolchain to build one; install Go 1.26+ or the pulumi CLI"

export GOFLAGS="-mod=mod"
version_pkg="github.com/pulumi/pulumi/sdk/v3/go/common/version.Version"

# 2. The pulumi CLI, built inside a throwaway wrapper module. The replace directives of
# pkg/v3's own go.mod do not apply to a dependency, so the sdk is required at the same
# version and the one non-local replace is repeated here.
cli_dir="$build_dir/cli"
rm -rf "$cli_dir" && mkdir -p "$cli_dir"
cat >"$cli_dir/go.mod" <<EOF
module pulumi-cli-build

go 1.26

require (
	github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION
)

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
EOF
cat >"$cli_dir/tools.go" <<'EOF'
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
EOF
log "building pulumi v$PULUMI_VERSION from the Go module proxy (about 10 minutes on 2 cores the first time)"
start=$SECONDS
(
    cd "$cli_dir"
    go mod tidy
    go build -ldflags "-X $version_pkg=v$PULUMI_VERSION" -o "$bin_dir/pulumi" \
        github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
) || fail "building the pulumi CLI failed; the command was: (cd $cli_dir && go mod tidy && go build github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)"
log "built $("$bin_dir/pulumi" version) in $((SECONDS - start)) s"

# 3. The Python language host. First the module at the release commit, as a pseudo-version;
# the proxy states that commit as Origin.Hash only for some releases.
host_dir="$build_dir/language-host"
rm -rf "$host_dir" && mkdir -p "$host_dir"
sdk_info="$(cd "$host_dir" && go mod download -json "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION")"
sdk_source="$(printf '%s' "$sdk_info" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
release_commit="$(printf '%s' "$sdk_info" | sed -n 's/.*"Hash": "\([0-9a-f]\{40\}\)".*/\1/p')"
host_built=""
if [ -n "$release_commit" ]; then
    host_module="github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3"
    log "building the Python language host at commit ${release_commit:0:12}"
    cat >"$host_dir/go.mod" <<'EOF'
module pulumi-language-host-build

go 1.26
EOF
    if (cd "$host_dir" && go get "$host_module@$release_commit" \
        && go build -ldflags "-X $version_pkg=v$PULUMI_VERSION" \
            -o "$bin_dir/pulumi-language-python" "$host_module"); then
        host_built="v$PULUMI_VERSION"
    else
        log "the proxy did not serve $host_module@$release_commit"
    fi
else
    log "the proxy names no commit for sdk/v3@v$PULUMI_VERSION, so the language host module cannot be pinned to it"
fi

if [ -z "$host_built" ]; then
    log "building the Python language host from sdk/v3@v$FALLBACK_LANGUAGE_HOST_SDK_VERSION (about 2 minutes)"
    rm -rf "$host_dir" && mkdir -p "$host_dir"
    cat >"$host_dir/go.mod" <<EOF
module pulumi-language-host-build

go 1.26

require github.com/pulumi/pulumi/sdk/v3 v$FALLBACK_LANGUAGE_HOST_SDK_VERSION
EOF
    cat >"$host_dir/tools.go" <<'EOF'
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python"
EOF
    (
        cd "$host_dir"
        go mod tidy
        go build -ldflags "-X $version_pkg=v$FALLBACK_LANGUAGE_HOST_SDK_VERSION" \
            -o "$bin_dir/pulumi-language-python" \
            github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python
    ) || fail "building the Python language host failed; the command was: (cd $host_dir && go build github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python)"
    host_built="v$FALLBACK_LANGUAGE_HOST_SDK_VERSION"
fi
log "built pulumi-language-python $host_built"

# 4. The two scripts the CLI archive ships beside the binaries: the program launcher and
# the dynamic-provider host. They are plain files in the sdk/v3 module of the release.
[ -n "$sdk_source" ] && [ -d "$sdk_source/python" ] || fail "sdk/v3@v$PULUMI_VERSION is not in the Go module cache"
install -m 0755 "$sdk_source/python/cmd/pulumi-language-python-exec" "$bin_dir/"
install -m 0755 "$sdk_source/python/dist/pulumi-resource-pulumi-python" "$bin_dir/"

printf '%s\n' "$want_stamp" >"$stamp"
log "ready: $("$bin_dir/pulumi" version) in $bin_dir"
