# Shared helpers for script tests (sourced). Every assertion prints what it expected
# and what it got, and fails the test at once.
set -euo pipefail

: "${KATA_SOURCE_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${KATA_BUILD_DIR:=$KATA_SOURCE_DIR/build}"
: "${KATA_BIN:=$KATA_BUILD_DIR/bin}"
export KATA_SOURCE_DIR KATA_BUILD_DIR KATA_BIN

TEST_NAME=$(basename "${0%.sh}")
_checks=0

fail() {
        echo "FAIL [$TEST_NAME]: $*" >&2
        exit 1
}

pass() {
        _checks=$((_checks + 1))
}

assert_eq() { # expected actual what
        [ "$1" = "$2" ] || fail "${3:-value}: expected '$1', got '$2'"
        pass
}

assert_ne() {
        [ "$1" != "$2" ] || fail "${3:-value}: expected something other than '$1'"
        pass
}

assert_contains() { # haystack needle what
        case "$1" in
        *"$2"*) pass ;;
        *) fail "${3:-output} does not contain '$2'. It was:
$1" ;;
        esac
}

assert_not_contains() {
        case "$1" in
        *"$2"*) fail "${3:-output} contains '$2'. It was:
$1" ;;
        *) pass ;;
        esac
}

assert_status() { # expected-status command...
        local want=$1
        shift
        local got=0
        "$@" >/dev/null 2>&1 || got=$?
        [ "$got" = "$want" ] || fail "'$*' exited $got, expected $want"
        pass
}

require_root() {
        if [ "$(id -u)" != 0 ]; then
                echo "SKIP [$TEST_NAME]: needs root"
                exit 77
        fi
}

# Makes a scratch directory removed at exit; prints its path.
scratch_dir() {
        local d
        d=$(mktemp -d "/tmp/kata-test-$TEST_NAME-XXXXXX")
        echo "$d"
}

finish() {
        echo "ok [$TEST_NAME]: $_checks checks passed"
}
