#!/usr/bin/env bash
# kata-ctl env: JSON and TOML carry the same report, the configuration in use is the
# one given (--config, then $KATA_CONF_FILE), bad configurations fail with file:line,
# and component versions come from the binaries next to kata-ctl.
source "$KATA_SOURCE_DIR/tests/lib.sh"

KATA_CTL=$KATA_BIN/kata-ctl
dir=$(scratch_dir)
trap 'rm -rf "$dir"' EXIT

cat >"$dir/qemu.toml" <<'TOML'
# fixture for test_env.sh
[hypervisor.qemu]
path = "/nonexistent/qemu-system-x86_64"
kernel = "/opt/kata/vmlinuz"
default_vcpus = 3
default_memory = 768
kernel_params = "console=hvc0 \"quoted\""
use_vhost_vsock = true
not_a_key = 1

[agent.kata]
enable_tracing = true
kernel_modules = ["vsock", "9p"]

[runtime]
internetworking_model = "none"
state_root = "/tmp/kata-env-test"
TOML

# Python reads the report and prints one "name=value" per assertion we make below.
summarize='
import json, sys
r = json.load(sys.stdin)
print("sections=" + ",".join(sorted(r)))
print("host=" + ",".join(sorted(k for k in r["host"] if k in ("arch","kernel_release","cpu","kvm","cgroups","systemd","distro","memory"))))
print("kvm_probe_set=" + str(bool(r["host"]["kvm"]["probe"])))
print("memory_total_positive=" + str(r["host"]["memory"]["total_kib"] > 0))
c = r["config"]
print("config_path=" + c.get("path", ""))
print("config_source=" + c.get("source", ""))
print("warnings=" + " | ".join(c.get("warnings", [])))
h = r.get("hypervisor", {})
print("hv=%s vcpus=%s mem=%s vsock=%s params=%s" % (h.get("name"), h.get("default_vcpus"), h.get("default_memory_mib"), h.get("use_vhost_vsock"), h.get("kernel_params")))
print("hv_version=%s" % h.get("version"))
a = r.get("agent", {})
print("agent_tracing=%s modules=%s" % (a.get("enable_tracing"), ",".join(a.get("kernel_modules", []))))
rt = r.get("runtime", {})
print("runtime_model=%s root=%s" % (rt.get("internetworking_model"), rt.get("state_root")))
for name in ("kata-ctl", "kata-runtime", "kata-agent", "kata-trace-forwarder"):
    comp = r["components"][name]
    print("component %s found=%s version=%s" % (name, comp["found"], comp["version"]))
'

out=$("$KATA_CTL" env --json --config "$dir/qemu.toml" 2>"$dir/stderr")
summary=$(python3 -c "$summarize" <<<"$out")
assert_contains "$summary" "sections=agent,components,config,host,hypervisor,meta,runtime" "sections"
assert_contains "$summary" "host=arch,cgroups,cpu,distro,kernel_release,kvm,memory,systemd" "host keys"
assert_contains "$summary" "kvm_probe_set=True" "kvm probe"
assert_contains "$summary" "memory_total_positive=True" "memory"
assert_contains "$summary" "config_path=$dir/qemu.toml" "config path"
assert_contains "$summary" "config_source=explicit" "config source"
assert_contains "$summary" "warnings=$dir/qemu.toml:9: not_a_key: unknown key in [hypervisor.qemu], ignored" "warnings"
assert_contains "$(cat "$dir/stderr")" "warning: $dir/qemu.toml:9: not_a_key" "stderr warning"
assert_contains "$summary" 'hv=qemu vcpus=3 mem=768 vsock=True params=console=hvc0 "quoted"' "hypervisor"
assert_contains "$summary" "hv_version=not found" "missing hypervisor binary"
assert_contains "$summary" "agent_tracing=True modules=vsock,9p" "agent"
assert_contains "$summary" "runtime_model=none root=/tmp/kata-env-test" "runtime"
assert_contains "$summary" "component kata-ctl found=True version=kata-ctl " "kata-ctl version"

# TOML (the default) is valid TOML and holds the same data as the JSON (minus nulls,
# which TOML cannot express).
toml=$("$KATA_CTL" env --config "$dir/qemu.toml" 2>/dev/null)
assert_contains "$toml" "[hypervisor]" "toml"
same=$(python3 -c '
import json, sys, tomllib
def strip(v):
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items() if x is not None}
    if isinstance(v, list):
        return [strip(x) for x in v]
    return v
