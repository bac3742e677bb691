#!/usr/bin/python3
"""Captures firmware-table fixtures for the host tests.

Boots the kernel with tabledump=on in each configuration below (through the
graders' QEMU harness) and writes what its parsers read to
host/fixtures/<name>.dump. Run it with `make fixtures`; the fixtures are
committed, so the host tests need no QEMU. KVM configurations are skipped
(with a note) where /dev/kvm is missing.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "grade"))
import harness  # noqa: E402

# name: (what it shows, harness.Boot fields)
CONFIGS = {
    "qboot-q35-smp4": ("PVH boot info, qboot's ACPI 1.0 RSDT and MADT, 4 CPUs",
                       dict(boot="direct", cpus=4)),
    "qboot-q35-sockets2-cores3": ("-smp 6,sockets=2,cores=3: APIC IDs 0 1 2 4 5 6",
                                  dict(boot="direct", cpus=6, smpopts="sockets=2,cores=3")),
    "qboot-q35-maxcpus4": ("-smp 2,maxcpus=4: two MADT entries without the Enabled flag",
                           dict(boot="direct", cpus=2, smpopts="maxcpus=4")),
    "qboot-q35-mem6g": ("-m 6G: usable RAM above the 4 GiB hole", dict(boot="direct", cpus=2,
                                                                       mem="6G")),
    "qboot-noacpi": ("-machine acpi=off: no ACPI, and qboot builds no MP table",
                     dict(boot="direct", cpus=4, qemu_extra=["-machine", "acpi=off"])),
    "grub-seabios-smp4": ("multiboot2 boot info, SeaBIOS's ACPI and its MP table (one CPU "
                          "listed for -smp 4, as QEMU >= 6.2 builds it)",
                          dict(boot="grub", cpus=4)),
    "grub-ovmf-smp4": ("multiboot2 under UEFI (OVMF): the EFI memory map, a framebuffer, the "
                       "XSDT", dict(boot="grub", firmware="uefi", cpus=4, timeout=120)),
    "kvm-q35-smp260": ("260 CPUs under KVM: x2APIC MADT entries (type 9) for IDs above 254",
                       dict(boot="direct", cpus=260, kvm=True, mem="64M", timeout=600)),
}


def capture(name, desc, fields):
    kargs = "monitor=off tabledump=on run=hello"
    r = harness.run("capture-" + name, kargs=kargs, **fields)
    lines = [l[len("tabledump: "):] for l in r.lines if l.startswith("tabledump: ")]
    if not any(l.startswith("end firmware") for l in lines):
        raise SystemExit(r.explain("no complete table dump for %s" % name))
    vars_ = " ".join(v for v in harness.Boot(kargs=kargs, **fields).make_vars()
                     if not v.endswith("="))
    path = os.path.join(HERE, "fixtures", name + ".dump")
    with open(path, "w") as f:
        f.write("# %s\n# captured by host/capture.py: make %s%s\n" % (
            desc, vars_, " QEMU " + " ".join(fields["qemu_extra"])
            if fields.get("qemu_extra") else ""))
        f.write("\n".join(lines) + "\n")
    print("wrote %s (%d lines)" % (os.path.relpath(path), len(lines)))


def main():
    harness.make("all")
    wanted = sys.argv[1:] or list(CONFIGS)
    for name in wanted:
        desc, fields = CONFIGS[name]
        if fields.get("kvm") and not harness.kvm_available():
            print("skipping %s: /dev/kvm is missing or not writable" % name)
            continue
        capture(name, desc, fields)


if __name__ == "__main__":
    main()
