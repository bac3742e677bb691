"""SMP correctness: races that user programs, a slow host or bad timing can
trigger, each with the program or kernel argument that triggers it."""

import re

import pytest

import harness
from labdeps import bringup, envs, mark, param


def user_run(name, progs, cpus, **kw):
    kw.setdefault("kargs", "monitor=off run=%s" % progs)
    r = harness.run(name, cpus=cpus, **kw)
    r.expect_pass()
    r.expect_absent(r"kernel panic", r"user panic")
    r.expect(r"^SMP: %d of %d CPUs started$" % (cpus, cpus))
    return r


@mark(envs(4, syscalls=True))
def test_destroying_a_running_child_twice():
    # The first destroy stops the child on the CPU that runs it and frees
    # it; the second finds nothing. Freeing it while it ran let later
    # children fault on freed page tables (or the kernel panic).
    r = user_run("race-destroytwice", "destroytwice", cpus=4, timeout=120)
    r.expect(r'^destroytwice: 20 children destroyed; destroying one again said "bad '
             r'environment" 20 times$')
    # JOS's line: the destroyer frees the child, whichever CPU it ran on.
    assert len(r.all(r"^\[00001000\] free env (?!00001000)[0-9a-f]{8}$")) == 20, r.explain(
        "each child must be freed by its parent, at once")
    r.expect_absent(r"user fault", r"again returned")


@mark(envs(1) + ["timer"])
def test_system_call_loop_does_not_starve_others():
    # sysloop enters the kernel thousands of times per time slice; the slice
    # is a deadline those entries must not move, so hello still runs.
    r = user_run("race-sysloop", "sysloop,hello", cpus=1)
    r.expect_in_order(r"^hello, world$", r"^\[00001001\] exiting gracefully$",
                      r"^sysloop: the others finished while I made \d+ system calls$")


@mark(envs(2, syscalls=True))
def test_unmapping_a_page_of_a_child_running_elsewhere():
    # Without a TLB shootdown the child's CPU keeps the old translation and
    # the child reads the parent's later write through it.
    r = user_run("race-tlbshootdown", "tlbshootdown", cpus=2)
    r.expect_in_order(r"^tlbshootdown: the child reads the page on CPU \d; unmapping it$",
                      r"^\[00001001\] user fault va 10000000 ip 008[0-9a-f]{5}$",
                      r"^tlbshootdown: the child is gone$")
    r.expect_absent(r"stale TLB entry")


@mark(envs(3, syscalls=True))
def test_set_status_on_a_child_running_elsewhere():
    # Marked runnable while it runs, the child must not be picked up by a
    # second CPU (two CPUs counting in one address space lose increments);
    # marked not runnable, it stops; runnable again, it finishes.
    r = user_run("race-setstatus", "setstatus", cpus=3, timeout=120)
    r.expect_in_order(r"^setstatus: marking the running child runnable: ok$",
                      r"^setstatus: the child stopped at mid-count: yes$",
                      r"^setstatus: the child counted to 20000000 \(of 20000000\)$")
    assert len(r.all(r"^setstatus: the child counted")) == 1, r.explain("the child ran twice")


def late_ap(name, crash, smpboot):
    # aptimeout=300: a deadline of 300 ms instead of 2 s, to spare the wait.
    return harness.run("race-%s-%s" % (name, smpboot), cpus=4, timeout=20,
                       kargs="monitor=off exitat=smp crash=%s crashcpu=2 aptimeout=300 "
                       "smpboot=%s" % (crash, smpboot))


@pytest.mark.parametrize("smpboot", [param("serial", bringup(4)),
                                     param("parallel", bringup(4, serial=False))])
def test_ap_arriving_after_it_was_given_up_on_halts(smpboot):
    # The boot CPU gives up on CPU 2, then CPU 2 arrives: it must lose the
    # claim on its slot and halt without printing, locking or marking
    # itself started.
    r = late_ap("aplate", "aplate", smpboot)
    r.expect_pass()
    r.expect_in_order(r"^SMP: CPU with APIC ID 2 did not start$",
                      r"^SMP: 1 AP\(s\) answered after being given up on, and halted$",
                      r"^SMP: 3 of 4 CPUs started$")
    r.expect_absent(r"^SMP: CPU 2 starting$", r"^kernel panic")


