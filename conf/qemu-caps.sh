#!/bin/sh
# qemu-caps.sh QEMU-COMMAND...: asks that QEMU what it offers and prints
# make assignments (conf/qemu.mk includes them, cached under obj/):
#   QEMU_VERSION       its version
#   QEMU_Q35_MAX_CPUS  the largest -smp its q35 machine takes (query-machines)
#   QEMU_TCG_X2APIC    yes if TCG gives a CPU model x2APIC when asked for it
# Nothing is inferred from the version number.
set -u

qmp() {
	# QMP commands on stdin, one reply per line on stdout.
	timeout 30 "$@" -display none -nodefaults -qmp stdio 2>"$tmp.err"
}

tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp.err"' EXIT

version=$("$@" --version 2>/dev/null | sed -n 's/^QEMU emulator version \([0-9][0-9.]*\).*/\1/p')
if [ -z "$version" ]; then
	echo "qemu-caps.sh: '$*' does not run as a QEMU (--version gave no version)" >&2
	exit 1
fi

printf '%s\n' '{"execute":"qmp_capabilities"}' '{"execute":"query-machines"}' \
	'{"execute":"quit"}' | qmp "$@" -machine none >"$tmp"
max=$(/usr/bin/python3 -c '
import json, sys
for line in open(sys.argv[1]):
    try:
        reply = json.loads(line)
    except ValueError:
        continue
    for m in reply.get("return", []) if isinstance(reply.get("return"), list) else []:
        if m.get("alias") == "q35" or m.get("name") == "q35":
            print(m["cpu-max"])
            break
' "$tmp")

# TCG drops features it cannot emulate, with a warning naming them.
printf '%s\n' '{"execute":"qmp_capabilities"}' '{"execute":"quit"}' |
	qmp "$@" -machine q35 -accel tcg -cpu qemu64,+x2apic -S >/dev/null
if grep -qi "x2apic" "$tmp.err"; then x2apic=no; else x2apic=yes; fi

echo "QEMU_VERSION := $version"
echo "QEMU_Q35_MAX_CPUS := ${max:-255}"
echo "QEMU_TCG_X2APIC := $x2apic"
