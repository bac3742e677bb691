"""JOS's lab 5 graders (MIT's 2018 grade-lab5): the file-system server's
self-test, testfile, spawn, I/O protection, PTE_SHARE, the shell started
by icode, testshell and primespipe, with JOS's names, points (150 in all)
and lines. As in JOS, each program runs once and the tests under it read
the same output. Env IDs are JOS's: the file-system server is the first
environment (00001000), the program the second.

After them, what JOS never checked: clients on several CPUs at once, the
disk image checked on the host afterwards (fsck, and grade/fsimage.py,
which reads the format with code of its own), a shell session typed on the
serial console, and damaged, full and missing disks."""

import functools
import re
import shutil
import subprocess

import pytest

import fsimage
import harness
import shellmodel
from labdeps import (FS_READS, FS_WRITES, cow, envs, fs_cache, fs_io, fs_mount, fs_selftest,
                     fs_serves, mark, shares, spawns)

# The tests after JOS's: their own part in make grade's report.
pytestmark = [pytest.mark.lab(5), pytest.mark.part("lab 5 beyond JOS")]


def jos(points):
    """A JOS grader, worth `points`."""
    def mark_it(test):
        return pytest.mark.points(points)(pytest.mark.part("Part 5 (JOS lab 5)")(test))
    return mark_it


def fs_run(name, progs, cpus=1, extra_kargs="", timeout=90, **kw):
    """Boots with these programs (the file-system server starts first when
    they use it), on a copy of the disk image make built unless `disk`
    says otherwise, until the kernel exits."""
    kargs = ("monitor=off run=%s %s" % (progs, extra_kargs)).strip()
    return harness.run("lab5-" + name, cpus=cpus, kargs=kargs, timeout=timeout, **kw)


def ended_cleanly(r):
    """The run ended with the kernel's pass status, and no environment and
    no kernel panicked."""
    r.expect_pass()
    r.expect_absent(r"kernel panic", r"user panic")
    return r


def match(r, *patterns, no=()):
    """JOS's r.match: each pattern matches some whole line; none of the
    `no` ones does."""
    r.expect(*["^%s$" % p for p in patterns])
    if no:
        r.expect_absent(*["^%s$" % p for p in no])


# ---------------------------------------------------------------------------
# The file-system server's self-test: JOS runs hello, with the server.

@functools.lru_cache(maxsize=None)
def fs_hello():
    return fs_run("fs", "hello", extra_kargs="fs=test")


@jos(5)
@mark(fs_selftest() + ["ipc"])
def test_internal_fs_tests():
    """internal FS tests [fs/test.c]"""
    ended_cleanly(fs_hello())


@jos(5)
@mark(fs_io())
def test_fs_io():
    match(fs_hello(), "FS can do I/O")


@jos(5)
@mark(fs_cache())
def test_check_bc():
    match(fs_hello(), "block cache is good")


@jos(5)
@mark(fs_cache())
def test_check_super():
    match(fs_hello(), "superblock is good")


@jos(5)
@mark(fs_cache())
def test_check_bitmap():
    match(fs_hello(), "bitmap is good")


@jos(5)
@mark(fs_cache() + ["alloc_block"])
def test_alloc_block():
    match(fs_hello(), "alloc_block is good")


@jos(5)
@mark(fs_selftest(upto="file_block_walk"))
def test_file_open():
    match(fs_hello(), "file_open is good")


@jos(5)
@mark(fs_selftest())
def test_file_get_block():
    match(fs_hello(), "file_get_block is good")


@jos(5)
@mark(fs_selftest())
def test_file_flush_file_truncate_file_rewrite():
    match(fs_hello(), "file_flush is good", "file_truncate is good", "file rewrite is good")


# ---------------------------------------------------------------------------
# testfile: the server's requests by hand, then through the fd layer.

@functools.lru_cache(maxsize=None)
def run_testfile():
    return fs_run("testfile", "testfile", disk=fsimage.copy_image("lab5-testfile"))


@jos(10)
@mark(fs_serves() + FS_READS + FS_WRITES)
def test_testfile():
    ended_cleanly(run_testfile())


