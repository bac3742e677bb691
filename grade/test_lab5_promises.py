"""Lab 5 beyond JOS: the promises of a Unix file system (DESIGN.md, section
6), as a user would try them: data that is never lost or mixed up, one
client that can never reach another's open file or stop the server for
the others, pipes that keep every byte once with many readers and writers
on several CPUs, damaged images refused, memory running out, and a server
that, if it ends all the same, ends nothing else.

Each test boots a program from user/ that tries one group of them and
prints one line per check, saying what happened; the test compares those
lines, and afterwards checks the disk image on the host (fsck, and
grade/fsimage.py, which shares no code with the server)."""

import functools
import re

import pytest

import fsimage
import harness
from labdeps import (FS_READS, FS_START, FS_WRITES, cow, envs, fs_mount, fs_serves, mark,
                     shares, spawns)
from test_lab5 import DAMAGED, damaged_run, ended_cleanly, fs_run

pytestmark = [pytest.mark.lab(5), pytest.mark.part("lab 5 beyond JOS")]


def fsck_clean(disk, what):
    """fsck finds nothing wrong with the image, not even a leaked block."""
    status, out = fsimage.fsck(disk)
    assert status == 0 and "warning" not in out, "fsck of %s after %s:\n%s" % (disk, what, out)


def unchanged(original, disk, changed=()):
    """Every file of the image `original` (a path) is in disk, as it was,
    but those named in `changed`."""
    before, after = fsimage.Image(original), fsimage.Image(disk)
    for name in before.names():
        if name not in changed:
            assert after.read("/" + name) == before.read("/" + name), (
                "/%s changed in %s, and the test did not touch it" % (name, disk))


def lines(r, *expected):
    """Each expected line (a plain string) is a whole line of the log."""
    r.expect(*["^%s$" % re.escape(e) for e in expected])


# ---------------------------------------------------------------------------
# Data: testfsdata on a small disk of its own, then a second boot on it.

SCRIPT = b"echo hi > /\necho changed > /newmotd\necho after > /after\ncat /after\n"


@functools.lru_cache(maxsize=None)
def fsdata_run():
    """testfsdata on a 128-block disk holding the shell, echo, cat, make's
    /newmotd and /script (SCRIPT); returns the run and the disk."""
    script = fsimage.image_path("lab5-fsdata-script")
    with open(script, "wb") as f:
        f.write(SCRIPT)
    progs = {p: "%s/obj/user/%s.stripped" % (harness.ROOT, p) for p in ("sh", "echo", "cat")}
    disk = fsimage.fsformat("lab5-fsdata", 128, dict(progs, newmotd=harness.ROOT + "/fs/newmotd",
                                                      script=script))
    fsimage.copy_image("lab5-fsdata-before", disk)
    r = fs_run("fsdata", "testfsdata", disk=disk)
    return r, disk


DATA_DEPS = shares(spawns(forks=True) + FS_WRITES)


@mark(DATA_DEPS)
def test_a_directory_cannot_be_opened_for_writing_and_the_shell_says_so():
    r, disk = fsdata_run()
    ended_cleanly(r)
    r.expect_in_order(r"^open / for write: is a directory$", r"^after$")
    lines(r, "testfsdata: open /dd for reading and writing, truncated: is a directory",
          "testfsdata: open / for writing: is a directory")
    fsck_clean(disk, "testfsdata")
    unchanged(fsimage.image_path("lab5-fsdata-before"), disk, changed={"newmotd"})
    img = fsimage.Image(disk)
    assert {"sh", "echo", "cat", "script", "after", "dd"} <= set(img.names()), img.names()
    assert img.lookup("/dd").size == 0, "/dd has size %d" % img.lookup("/dd").size
    assert img.read("/after") == b"after\n"


@mark(DATA_DEPS)
def test_truncation_clears_what_it_cuts():
    r, disk = fsdata_run()
    lines(r, "testfsdata: /trunc after ftruncate to 10 and writes at 100 and 4096: 4097 bytes, "
             "0 of the cut ones not zero")
    fsck_clean(disk, "testfsdata")
    want = b"A" * 10 + bytes(90) + b"C" + bytes(4096 - 101) + b"D"
    assert fsimage.Image(disk).read("/trunc") == want, "/trunc in the image is not what was written"


