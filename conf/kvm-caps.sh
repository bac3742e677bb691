#!/bin/sh
# kvm-caps.sh kind
#     Which KVM this host has, on one line: hardware, paravirtual or none
#     (make's KVM_KIND), then what that was read from (KVM_KIND_WHY).
#     hardware: /dev/kvm, and the CPU shows vmx or svm. paravirtual: /dev/kvm
#     without them, as on a nested host whose KVM is PVM (the kvm_pvm
#     module): its instruction emulator runs the guest's kernel code, about
#     15 times slower than TCG, and knows fewer instructions (no clac, stac).
# kvm-caps.sh drop MODEL QEMU-COMMAND...
#     KVM_CPU_DROP: the features of CPU model MODEL this host's KVM cannot give
#     (",-pni" ...), so that a KVM boot asks for none of them: QEMU would
#     warn about each on every CPU of every boot.
# kvm-caps.sh speed KERNEL QBOOT MODEL QEMU-COMMAND...
#     KVM_BOOT_MS, TCG_BOOT_MS: milliseconds from launch to exit of one short
#     boot (1 CPU, 64M, the kernel up to its exitat=smp exit) under KVM with
#     CPU model MODEL, and under TCG with qemu64 (MODEL may name features
#     only KVM gives); "timeout" where a boot did not end within 60 s.
# The KVM_DEV, KVM_MODULE_DIR and KVM_CPUINFO environment variables stand
# in for /dev/kvm, /sys/module and /proc/cpuinfo (tests).
set -u

dev=${KVM_DEV:-/dev/kvm}
modules=${KVM_MODULE_DIR:-/sys/module}
cpuinfo=${KVM_CPUINFO:-/proc/cpuinfo}

kind() {
	if ! [ -r "$dev" ] || ! [ -w "$dev" ]; then
		if [ -e "$dev" ]; then
			echo "none $dev is there, but you may not use it (add yourself to the kvm group)"
		else
			echo "none this machine has no $dev"
		fi
	elif [ -d "$modules/kvm_pvm" ]; then
		echo "paravirtual $dev is PVM, KVM without hardware virtualization ($modules/kvm_pvm)"
	elif grep -qwE 'vmx|svm' "$cpuinfo" 2>/dev/null; then
		echo "hardware $dev, and the CPU has $(grep -owE 'vmx|svm' "$cpuinfo" | head -1)"
	else
		echo "paravirtual $dev, but the CPU shows neither vmx nor svm: KVM without hardware virtualization"
	fi
}

drop() {
	model=$1
	shift
	# QEMU names each feature it cannot give when it creates the CPU:
	#   warning: host doesn't support requested feature: CPUID.01H:ECX.pni [bit 0]
	features=$(printf '%s\n' '{"execute":"qmp_capabilities"}' '{"execute":"quit"}' |
		timeout 30 "$@" -machine q35,smm=off -accel kvm -cpu "$model" -S -display none -nodefaults \
			-qmp stdio 2>&1 >/dev/null |
		sed -n "s/.*host doesn't support requested feature: [^ ]*\.\([A-Za-z0-9_-]*\) \[bit.*/\1/p" |
		sort -u)
	out=""
	for f in $features; do
		out="$out,-$f"
	done
	echo "KVM_CPU_DROP := $out"
}

# ms ACCEL MODEL QEMU...: one short boot's wall time, or "timeout".
ms() {
	accel=$1
	model=$2
	shift 2
	start=$(date +%s%N)
	timeout 60 "$@" -machine q35,smm=off -accel "$accel" -cpu "$model" -m 64M -smp 1 -display none \
		-nodefaults -no-reboot -serial null -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-bios "$qboot" -kernel "$kernel" -append "monitor=off exitat=smp" >/dev/null 2>&1
	status=$?
	end=$(date +%s%N)
	if [ "$status" = 124 ]; then
		echo timeout
	else
		echo $(((end - start) / 1000000))
	fi
}

speed() {
	kernel=$1
	qboot=$2
	model=$3
	shift 3
	echo "KVM_BOOT_MS := $(ms kvm "$model" "$@")"
	echo "TCG_BOOT_MS := $(ms tcg qemu64 "$@")"
}

what=${1:-}
[ $# -gt 0 ] && shift
case "$what" in
kind) kind ;;
drop) drop "$@" ;;
speed) speed "$@" ;;
*)
	echo "usage: kvm-caps.sh kind | drop MODEL QEMU... | speed KERNEL QBOOT MODEL QEMU..." >&2
	exit 2 ;;
esac