@jos(5)
@mark(fs_serves() + FS_READS)
def test_serve_open_file_stat_file_close():
    match(run_testfile(), "serve_open is good", "file_stat is good", "file_close is good",
          "stale fileid is good")


@jos(5)
@mark(fs_serves() + FS_READS)
def test_file_read():
    match(run_testfile(), "file_read is good")


@jos(5)
@mark(fs_serves() + FS_READS + FS_WRITES)
def test_file_write():
    match(run_testfile(), "file_write is good")


@jos(5)
@mark(fs_serves() + FS_READS + FS_WRITES)
def test_file_read_after_file_write():
    match(run_testfile(), "file_read after file_write is good")


@jos(5)
@mark(fs_serves() + FS_READS + FS_WRITES)
def test_open():
    match(run_testfile(), "open is good")


@jos(5)
@mark(fs_serves() + FS_READS + FS_WRITES)
def test_large_file():
    match(run_testfile(), "large file is good")


# ---------------------------------------------------------------------------
# spawn, I/O protection, PTE_SHARE, the shell.

@jos(10)
@mark(spawns())
def test_spawnhello():
    """spawn via spawnhello"""
    r = fs_run("spawnhello", "spawnhello")
    ended_cleanly(r)
    match(r, "i am parent environment 00001001", "hello, world", "i am environment 00001002",
          "No runnable environments in the system!")


@jos(5)
@mark(spawns())
def test_spawnfaultio():
    """Protection I/O space"""
    r = fs_run("spawnfaultio", "spawnfaultio")
    r.expect_pass()
    # JOS's 'TRAP': the trap frame of faultio's general protection fault.
    match(r, r"\[00001002\] user General Protection at ip 008[0-9a-f]{5}",
          r"TRAP frame at 0x[0-9a-f]{16} from CPU \d+", r"  trap 0x0000000d General Protection",
          no=[r".*made it here --- bug", "rflags wrong"])


@jos(10)
@mark(shares(spawns(forks=True)))
def test_testpteshare():
    """PTE_SHARE [testpteshare]"""
    r = fs_run("testpteshare", "testpteshare")
    match(r, "fork handles PTE_SHARE right", "spawn handles PTE_SHARE right")


@jos(5)
@mark(shares(fs_serves(forks=True) + FS_READS))
def test_testfdsharing():
    """PTE_SHARE [testfdsharing]"""
    r = fs_run("testfdsharing", "testfdsharing")
    match(r, "read in child succeeded", "read in parent succeeded")


# Lines after which a shell's prompt, or the input typed at it, can no
# longer come: the run stops there rather than at its timeout. (The shell
# that cannot read its console says so and exits, and init starts another
# one, for ever.)
SHELL_LOST = [r"^read error: ", r"user panic", r"^init: cannot start the shell",
              r"trap: console interrupt \(IRQ \d+\) dropped"]     # (after a "$ ")


def until_prompt(name, progs="icode", cpus=1, steps=(), timeout=90, **kw):
    """Boots with icode (which spawns init, which spawns the shell) and
    runs `steps` once the shell's first prompt appears; QEMU stops at the
    last step's prompt ("quit" through its monitor)."""
    steps = list(steps) + [(b"$ ", "monitor", "quit")]
    return harness.run("lab5-" + name, cpus=cpus, kargs="monitor=off run=%s" % progs,
                       steps=steps, timeout=timeout, stop_on=SHELL_LOST, **kw)


@jos(10)
@mark(shares(spawns()))
def test_icode():
    """start the shell [icode]"""
    r = until_prompt("icode")
    match(r, "icode: read /motd", "This is /motd, the message of the day.",
          "icode: spawn /init", "init: running", "init: data seems okay", "icode: exiting",
          "init: bss seems okay", "init: args: 'init' 'initarg1' 'initarg2'",
          "init: running sh", r"\$ ")


@jos(15)
@mark(shares(spawns(forks=True) + FS_WRITES + ["redirect_in"]))
def test_testshell():
    r = fs_run("testshell", "testshell", disk=fsimage.copy_image("lab5-testshell"),
               timeout=120)
    match(r, "shell ran correctly", no=["shell produced incorrect output."])


def primes_below(n):
    return [p for p in range(2, n) if all(p % d for d in range(2, int(p ** 0.5) + 1))]


