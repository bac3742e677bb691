"""Which lab exercises a grader depends on, from what it boots.

The handout stubs exercises; a test that boots a kernel depends on every
exercise on the path it exercises. These helpers spell that path out once:
tests carry the resulting pytest marks, and the student-tree check
(test_handout.py) expects a tree with exercises stubbed to fail exactly the
tests marked with any of them.
"""

import pytest

# Every boot: page_init (the free list), mem_init_mp (CPU 0 moves onto its
# own stack at KSTACKTOP).
BOOT = ("page_init", "mem_init_mp")

# Exercises whose code runs only on behalf of an environment (system calls,
# user faults and interrupts, the user library): a boot that schedules no
# environment never reaches them.
USER_ONLY = {"syscalls", "pgfault_upcall", "page_fault_handler", "pfentry",
             "set_pgfault_handler", "fork", "timer", "ipc"}


def bringup(cpus=1, serial=True, x2apic=False):
    """A boot that starts `cpus` CPUs (exitat=smp: nothing scheduled)."""
    ex = list(BOOT)
    if cpus > 1:
        ex.append("trap_init_percpu")       # each AP's own TSS
        if serial:
            ex.append("boot_aps")           # smpboot=serial is the exercise
    if x2apic:
        ex.append("x2apic")
    return ex


def envs(cpus=1, serial=True, x2apic=False, syscalls=False):
    """A boot that runs environments: the lock and the scheduler too, and
    the system calls dumbfork needs if it forks."""
    ex = bringup(cpus, serial, x2apic) + ["kernel_lock", "sched_yield"]
    if syscalls:
        ex.append("syscalls")
    return ex


def mark(exercises):
    return pytest.mark.exercises(*exercises)


def param(value, exercises, id=None):
    """A pytest.param carrying its own exercise marks."""
    return pytest.param(value, marks=mark(exercises), id=id)


# Part B: a user-level page-fault handler (set_pgfault_handler, the kernel's
# upcall, _pgfault_upcall's return), then copy-on-write fork on top of it.
PGFAULT = ["pgfault_upcall", "page_fault_handler", "pfentry", "set_pgfault_handler"]


def pgfault(cpus=1, **kw):
    """Environments with a page-fault handler installed and used."""
    return envs(cpus, syscalls=True, **kw) + PGFAULT


def cow(cpus=1, **kw):
    """Environments that fork() (copy-on-write)."""
    return pgfault(cpus, **kw) + ["fork"]


def ipc(cpus=1, forks=True, **kw):
    """Environments that talk through ipc_send/ipc_recv (after fork(), or
    dumbfork with forks=False)."""
    return (cow(cpus, **kw) if forks else envs(cpus, syscalls=True, **kw)) + ["ipc"]


def preempts(exercises):
    """The same, where an environment runs through its time slice in user
    mode, so that the timer must preempt it (the timer exercise)."""
    return exercises + ["timer"]


# ---------------------------------------------------------------------------
# Lab 5. The file-system server starts with I/O privilege (iopl); its block
# cache is paged in by its own page-fault handler (lab 4's path, and
# bc_pgfault) and written back by flush_block; its self-test (fs/test.cc)
# allocates a block and walks files; then it serves its clients over IPC.
# A run whose program uses the file system starts the server, and so
# depends on all of that, whatever the program does.

FS_START = ["iopl"]
FS_CACHE = ["bc_pgfault", "flush_block"]
FS_FILES = ["alloc_block", "file_block_walk", "file_get_block"]
# A client that reads, or writes, a file: the server's half and the
# client's.
FS_READS = ["serve_read", "devfile_read"]
FS_WRITES = ["serve_write", "devfile_write"]


def fs_io(cpus=1):
    """The server starts and uses an I/O port ("FS can do I/O")."""
    return envs(cpus) + FS_START


def fs_cache(cpus=1):
    """... and its block cache works (check_bc, then the superblock and
    bitmap checks, which read through it)."""
    return envs(cpus, syscalls=True) + PGFAULT + FS_START + FS_CACHE


def fs_selftest(cpus=1):
    """... and its self-test passes."""
    return fs_cache(cpus) + FS_FILES


def fs_serves(cpus=1, forks=False):
    """... and it answers requests: a client's run (which forks, with
    forks=True)."""
    return dedup(fs_selftest(cpus) + (cow(cpus) if forks else []) + ["ipc"])


def spawns(cpus=1, forks=False):
    """A client that spawns programs from the file system: it reads them,
    and sets the child's registers."""
    return dedup(fs_serves(cpus, forks) + FS_READS + ["env_set_trapframe"])


def shares(exercises):
    """The same, where file descriptors or other PTE_SHARE pages must reach
    a child of fork or spawn."""
    return dedup(exercises + ["pte_share"])


def dedup(exercises):
    return list(dict.fromkeys(exercises))