j = strip(json.loads(sys.argv[1])); t = tomllib.loads(sys.argv[2])
# Free memory changes between the two runs.
for d in (j, t):
    d["host"].pop("memory", None)
print("same" if j == t else "differ:\n%s\n%s" % (j, t))
' "$out" "$toml")
assert_eq "same" "$same" "TOML vs JSON"

# $KATA_CONF_FILE is used when there is no --config.
src=$(KATA_CONF_FILE="$dir/qemu.toml" "$KATA_CTL" env --json 2>/dev/null |
        python3 -c 'import json,sys; c=json.load(sys.stdin)["config"]; print(c["source"], c["path"])')
assert_eq "env $dir/qemu.toml" "$src" "KATA_CONF_FILE"

# A bad value: exit 1, the report still printed with the error, stderr names file:line.
printf '[hypervisor.local]\n\ndefault_vcpus = "two"\n' >"$dir/bad.toml"
rc=0
out=$("$KATA_CTL" env --json --config "$dir/bad.toml" 2>"$dir/stderr") || rc=$?
assert_eq 1 "$rc" "exit status with a bad configuration"
err=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["config"]["error"])' <<<"$out")
assert_eq "$dir/bad.toml:3: default_vcpus: expected an integer near '\"two\"'" "$err" "config.error"
assert_contains "$(cat "$dir/stderr")" "error: $dir/bad.toml:3: default_vcpus" "stderr error"

# A missing --config file is an error, not a silent fall-back to defaults.
rc=0
"$KATA_CTL" env --config "$dir/missing.toml" >/dev/null 2>"$dir/stderr" || rc=$?
assert_eq 1 "$rc" "exit status with a missing configuration"
assert_contains "$(cat "$dir/stderr")" "cannot open $dir/missing.toml" "missing file"

# Host facts come from libkata-check, so a fixture host (--host-root) is reported as
# that host: here the PVM machine and an arm64 one.
hostline='import json,sys; h=json.load(sys.stdin)["host"]; print(h["arch"], h["kvm"]["flavour"], h["cgroups"]["layout"], h["distro"]["name"])'
fixtures=$KATA_SOURCE_DIR/tests/fixtures/hosts
got=$("$KATA_CTL" env --json --host-root "$fixtures/pvm-host" 2>/dev/null | python3 -c "$hostline")
assert_eq "x86_64 kvm_pvm hybrid unknown" "$got" "pvm-host fixture"
got=$("$KATA_CTL" env --json --host-root "$fixtures/arm64" 2>/dev/null | python3 -c "$hostline")
assert_contains "$got" "aarch64 kvm_arm64" "arm64 fixture"
rc=0
"$KATA_CTL" env --host-root "$dir/no-such-host" >/dev/null 2>"$dir/stderr" || rc=$?
assert_eq 1 "$rc" "exit status with a bad host root"
assert_contains "$(cat "$dir/stderr")" "host root $dir/no-such-host" "bad host root"

# Usage errors exit 2; --help exits 0.
assert_status 2 "$KATA_CTL" env --no-such-flag
assert_status 2 "$KATA_CTL" env extra-argument
assert_status 0 "$KATA_CTL" env --help

# Components next to kata-ctl: one answers --version, one never answers (killed after
# the deadline), one is missing.
mkdir "$dir/bin"
cp "$KATA_CTL" "$dir/bin/kata-ctl"
printf '#!/bin/sh\necho "kata-runtime 9.8.7 (fake)"\n' >"$dir/bin/kata-runtime"
printf '#!/bin/sh\nexec sleep 30\n' >"$dir/bin/kata-agent"
chmod +x "$dir/bin/kata-runtime" "$dir/bin/kata-agent"
summary=$("$dir/bin/kata-ctl" env --json --config "$dir/qemu.toml" 2>/dev/null | python3 -c "$summarize")
assert_contains "$summary" "component kata-runtime found=True version=kata-runtime 9.8.7 (fake)" "fake runtime"
assert_contains "$summary" "component kata-agent found=True version=unknown (no --version output)" "hanging agent"
assert_contains "$summary" "component kata-trace-forwarder found=False version=not found" "missing forwarder"

finish
