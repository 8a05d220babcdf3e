#!/usr/bin/env bash
# Builds an OCI bundle for tests: a busybox-static rootfs and a `runc spec`-style
# config.json with process.terminal false.
#
#   make-bundle.sh [options] DIR [-- ARGS...]
#     --cgroups-path P   linux.cgroupsPath (e.g. system.slice:kata:c1)
#     --memory BYTES     linux.resources.memory.limit
#     --pids N           linux.resources.pids.limit
#     --cpu-shares N     linux.resources.cpu.shares
#     --hostname H       hostname (default: runc's)
#     --env KEY=VALUE    extra process.env entry (repeatable)
#     --cwd DIR          process.cwd
#     --rw               writable rootfs (root.readonly false)
#   ARGS after `--` become process.args (default: sh).
# Needs busybox (Debian's busybox-static), runc (for `runc spec`) and jq.
set -euo pipefail

usage() { # exit-status
        sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&"$(( ${1:-2} == 0 ? 1 : 2 ))"
        exit "${1:-2}"
}

cgroups_path="" memory="" pids="" shares="" hostname="" cwd="" rw=false
envs=()
while [ $# -gt 0 ]; do
        case "$1" in
        --cgroups-path) cgroups_path=$2; shift 2 ;;
        --memory) memory=$2; shift 2 ;;
        --pids) pids=$2; shift 2 ;;
        --cpu-shares) shares=$2; shift 2 ;;
        --hostname) hostname=$2; shift 2 ;;
        --env) envs+=("$2"); shift 2 ;;
        --cwd) cwd=$2; shift 2 ;;
        --rw) rw=true; shift ;;
        -h|--help) usage 0 ;;
        --) break ;;
        -*) echo "make-bundle.sh: unknown option $1" >&2; usage ;;
        *) break ;;
        esac
done
[ $# -ge 1 ] || usage
dir=$1
shift
[ "${1:-}" = "--" ] && shift
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(sh)

for n in "$memory" "$pids" "$shares"; do
        [ -z "$n" ] || [[ "$n" =~ ^-?[0-9]+$ ]] || { echo "make-bundle.sh: not a number: $n" >&2; exit 2; }
done

busybox=$(command -v busybox) || { echo "make-bundle.sh: busybox not found (apt-get install busybox-static)" >&2; exit 1; }
if ldd "$busybox" >/dev/null 2>&1; then
        echo "make-bundle.sh: $busybox is not static (apt-get install busybox-static)" >&2
        exit 1
fi

mkdir -p "$dir/rootfs"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,etc,root,run}
cp "$busybox" "$dir/rootfs/bin/busybox"
# One hard link per applet, so `sh`, `sleep`, `cat`... exist without /bin/busybox --install.
for applet in $("$busybox" --list); do
        [ -e "$dir/rootfs/bin/$applet" ] || ln "$dir/rootfs/bin/busybox" "$dir/rootfs/bin/$applet"
done
chmod 1777 "$dir/rootfs/tmp"
echo "root:x:0:0:root:/root:/bin/sh" >"$dir/rootfs/etc/passwd"
echo "root:x:0:" >"$dir/rootfs/etc/group"

spec_dir=$(mktemp -d)
trap 'rm -rf "$spec_dir"' EXIT
(cd "$spec_dir" && runc spec)

args_json=$(printf '%s\n' "${args[@]}" | jq -R . | jq -s .)
envs_json=$(printf '%s\n' "${envs[@]+"${envs[@]}"}" | jq -R . | jq -s 'map(select(. != ""))')

jq --argjson args "$args_json" --argjson envs "$envs_json" \
        --arg cgroups_path "$cgroups_path" --arg memory "$memory" --arg pids "$pids" \
        --arg shares "$shares" --arg hostname "$hostname" --arg cwd "$cwd" --argjson rw "$rw" '
        .process.terminal = false
        | .process.args = $args
        | .process.env += $envs
        | .root.readonly = ($rw | not)
        | if $cwd != "" then .process.cwd = $cwd else . end
        | if $hostname != "" then .hostname = $hostname else . end
        | if $cgroups_path != "" then .linux.cgroupsPath = $cgroups_path else . end
        | if $memory != "" then .linux.resources.memory.limit = ($memory | tonumber) else . end
        | if $pids != "" then .linux.resources.pids.limit = ($pids | tonumber) else . end
        | if $shares != "" then .linux.resources.cpu.shares = ($shares | tonumber) else . end
        ' "$spec_dir/config.json" >"$dir/config.json"
echo "$dir"