def primespipe_run(name, cpus):
    # JOS stops at the first four-digit line (1009); the sieve would go on.
    r = fs_run(name, "primespipe", cpus=cpus, timeout=180, stop_on=[r"^[0-9]{4}$", r"panic"],
               exclusive=cpus > 2)
    assert r.stopped_on and re.fullmatch(r"[0-9]{4}", r.stopped_on), r.explain(
        "the sieve did not reach a four-digit prime")
    primes = primes_below(1000)
    match(r, *["%d" % p for p in primes],
          no=["%d" % n for n in range(1000) if n not in primes])
    return r


@jos(10)
@mark(shares(cow()))
def test_primespipe():
    primespipe_run("primespipe", 1)


# ---------------------------------------------------------------------------
# Beyond JOS: more CPUs.

@pytest.mark.exclusive
@mark(shares(cow(4)))
def test_primespipe_on_4_cpus():
    r = primespipe_run("primespipe-4", 4)
    # On four CPUs: the chain's processes are spread over them.
    r.expect(r"^SMP: 4 of 4 CPUs started$")
    # Each prime once, in order: the chain has one process per prime.
    found = [int(m.group(1)) for m in r.all(r"^(\d+)$")]
    assert found[:168] == primes_below(1000), r.explain("the primes are not in order")


# fsclients (user/fsclients.cc): client i's file, byte by byte.
CLIENTS = 6
REWRITE_AT, REWRITE_LEN = 5000, 3000


def client_file(i):
    size = 44000 + i * 1000
    data = bytearray(((k * 7 + i * 13 + (k >> 12)) & 0xFF) for k in range(size))
    data[REWRITE_AT:REWRITE_AT + REWRITE_LEN] = bytes([ord("A") + i]) * REWRITE_LEN
    return bytes(data)


@pytest.mark.exclusive
@pytest.mark.parametrize("cpus", [pytest.param(n, marks=mark(fs_serves(n, forks=True) + FS_READS +
                                                             FS_WRITES), id=str(n))
                                  for n in (4, 8)])
def test_clients_on_several_cpus_at_once(cpus):
    disk = fsimage.copy_image("lab5-fsclients-%d" % cpus)
    r = fs_run("fsclients-%d" % cpus, "fsclients", cpus=cpus, disk=disk, timeout=180,
               exclusive=True)
    ended_cleanly(r)
    r.expect(r"^fsclients: all %d clients done; sync: ok$" % CLIENTS)
    cpus_used = set()
    for i in range(CLIENTS):
        line = r.first(r"^fsclients: client %d \(CPUs \d+ \d+ \d+\) wrote and read back "
                       r"/client%d: \d+ bytes ok$" % (i, i))
        assert line, r.explain("client %d did not finish" % i)
        cpus_used |= set(map(int, re.search(r"CPUs (\d+) (\d+) (\d+)", line).groups()))
    assert len(cpus_used) > 1, r.explain("every client ran on CPU %s" % cpus_used)
    # Afterwards, on the host: the image checks out, and every file holds
    # what its client wrote.
    status, out = fsimage.fsck(disk)
    assert status == 0, "fsck of %s after the run:\n%s" % (disk, out)
    img = fsimage.Image(disk)
    for i in range(CLIENTS):
        assert img.read("/client%d" % i) == client_file(i), \
            "/client%d in %s does not hold what client %d wrote" % (i, disk, i)


# ---------------------------------------------------------------------------
# Beyond JOS: the disk, checked on the host after a run that wrote to it.

NEWMOTD = b"This is the NEW message of the day!\n\n"


@mark(fs_serves() + FS_READS + FS_WRITES)
def test_disk_passes_fsck_after_testfile_wrote_to_it():
    r = run_testfile()
    ended_cleanly(r)
    disk = r.boot.disk
    status, out = fsimage.fsck(disk)
    assert status == 0, "fsck of %s after testfile:\n%s" % (disk, out)
    img = fsimage.Image(disk)
    assert img.read("/newmotd") == NEWMOTD, "/newmotd changed"
    assert img.read("/new-file") == NEWMOTD, "/new-file does not hold what testfile wrote"
    # /big: 512-byte records, each starting with its own offset (int32).
    big = img.read("/big")
    assert len(big) == 3 * 10 * 4096, "/big has %d bytes" % len(big)
    for off in range(0, len(big), 512):
        rec = big[off:off + 512]
        assert rec == off.to_bytes(4, "little") + bytes(508), "/big is wrong at %d" % off


