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