@mark(DATA_DEPS)
def test_on_a_full_disk_reads_do_not_allocate_and_failed_writes_and_creates_change_nothing():
    r, disk = fsdata_run()
    lines(r, "testfsdata: the disk is full: no free space on disk",
          "testfsdata: read 4096 bytes of the hole in /sparse: 4096 bytes, 4096 of them zeros",
          "testfsdata: write 1 byte at 100000 in the empty /grow: no free space on disk; /grow "
          "has 0 bytes",
          "testfsdata: create /full/f160 with one block free: no free space on disk",
          "testfsdata: then write 4096 bytes to /fill: all of them",
          "testfsdata: remove /fill: ok", "testfsdata: done; sync: ok")
    fsck_clean(disk, "testfsdata")
    img = fsimage.Image(disk)
    assert img.lookup("/sparse").size == 8192 and img.lookup("/sparse").blocks() == [0, 0]
    assert img.lookup("/grow").size == 0 and img.lookup("/grow").blocks() == []
    full = img.lookup("/full")
    assert full.size == 10 * 4096 and full.indirect == 0 and len(full.entries()) == 160


@mark(DATA_DEPS)
def test_paths_and_the_largest_file_behave_as_on_unix():
    r, disk = fsdata_run()
    lines(r, "testfsdata: create /..: is a directory",
          "testfsdata: open /script/: not a directory",
          "testfsdata: read /dd/../script: %d bytes" % len(SCRIPT),
          "testfsdata: write 1 byte at the largest size a file can have: file too large")
    assert ".." not in fsimage.Image(disk).names()


@mark(DATA_DEPS)
def test_spawn_arguments_that_fill_the_stack_page_work_and_too_many_are_refused():
    r, disk = fsdata_run()
    lines(r, "x" * 3966, "y" * 2000,
          "testfsdata: spawn echo with an argument of 4100 bytes: argument list too long")
    r.expect_absent(r"user fault", r"user panic")


@mark(DATA_DEPS + FS_READS)
def test_changing_newmotd_in_the_shell_does_not_break_the_next_boot():
    # After testfsdata's shell wrote "changed" into /newmotd, an ordinary
    # boot on the same disk (the server's self-test is for fs=test only).
    _, disk = fsdata_run()
    assert fsimage.Image(disk).read("/newmotd") == b"changed\n"
    r = fs_run("fsdata-again", "testbadfs", disk=disk)
    ended_cleanly(r)
    lines(r, "testbadfs: read /newmotd: 8 bytes", "testbadfs: done")
    fsck_clean(disk, "the second boot")


# ---------------------------------------------------------------------------
# One client against another: testfsclients, on 2 CPUs.

@functools.lru_cache(maxsize=None)
def fsclients_run():
    disk = fsimage.copy_image("lab5-fsclients-promises")
    return fs_run("fsclients-promises", "testfsclients", cpus=2, disk=disk, timeout=120), disk


CLIENT_DEPS = shares(fs_serves(2, forks=True) + FS_READS + FS_WRITES)


@mark(CLIENT_DEPS)
def test_a_file_removed_while_open_keeps_its_data_and_reaches_no_other_file():
    r, disk = fsclients_run()
    ended_cleanly(r)
    lines(r, "testfsclients: remove /a while open: ok",
          "testfsclients: the removed /a's descriptor wrote 4 bytes, and reads back its own data; "
          "/b holds 'BBBBBBBB'",
          "testfsclients: remove /d/x, then /d: ok, ok",
          "testfsclients: the removed /d/x's descriptor wrote 5000 bytes, and reads back its own "
          "data", "testfsclients: done; sync: ok")
    # The removed files' blocks came back at their last close.
    fsck_clean(disk, "testfsclients")
    unchanged(harness.FSIMG, disk)
    img = fsimage.Image(disk)
    assert img.read("/b") == b"B" * 8 and img.read("/z") == b"z" * 8192
    assert "a" not in img.names() and "d" not in img.names()


@mark(CLIENT_DEPS)
def test_only_a_holder_of_an_open_file_can_use_it_in_its_open_mode():
    r, disk = fsclients_run()
    lines(r, "testfsclients: a stranger got 0 of 4096 file ids; with the real one, stat: invalid "
             "parameter, read: invalid parameter, write: invalid parameter",
          "testfsclients: the owner's offset after the stranger: 6 (was 6)",
          "testfsclients: /secret holds 6 bytes",
          "testfsclients: read through a write-only descriptor: invalid parameter",
          "testfsclients: write through a read-only descriptor: invalid parameter")
    assert fsimage.Image(disk).read("/secret") == b"secret"
    assert fsimage.Image(disk).read("/wo") == b"hidden"