@pytest.mark.developer
def test_testshell_key_is_what_the_script_prints():
    # fs/testshell.key comes from the script and the files alone
    # (grade/shellmodel.py), never from a run of the shell it checks.
    with open(harness.ROOT + "/fs/testshell.key", "rb") as f:
        assert f.read() == shellmodel.testshell_key(), (
            "fs/testshell.key is stale: grade/shellmodel.py > fs/testshell.key")


# ---------------------------------------------------------------------------
# Beyond JOS: a shell session, typed on the serial console.

SESSION = [
    "echo hello, typed world > /typed",
    "cat /typed",
    "cat /typed /typed | num",
    "wc < lorem",
    "echo one two three | wc",
    "cat lorem | num | wc",
    "ls /typed",
]


# The kernel's own lines about environments, which come between a
# program's lines (never inside one: each of our programs writes a line at
# a time).
KERNEL_LINE = re.compile(r"^\[[0-9a-f]{8}\] (new env|exiting gracefully|free env|destroying)"
                         r".*\n", re.M)


def prompts(n):
    """A harness step condition: the shell has printed its n-th prompt."""
    return lambda out: out.count(b"$ ") >= n


def check_session(r, commands):
    """Each command echoed after a prompt, then exactly what the model of
    the shell (grade/shellmodel.py) says it prints, then the next prompt;
    the kernel's lines about environments aside."""
    log = KERNEL_LINE.sub("", r.log)
    shell = shellmodel.Shell(shellmodel.disk_files())
    pos = log.find("$ ")
    assert pos >= 0, r.explain("no shell prompt")
    for cmd in commands:
        if cmd.startswith("ls "):
            out = cmd.split()[1] + "\n"     # ls of a file prints its name
        else:
            out = shell.command(cmd).decode()
        expected = "$ %s\n%s$ " % (cmd, out)
        got = log[pos:pos + len(expected)]
        assert got == expected, r.explain("after typing %r, expected\n%s\ngot\n%s" % (
            cmd, expected, log[pos:pos + len(expected) + 200]))
        pos += len(expected) - 2


# A typed test's bound on silence: once the shell has printed its first
# prompt, output that stops for this long while the harness waits for an
# echo or a prompt means the input was lost (a console interrupt dropped),
# and the run ends then rather than at its timeout. The shell echoes a key
# within milliseconds, and a command here prints within a second or two.
STALL = 15


def typed(n, text):
    """A harness step condition: the shell has printed its n-th prompt and
    echoed `text` after it (and nothing since)."""
    want = b"$ " + text.encode()
    return lambda out: out.count(b"$ ") >= n and out.endswith(want)


def session(name, commands, cpus=1, **kw):
    """Boots into the shell (icode, init, sh) and types each command at
    its prompt as a person would: a key at a time, each once the shell has
    echoed the one before, so that every key arrives while the shell waits
    for it; then Enter (a carriage return, as a terminal sends it). QEMU
    stops at the prompt after the last command."""
    disk = fsimage.copy_image("lab5-" + name)
    steps = []
    for n, cmd in enumerate(commands):
        for k, key in enumerate(cmd + "\r"):
            steps.append((typed(n + 1, cmd[:k]), "type", key.encode()))
    steps.append((prompts(len(commands) + 1), "monitor", "quit"))
    r = harness.run("lab5-" + name, cpus=cpus, kargs="monitor=off run=icode", disk=disk,
                    steps=steps, timeout=240, stop_on=SHELL_LOST, stall=STALL, **kw)
    return r, disk


@mark(shares(spawns(forks=True) + FS_WRITES + ["redirect_in", "console_intr"]))
def test_shell_session_typed_on_the_serial_console():
    r, disk = session("session", SESSION)
    check_session(r, SESSION)
    status, out = fsimage.fsck(disk)
    assert status == 0, "fsck of %s after the session:\n%s" % (disk, out)
    assert fsimage.Image(disk).read("/typed") == b"hello, typed world\n", \
        "/typed does not hold what the session wrote"


