"""Which lab exercises a grader depends on, from what it boots.

The handout stubs exercises; a test that boots a kernel depends on every
exercise on the path it exercises. These helpers spell that path out once:
tests carry the resulting pytest marks, and the student-tree check
(test_handout.py) expects a tree with exercises stubbed to fail exactly the
tests marked with any of them.
"""

import pytest

# Lab 1: every boot runs JOS's test_backtrace, so every boot prints a
# backtrace (a stub stops the boot there).
LAB1_BOOT = ["backtrace"]
# Lab 2: memory, in the order mem_init reaches the exercises; each JOS check
# needs those before it.
LAB2_ALLOC = ["boot_alloc", "mem_init_pages", "page_init", "page_alloc", "page_free"]
# (check_page ends with mmio_map_region, which maps with boot_map_region.)
LAB2_PAGE = LAB2_ALLOC + ["pgdir_walk", "page_insert", "page_lookup", "page_remove",
                          "boot_map_region"]
LAB2 = LAB2_PAGE + ["kernel_mappings"]
# Lab 3: what every boot past lab 2 runs (the envs array, env_init, the
# user gates), then what running any user program needs: making it, running
# it, and libmain's first system call (sys_getenvid).
LAB3_BOOT = ["mem_init_envs", "env_init", "trap_init"]
LAB3_ENV = ["env_setup_vm", "region_alloc", "load_icode", "env_create", "env_run",
            "libmain", "trap_dispatch", "syscall_dispatch"]
# A program that passes the kernel a pointer (cprintf does).
POINTERS = ["user_mem_check"]

# Exercises whose stub stops the boot where it is reached (lab_todo, or a
# fault no boot gets past): every boot that gets there fails, the same way.
BOOT_STOPS = set(LAB1_BOOT + LAB2 + LAB3_BOOT + POINTERS) | {
    "env_setup_vm", "region_alloc", "load_icode", "env_create", "env_run", "syscall_dispatch",
    "trap_dispatch"}

# The lab of each exercise of labs 1 to 3 (the sources mark the same:
# test_handout.py checks): a stub of lab n that stops the boot cannot touch
# a grader of an earlier lab, whose boots end before lab n's part.
EXERCISE_LAB = dict([(e, 1) for e in ["printf_octal", "backtrace", "debuginfo_line"]] +
                    [(e, 2) for e in LAB2] +
                    [(e, 3) for e in LAB3_BOOT + LAB3_ENV + POINTERS])

# Every lab 4 boot: the labs before it, the AP trampoline's page kept out of
# the free list, the other CPUs' stacks.
BOOT = tuple(LAB1_BOOT + LAB2 + LAB3_BOOT + ["mpentry_page", "mem_init_mp"])

# Exercises whose code runs only on behalf of an environment (system calls,
# user faults and interrupts, the user library): a boot that runs no
# environment never reaches them.
USER_ONLY = set(LAB3_ENV + POINTERS) | {
    "syscalls", "pgfault_upcall", "page_fault_handler", "pfentry", "set_pgfault_handler",
    "fork", "timer", "ipc"}


def lab1(*more):
    """A lab=1 boot (JOS's lab 1 checks, then the monitor)."""
    return list(LAB1_BOOT) + list(more)


def lab2(check=LAB2):
    """A lab=2 boot, as far as the JOS check that needs `check`."""
    return list(LAB1_BOOT) + list(check)


def lab3(pointers=True):
    """A lab=3 boot running one user program (pointers: it passes the
    kernel a pointer before it ends)."""
    return list(LAB1_BOOT) + LAB2 + LAB3_BOOT + LAB3_ENV + (POINTERS if pointers else [])


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
    ex = bringup(cpus, serial, x2apic) + LAB3_ENV + POINTERS + ["kernel_lock", "sched_yield"]
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
# bc_pgfault): the superblock and the bitmap, when it mounts the disk. Every
# request it serves ends by writing back what it changed (flush_block), and
# every path it looks up walks directories (file_block_walk). Its self-test
# (fs/test.cc) runs only with fs=test: the cache's check first (flush_block),
# then alloc_block, the walk and file_get_block. A client that writes needs
# blocks allocated (alloc_block, file_get_block); one that only reads never
# allocates.

FS_START = ["iopl"]
FS_CACHE = ["bc_pgfault", "flush_block"]
FS_FILES = ["alloc_block", "file_block_walk", "file_get_block"]
# A client that reads, or writes, a file: the server's half and the
# client's (and, for a write, the blocks it allocates).
FS_READS = ["serve_read", "devfile_read"]
FS_WRITES = ["serve_write", "devfile_write", "alloc_block", "file_get_block"]


def fs_io(cpus=1):
    """The server starts and uses an I/O port ("FS can do I/O")."""
    return envs(cpus) + FS_START


def fs_mount(cpus=1):
    """... and mounts the disk: its superblock and bitmap come in through
    the cache's page-fault handler ("superblock is good")."""
    return envs(cpus, syscalls=True) + PGFAULT + FS_START + ["bc_pgfault"]


def fs_cache(cpus=1):
    """... and its block cache writes back (the self-test's check_bc, first
    of all, or the end of any request it serves)."""
    return fs_mount(cpus) + ["flush_block"]


def fs_selftest(cpus=1, upto=None):
    """... and its self-test (fs=test) passes, as far as the line that
    needs `upto` (alloc_block, file_block_walk, file_get_block; all by
    default)."""
    files = FS_FILES if upto is None else FS_FILES[:FS_FILES.index(upto) + 1]
    return fs_cache(cpus) + files


def fs_serves(cpus=1, forks=False):
    """... and it answers requests, each of which looks up a path or ends
    by writing back what it changed: a client's run (which forks, with
    forks=True)."""
    return dedup(fs_cache(cpus) + ["file_block_walk"] + (cow(cpus) if forks else []) + ["ipc"])


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


# The lab of every exercise (the sources mark the same: test_handout.py
# checks). A lab's code runs only in boots that reach its part (lab=N ends
# the boot before lab N+1's), so a stub of lab n cannot touch a grader of an
# earlier lab.
EXERCISE_LAB.update(dict(
    [(e, 4) for e in ["mpentry_page", "mem_init_mp", "trap_init_percpu", "boot_aps", "x2apic",
                      "kernel_lock", "sched_yield", "syscalls", "timer", "ipc"] + PGFAULT +
     ["fork"]] +
    [(e, 5) for e in FS_START + FS_CACHE + FS_FILES + FS_READS + FS_WRITES +
     ["env_set_trapframe", "pte_share", "console_intr", "redirect_in"]]))

# Lab 6: sys_time_msec, the card's attach, its transmit side (the ring, the
# send function, its system call, the output environment), its receive
# side (the same, and the input environment), and httpd's send_file and
# send_data. grade/test_lab6.py spells out which runs need which.
EXERCISE_LAB.update(dict(
    (e, 6) for e in ["time_msec", "pci_attach", "transmit", "receive", "httpd"]))
USER_ONLY |= {"time_msec", "httpd"}