@mark(CLIENT_DEPS)
def test_a_client_that_never_takes_its_answer_does_not_stop_the_server():
    r, _ = fsclients_run()
    lines(r, "testfsclients: with a client that never takes its answer, read /motd: %d bytes"
          % len(open(harness.ROOT + "/fs/motd", "rb").read()))
    r.expect(r"^fs: [0-9a-f]{8} was not waiting for its answer")


@mark(CLIENT_DEPS)
def test_a_client_takes_its_answer_only_from_the_server():
    r, _ = fsclients_run()
    r.expect(r"^testfsclients: [1-9]\d* reads of /lorem amid another environment's IPC: 0 wrong$")


@mark(CLIENT_DEPS)
def test_a_request_for_more_than_a_page_is_served_within_its_page():
    # By hand, past the fd layer: a read of 1 MiB gets a page back, and a
    # write of 1 MiB writes what the request's page holds, 4080 bytes.
    r, disk = fsclients_run()
    lines(r, "testfsclients: a read request for 1048576 bytes: 4096 back; a write request for "
             "1048576 bytes: 4080 written", "testfsclients: done; sync: ok")
    assert fsimage.Image(disk).read("/over") == b"o" * 4096 + b"w" * 4080 + b"o" * 16


@mark(CLIENT_DEPS)
def test_one_client_gets_a_share_of_the_open_file_table_not_all_of_it():
    r, _ = fsclients_run()
    lines(r, "testfsclients: one environment opened 64 files, then: too many files are open",
          "testfsclients: another environment then opens /motd: ok")


# ---------------------------------------------------------------------------
# Pipes: testpipemany, on 4 CPUs.

# (Not a test that must run alone: on a busy host the 4 CPUs run less at
# once, and a correct pipe passes all the same.)
@mark(shares(cow(4)))
def test_pipes_keep_every_byte_once_and_writes_of_pipe_buf_whole_on_4_cpus():
    r = fs_run("pipemany", "testpipemany", cpus=4, timeout=180)
    ended_cleanly(r)
    lines(r, "testpipemany: 3 writers, 1 reader: a=60000 b=60000 c=60000 (each writer wrote "
             "60000)",
          "testpipemany: writes of PIPE_BUF (32) bytes that arrived in pieces: 0",
          "testpipemany: 3 writers, 3 readers: a=60000 b=60000 c=60000 (each writer wrote "
          "60000)",
          "testpipemany: with the pipe's page mapped 65537 times and both ends open, "
          "pipeisclosed: no")


# ---------------------------------------------------------------------------
# Images, memory, and the server's end.

def free_bitmap_block(img):
    """Marks block 2, the bitmap's own, free."""
    img.data[2 * fsimage.BLKSIZE] |= 1 << 2


@mark(fs_mount() + ["ipc"])
def test_a_bitmap_that_frees_its_own_block_is_named_and_refused():
    r, disk, before = damaged_run("bitmapfree", free_bitmap_block)
    lines(r, "fs: the bitmap says block 2 is free, but it holds the bitmap; refusing the disk",
          "testbadfs: open /motd: %s" % DAMAGED)
    r.expect_absent(r"^bitmap is good$")
    assert fsimage.Image(disk).data == before.data, "the server changed a disk it refused"
    status, out = fsimage.fsck(disk)
    assert status == 1 and "the bitmap says block 2 is free" in out, out


def share_a_block(img):
    """/motd's block becomes /lorem's (and its own leaks)."""
    img.lookup("/motd").write_fields(direct=[img.lookup("/lorem").direct[0]] + [0] * 9)


@mark(fs_serves() + FS_READS)
def test_two_files_that_share_a_block_are_named_and_refused():
    r, disk, before = damaged_run("sharedblock", share_a_block)
    block = before.lookup("/lorem").direct[0]
    lines(r, "fs: /motd shares block %d with another file: the file system is damaged; "
             "refusing the file" % block,
          "fs: /lorem shares block %d with another file: the file system is damaged; "
          "refusing the file" % block,
          "testbadfs: open /motd: %s" % DAMAGED,
          "testbadfs: read /newmotd: %d bytes" % len(open(harness.ROOT + "/fs/newmotd", "rb").read()),
          "testbadfs: create /created: ok")
    status, out = fsimage.fsck(disk)
    assert status == 1 and "is used twice" in out, out