@pytest.mark.skipif(not harness.x2apic_tcg_qemu(), reason="no QEMU here emulates x2APIC under "
                    "TCG (make fetch-qemu brings one)")
@mark(shares(spawns(2, forks=True) + FS_WRITES + ["redirect_in", "console_intr", "x2apic"]))
def test_shell_session_in_x2apic_mode():
    # The I/O APIC delivers console interrupts to the boot CPU in x2APIC
    # mode too (its 8-bit destination is the boot CPU's small APIC ID).
    commands = SESSION[:4]
    r, disk = session("session-x2apic", commands, cpus=2, qemu=harness.x2apic_tcg_qemu(),
                      x2apic="on")
    r.expect(r"^lapic: x2APIC mode \(")
    check_session(r, commands)


@mark(shares(spawns(forks=True) + ["console_intr"]))
def test_a_line_longer_than_the_input_ring_arrives_whole():
    # 3000 characters written at once, as a paste or a pipe brings them:
    # more than the kernel's console ring (512) and readline's buffer (1024)
    # hold. The UART and QEMU hold back what the ring has no room for, so
    # readline sees the line in order and keeps its first 1023 characters;
    # the rest of the line, and the line after it, are not lost or mixed up.
    long = "echo " + "x" * 2995
    steps = [(prompts(1), "type", (long + "\recho after\r").encode()),
             (prompts(3), "monitor", "quit")]
    r = harness.run("lab5-longline", kargs="monitor=off run=icode",
                    disk=fsimage.copy_image("lab5-longline"), steps=steps, timeout=120,
                    stop_on=SHELL_LOST, stall=STALL)
    log = KERNEL_LINE.sub("", r.log)
    kept = long[:1023]
    want = "$ %s\n%s\n$ echo after\nafter\n$ " % (kept, kept[len("echo "):])
    assert want in log, r.explain("expected the line cut to readline's 1023 characters, "
                                  "echoed and run, then 'echo after' run")


@mark(shares(spawns(forks=True)) + ["console_intr", "redirect_in"])
def test_a_program_run_with_its_input_redirected_holds_no_other_descriptor():
    # lsfd lists the descriptors it was started with: the file as 0, the
    # console as 1, and nothing else. The shell opened the file as another
    # descriptor, and closed that one once it moved the file to 0; one left
    # open would reach the program (spawn shares every descriptor).
    r, _ = session("redirect", ["lsfd < lorem"])
    log = KERNEL_LINE.sub("", r.log)
    size = len(shellmodel.disk_files()["lorem"])
    want = ("$ lsfd < lorem\nfd 0: name lorem isdir 0 size %d dev file\n"
            "fd 1: name <cons> isdir 0 size 0 dev cons\n$ " % size)
    assert want in log, r.explain("expected lsfd to list descriptors 0 and 1 only:\n" + want)


# ---------------------------------------------------------------------------
# Beyond JOS: the disk on every boot path, and on the second QEMU.

def boot_path_params():
    params = [pytest.param({"boot": "direct"}, id="direct"),
              pytest.param({"boot": "grub"}, id="grub"),
              pytest.param({"boot": "grub", "firmware": "uefi", "timeout": 240}, id="uefi",
                           marks=[pytest.mark.developer, pytest.mark.slow])]
    if harness.second_qemu():
        params.append(pytest.param({"boot": "direct", "qemu": harness.second_qemu()},
                                   id="qemu2-direct"))
        params.append(pytest.param({"boot": "grub", "qemu": harness.second_qemu()},
                                   id="qemu2-grub"))
    return params


@mark(spawns())
@pytest.mark.parametrize("how", boot_path_params())
def test_disk_found_on_each_boot_path(how):
    how = dict(how)
    name = "disk-" + "-".join(str(v) for k, v in sorted(how.items()) if k in ("boot", "firmware"))
    if how.get("qemu"):
        name += "-qemu2"
    how.setdefault("timeout", 120)
    r = fs_run(name, "spawnhello", **how)
    ended_cleanly(r)
    match(r, "superblock is good", "i am parent environment 00001001", "hello, world",
          "i am environment 00001002")