@pytest.mark.parametrize("smpboot", [param("serial", bringup(4)),
                                     param("parallel", bringup(4, serial=False))])
def test_ap_reporting_in_at_its_deadline_is_kept(smpboot):
    # The other order: CPU 2 claims its slot after the deadline passed but
    # before the boot CPU gives up on it. It started, and must not be reset.
    r = late_ap("apdeadline", "apdeadline", smpboot)
    r.expect_pass()
    r.expect_in_order(r"^SMP: CPU 2 \(APIC ID 2\) reported in after its deadline, just before "
                      r"it would have been given up on$", r"^SMP: 4 of 4 CPUs started$")
    r.expect(r"^SMP: CPU 2 starting$")
    r.expect_absent(r"did not start", r"answered after being given up on")


@mark(bringup(4))
def test_ap_double_fault_before_its_first_trap_is_reported():
    # CPU 2 overflows its stack right after its first line: its TSS must
    # already have its IST stacks, or the double fault is a triple fault.
    r = harness.run("race-apoverflow", cpus=4,
                    kargs="monitor=off exitat=smp crash=apoverflow crashcpu=2")
    assert r.status == harness.EXIT_FAIL, r.explain("the overflow must panic, not reset")
    r.expect(r"^kernel panic on CPU 2 at .*: kernel stack overflow on CPU 2: fault address "
             r"0x[0-9a-f]+ is in the guard gap below CPU 2's kernel stack")


@mark(bringup(4))
def test_nmi_never_waits_for_the_console():
    # CPU 1 holds the console lock while it sends CPU 0 two NMIs. Waiting
    # for the lock in the NMI handler let the second NMI land on the first's
    # stack; the handler must only try, and report both later.
    r = harness.run("race-nmilock", cpus=4, kargs="monitor=off exitat=smp crash=nmilock crashcpu=1")
    r.expect_pass()
    r.expect_in_order(r"^crash: CPU 1 holds the console while it sends CPU 0 two NMIs$",
                      r"^NMI on CPU 0 \(rip 0x[0-9a-f]+, reported late: the console was busy\); "
                      r"continuing$",
                      r"^NMI on CPU 0 \(rip 0x[0-9a-f]+, reported late: the console was busy\); "
                      r"continuing$",
                      r"^SMP: 4 of 4 CPUs started$")


# CR0's cache-disable and not-write-through bits (Intel SDM vol. 3, 2.5).
CR0_CD, CR0_NW = 1 << 30, 1 << 29


@mark(envs(4))
def test_aps_run_with_caches_on_and_the_warm_reset_vector_restored():
    # Read from outside, through QEMU's monitor, once the boot is over:
    # INIT leaves CD and NW set, so an AP that ORs its bits into CR0 runs
    # uncached; and the warm-reset vector at 40:67 must not still point at
    # the trampoline (MPENTRY_PADDR 0x7000, segment 0x0700).
    r = harness.run("race-cr0", cpus=4, kargs="run=hello",
                    steps=[(b"K> ", "monitor", "info registers -a"),
                           (b"K> ", "monitor", "xp /2hx 0x467"),
                           (b"K> ", "type", b"exit\r")])
    r.expect_pass()
    assert len(r.monitor_out) == 2, r.explain("the monitor commands did not run")
    cr0 = [int(v, 16) for v in re.findall(r"CR0=([0-9a-f]+)", r.monitor_out[0])]
    assert len(cr0) == 4, r.explain("no CR0 for every CPU in: %s" % r.monitor_out[0][-2000:])
    for cpu, v in enumerate(cr0):
        assert not v & (CR0_CD | CR0_NW), r.explain("CPU %d runs with CR0 %#x: caches off" % (cpu, v))
    vec = re.search(r"0000000000000467: (0x[0-9a-f]{4}) (0x[0-9a-f]{4})", r.monitor_out[1])
    assert vec, r.explain("no answer to xp: %s" % r.monitor_out[1][-500:])
    assert (int(vec.group(1), 16), int(vec.group(2), 16)) != (0, 0x0700), r.explain(
        "the warm-reset vector still points at the trampoline (0700:0000)")