@mark(fs_serves() + FS_READS + FS_WRITES)
def test_out_of_memory_the_cache_evicts_and_the_server_says_so():
    disk = fsimage.copy_image("lab5-fsmem")
    r = fs_run("fsmem", "testfsmem", mem="64M", disk=disk, timeout=120)
    ended_cleanly(r)
    sizes = {n: len(fsimage.Image(harness.FSIMG).read("/" + n)) for n in ("cat", "sh", "lorem")}
    lines(r, "testfsmem: took every free page (over 1000)",
          "testfsmem: out of memory, read /cat: %(cat)d bytes; /sh: %(sh)d bytes" % sizes,
          "testfsmem: out of memory, wrote /memfile: 131072 bytes",
          "testfsmem: out of memory, the 7th and 8th open files: ok, ok; the 9th: out of memory",
          "testfsmem: memory back, open /newmotd: ok; read /lorem: %(lorem)d bytes" % sizes,
          "testfsmem: done; sync: ok")
    fsck_clean(disk, "testfsmem")
    unchanged(harness.FSIMG, disk)
    want = bytes(ord("a") + i % 23 for i in range(16384)) * 8
    assert fsimage.Image(disk).read("/memfile") == want


# (Whatever stops the server first, a failing self-test or an exercise's
# stub, the outcome is the same: what the test depends on is the kernel's
# part, to the check of the block cache, whose page fault reaches the
# kernel's handler.)
@mark(envs(2, syscalls=True) + FS_START + ["pgfault_upcall", "page_fault_handler"])
def test_a_server_that_ends_all_the_same_ends_nothing_else():
    # The self-test (fs=test) on a full disk: its alloc_block check fails,
    # and the server panics. The kernel says why and goes on; the
    # clients' file operations fail instead of waiting.
    disk = fsimage.fsformat("lab5-fsend", 64, {"newmotd": harness.ROOT + "/fs/newmotd"})
    free = fsimage.Image(disk).free_blocks()
    # A file of free - 1 blocks, and its indirect block: every block.
    with open(fsimage.image_path("lab5-fsend-fill"), "wb") as f:
        f.write(b"f" * (free - 1) * fsimage.BLKSIZE)
    disk = fsimage.fsformat("lab5-fsend", 64, {"newmotd": harness.ROOT + "/fs/newmotd",
                                               "fill": fsimage.image_path("lab5-fsend-fill")})
    assert fsimage.Image(disk).free_blocks() == 0
    r = fs_run("fsend", "testbadfs,hello", cpus=2, extra_kargs="fs=test", disk=disk)
    r.expect_pass()
    r.expect_absent(r"kernel panic")
    r.expect(r"^fs: the file-system server \(env 00001000\) has ended: a breakpoint at ip "
             r"[0-9a-f]+ \(where a user panic stops\)\. Every file operation now fails with "
             r"\"no file-system server is running\"; the system goes on$")
    lines(r, "testbadfs: open /motd: no file-system server is running",
          "testbadfs: create /created: no file-system server is running",
          "testbadfs: done", "hello, world")


@mark(cow() + ["ipc"])
def test_a_wait_left_by_another_way_does_not_end_later():
    # waitwake: a child waiting for a key is made runnable by its parent,
    # and then waits in its parent's queue of callers. A key comes: it must
    # not wake the child out of the queue, as if it still waited for a
    # key; the parent reads it. The child's call returns the parent's
    # answer, 7. The parent polls for the key (sys_cgetc), so this grader
    # does not need console interrupts (console_intr); the wrong wake comes
    # from one, so a kernel without them cannot show it either.
    r = harness.run("lab5-waitwake", kargs="monitor=off run=waitwake", timeout=60,
                    steps=[(b"waitwake: type a key\n", "type", b"x")])
    r.expect_pass()
    r.expect(r"^waitwake: the parent got the key$", r"^waitwake: the parent's answer: sent$",
             r"^waitwake: the child's call returned 0, answer 7$")