# ---------------------------------------------------------------------------
# Beyond JOS: damaged, full and missing disks. The server names what is
# wrong and refuses it; clients get an error; nothing else is damaged; the
# rest of the system runs on.

DAMAGED = "the file system on the disk is damaged"


# What the damaged images hold: a few files, so that the root directory has
# room for what the tests add (a damaged entry, /created) whatever the
# number of programs in make's image.
DAMAGED_FILES = {n: harness.ROOT + "/fs/" + n for n in ("motd", "newmotd", "lorem")}


def damaged_run(name, damage):
    """testbadfs and hello on a small image (DAMAGED_FILES) that `damage`
    changed; returns the run, the image's path and its bytes before the
    run."""
    disk = fsimage.fsformat("lab5-" + name, 256, DAMAGED_FILES)
    img = fsimage.Image(disk)
    damage(img)
    img.save()
    before = fsimage.Image(disk)
    r = fs_run(name, "testbadfs,hello", disk=disk)
    ended_cleanly(r)
    r.expect(r"^testbadfs: done$", r"^hello, world$")
    return r, disk, before


def files_except(img, skip):
    return {n: img.read("/" + n) for n in img.names() if n not in skip}


@mark(fs_mount() + ["ipc"])
def test_bad_superblock_magic_is_named_and_refused():
    r, disk, before = damaged_run("badmagic", lambda img: img.set_magic(0x12345678))
    r.expect(r"^fs: the superblock's magic number is 12345678, not 4a0530ae: this disk holds "
             r"no JOS file system", r"^testbadfs: open /motd: %s$" % DAMAGED,
             r"^testbadfs: create /created: %s$" % DAMAGED)
    r.expect_absent(r"^superblock is good$")
    after = fsimage.Image(disk)
    assert after.data == before.data, "the server changed a disk it refused"
    status, out = fsimage.fsck(disk)
    assert status == 1 and "magic number is 12345678" in out, out


@mark(fs_serves() + FS_READS)
def test_block_pointer_past_the_end_of_the_disk_is_named_and_refused():
    def damage(img):
        motd = img.lookup("/motd")
        motd.write_fields(direct=[img.nblocks + 1000] + list(motd.direct[1:]))
    r, disk, before = damaged_run("badpointer", damage)
    bad = before.nblocks + 1000
    r.expect(r"^fs: /motd: block 0 is block number %d, outside the disk's data blocks "
             r"\(\d+-%d\): the file system is damaged; refusing the file$"
             % (bad, before.nblocks - 1),
             r"^testbadfs: open /motd: %s$" % DAMAGED,
             r"^testbadfs: read /newmotd: %d bytes$" % len(NEWMOTD),
             r"^testbadfs: create /created: ok$")
    # The other files are as they were; /motd's entry still says the same.
    after = fsimage.Image(disk)
    assert files_except(after, {"motd", "created"}) == files_except(before, {"motd"})
    assert after.lookup("/motd").direct == before.lookup("/motd").direct
    status, out = fsck_status(disk)
    assert status == 1 and "block number %d, outside the data blocks" % bad in out, out


def fsck_status(disk):
    return fsimage.fsck(disk)


@mark(fs_serves() + FS_READS)
def test_directory_that_loops_is_named_and_refused():
    # A directory /loop whose block is the root directory's own: /loop
    # would hold loop, motd, ... and itself again.
    r, disk, before = damaged_run("loop", lambda img: img.add_dir("loop",
                                                                  img.root().blocks()))
    r.expect(r"^fs: directory /loop loops: its block \d+ is also a block of a directory above "
             r"it \(or of itself\): the file system is damaged; refusing it$",
             r"^testbadfs: open /loop: %s$" % DAMAGED,
             r"^testbadfs: open /loop/motd: %s$" % DAMAGED,
             r"^testbadfs: read /motd: \d+ bytes$")
    status, out = fsimage.fsck(disk)
    assert status == 1 and "directory /loop loops" in out, out


@mark(fs_serves() + FS_WRITES)
def test_full_disk_returns_e_no_disk_and_passes_fsck():
    # A small disk: 64 blocks, /newmotd and nothing else. /fill can take every free block but one, which
    # holds its block list (the indirect block).
    disk = fsimage.fsformat("lab5-full", 64, {"newmotd": harness.ROOT + "/fs/newmotd"})
    free = fsimage.Image(disk).free_blocks()
    fill = (free - 1) * fsimage.BLKSIZE
    r = fs_run("full", "testfull", disk=disk)
    ended_cleanly(r)
    r.expect(r"^testfull: wrote %d bytes to /fill, then: no free space on disk$" % fill,
             r"^testfull: /fill has %d bytes$" % fill, r"^testfull: remove /fill: ok$",
             r"^testfull: wrote 4096 bytes to /after$")
    status, out = fsimage.fsck(disk)
    assert status == 0, "fsck after the disk filled:\n" + out
    img = fsimage.Image(disk)
    assert img.names() == ["after", "newmotd"], img.names()
    assert img.read("/after") == bytes(ord("a") + i % 26 for i in range(4096))
    assert img.free_blocks() == free - 1, "blocks leaked or lost: %d free, expected %d" % (
        img.free_blocks(), free - 1)


@mark(envs())
def test_missing_disk_is_named_and_the_rest_runs():
    r = fs_run("nodisk", "icode,hello", disk="")
    r.expect_pass()
    r.expect(r"^fs: no disk at the primary IDE channel \(0x1F0\): the file-system server is not "
             r"started, and icode will find no files",
             r"user panic in icode at .*: icode: open /motd: no file-system server is running$",
             r"^hello, world$")
    r.expect_absent(r"^FS is running$", r"kernel panic")


@mark(envs() + ["iopl", "ipc"])
def test_missing_disk_with_fs_on_the_server_says_so_and_refuses():
    r = fs_run("nodisk-fson", "icode,hello", extra_kargs="fs=on", disk="")
    r.expect_pass()
    r.expect(r"^FS is running$", r"^FS: no disk at the primary IDE channel \(0x1F0\)",
             r"^fs: refusing requests: no disk drive$",
             r"user panic in icode at .*: icode: open /motd: no disk drive$",
             r"^hello, world$")
    r.expect_absent(r"kernel panic")


@mark(fs_io())
def test_only_the_file_system_server_gets_io_privilege():
    # JOS's spawnfaultio checks a program that spawn started, whose rflags
    # sys_env_set_trapframe sets (IOPL 0, whatever the parent asks). This
    # faultio is started by the kernel, as the server is: env_create gives
    # I/O privilege to the server alone. (No disk: the server needs none to
    # show that it can do I/O.)
    r = fs_run("faultio", "faultio", extra_kargs="fs=on", disk="")
    r.expect_pass()
    r.expect(r"^FS is running$", r"^FS can do I/O$",
             r"^\[00001001\] user General Protection at ip 008[0-9a-f]{5}$")
    r.expect_absent(r"rflags wrong", r"made it here --- bug", r"kernel panic")


@mark(cow() + ["env_set_trapframe"])
def test_set_trapframe_gives_no_privilege():
    r = fs_run("settf", "testsettf")
    r.expect_pass()
    r.expect(r"^testsettf: a child setting its parent's registers: bad environment$",
             r"^testsettf: a frame asking for privilege: accepted$",
             r"^testsettf: a frame with a kernel rip: invalid parameter$",
             # GD_UT | 3, IOPL 0: user mode, no I/O.
             r"^testsettf: the child runs with cs 0x1b, IOPL 0, interrupts on$",
             r"^\[00001001\] user General Protection at ip 008[0-9a-f]{5}$",
             r"^\[00001000\] user_mem_check assertion failure for va ffffffff80100000$")
    r.expect_absent(r"--- bug", r"kernel panic")


def sendkey(c):
    """QEMU's monitor name for the key that types c."""
    return {" ": "spc", "\r": "ret", ".": "dot", "/": "slash", "-": "minus"}.get(c, c)


@mark(shares(spawns(forks=True)) + ["console_intr"])
def test_keyboard_input_reaches_the_shell():
    # Keys pressed on the PS/2 keyboard (QEMU's sendkey: a press and a
    # release each) come through IRQ 1 and the I/O APIC like serial input.
    cmd = "echo typed on the keyboard"
    steps = [(typed(1, cmd[:k]), "monitor", "sendkey " + sendkey(key))
             for k, key in enumerate(cmd + "\r")]
    steps.append((prompts(2), "monitor", "quit"))
    r = harness.run("lab5-keyboard", kargs="monitor=off run=icode", steps=steps, timeout=180,
                    stop_on=SHELL_LOST, stall=STALL)
    log = KERNEL_LINE.sub("", r.log)
    assert "$ %s\ntyped on the keyboard\n$ " % cmd in log, r.explain(
        "the keyboard's keys did not reach the shell")


# ---------------------------------------------------------------------------
# The host tools: fsformat refuses what it cannot write, and fsck finds each
# kind of damage (made here, with grade/fsimage.py) and names it.

def run_tool(*args):
    p = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


@pytest.mark.developer
@pytest.mark.no_exercises
def test_fsformat_names_what_it_cannot_write(tmp_path):
    tool = harness.ROOT + "/obj/fs/fsformat"
    motd = harness.ROOT + "/fs/motd"
    img = tmp_path / "x.img"
    cases = [
        ([img, 4096, "motd=" + motd, "motd=" + motd], "a file called 'motd' is already"),
        ([img, 4096, "a/b=" + motd], "is not a file name"),
        ([img, 4096, "x" * 130 + "=" + motd], "is not a file name"),
        ([img, 12, "big=" + harness.ROOT + "/obj/fs/fsck"], "is full"),
        ([img, "many", motd], "is not a number of blocks"),
        ([img, 4096, tmp_path / "missing"], "No such file"),
    ]
    for args, message in cases:
        status, out = run_tool(tool, *args)
        assert status == 1 and message in out, (args, status, out)
    assert not img.exists(), "fsformat wrote an image after an error"


@pytest.mark.developer
@pytest.mark.no_exercises
@pytest.mark.parametrize("damage,message", [
    (lambda img: img.set_magic(0), "magic number is 00000000"),
    (lambda img: img.data.__setitem__(2 * 4096, img.data[2 * 4096] | 0x2),
     "the bitmap says block 1 is free, but it holds the superblock"),
    (lambda img: img.lookup("/motd").write_fields(size=-5), "impossible size -5"),
    (lambda img: img.lookup("/motd").write_fields(direct=[99999] + [0] * 9),
     "block number 99999, outside the data blocks"),
    (lambda img: img.lookup("/motd").write_fields(
        direct=list(img.lookup("/lorem").direct)), "is used twice"),
    (lambda img: img.lookup("/newmotd").write_fields(
        direct=[img.lookup("/newmotd").direct[0], img.lookup("/motd").direct[0]] + [0] * 8),
     "beyond its size"),
    (lambda img: img.add_dir("loop", img.root().blocks()), "directory /loop loops"),
], ids=["magic", "bitmap", "size", "pointer", "crosslink", "beyond-size", "loop"])
def test_fsck_names_each_kind_of_damage(damage, message, tmp_path):
    path = str(tmp_path / "fs.img")
    shutil.copyfile(harness.FSIMG, path)
    status, out = fsimage.fsck(path)
    assert status == 0 and "clean" in out, out
    img = fsimage.Image(path)
    damage(img)
    img.save()
    status, out = fsimage.fsck(path)
    assert status == 1 and message in out, out


@pytest.mark.developer
@pytest.mark.no_exercises
def test_fsck_calls_a_leaked_block_a_warning(tmp_path):
    path = str(tmp_path / "fs.img")
    shutil.copyfile(harness.FSIMG, path)
    img = fsimage.Image(path)
    # Mark the last block in use, with no file using it.
    last = img.nblocks - 1
    off = 2 * 4096 + (last // 32) * 4
    word = int.from_bytes(img.data[off:off + 4], "little") & ~(1 << (last % 32))
    img.data[off:off + 4] = word.to_bytes(4, "little")
    img.save()
    status, out = fsimage.fsck(path)
    assert status == 0 and "1 block(s) marked in use belong to no file" in out, out
