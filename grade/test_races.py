"""SMP correctness: races that user programs, a slow host or bad timing can
trigger, each with the program or kernel argument that triggers it."""

import re

import pytest

import harness
from labdeps import bringup, cow, envs, ipc, mark, param

pytestmark = pytest.mark.lab(4)


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
    r.expect(r"^hello, world$")
    assert len(r.monitor_out) == 2, r.explain("the monitor commands did not run")
    cr0 = [int(v, 16) for v in re.findall(r"CR0=([0-9a-f]+)", r.monitor_out[0])]
    assert len(cr0) == 4, r.explain("no CR0 for every CPU in: %s" % r.monitor_out[0][-2000:])
    for cpu, v in enumerate(cr0):
        assert not v & (CR0_CD | CR0_NW), r.explain("CPU %d runs with CR0 %#x: caches off" % (cpu, v))
    vec = re.search(r"0000000000000467: (0x[0-9a-f]{4}) (0x[0-9a-f]{4})", r.monitor_out[1])
    assert vec, r.explain("no answer to xp: %s" % r.monitor_out[1][-500:])
    assert (int(vec.group(1), 16), int(vec.group(2), 16)) != (0, 0x0700), r.explain(
        "the warm-reset vector still points at the trampoline (0700:0000)")


# ---------------------------------------------------------------------------
# What a hostile program, or a host that stalls a virtual CPU, must not
# break.

@mark(cow(1))
def test_a_page_mapped_65537_times_stays_allocated():
    # One page at 65537 addresses: a 16-bit reference count wraps to 1, and
    # unmapping one alias frees a page still mapped 65536 times. The next
    # allocation must be another frame, before and after a fork doubles the
    # count, and exit must free it all once.
    r = user_run("race-refwrap", "refwrap", cpus=1, mem="512M", timeout=240)
    r.expect_in_order(r"^refwrap: one page mapped at 65537 addresses$",
                      r"^refwrap: after unmapping one alias, the fresh page is a frame of its own$",
                      r"^refwrap: after a fork and the child's exit, the fresh page is a frame of "
                      r"its own$",
                      r"^No runnable environments in the system!$")
    r.expect_absent(r"handed out frame", r"refused")


@mark(ipc(4))
def test_a_receiving_child_is_woken_only_by_a_message():
    # sys_env_set_status(RUNNABLE) on a child blocked in ipc_recv is
    # refused: resumed, it would return from its receive with junk, and the
    # parent's send would make it runnable while it ran on another CPU.
    r = user_run("race-recvwake", "recvwake", cpus=4)
    r.expect_in_order(r"^recvwake: marking the receiving child runnable: invalid parameter$",
                      r"^recvwake: the child received 42 from 00001000$",
                      r"^No runnable environments in the system!$")


@mark(envs(2, syscalls=True))
def test_sys_cputs_is_bounded():
    # 4 MiB in one sys_cputs is refused at once (the kernel lock would be
    # held while all of it printed); the library prints 10000 bytes in
    # pieces, whole.
    r = user_run("race-bigcputs", "bigcputs", cpus=2)
    r.expect(r"^bigcputs: one sys_cputs of 4194304 bytes: invalid parameter$",
             r"^bigcputs: done$")
    text = "".join(r.lines)
    start = text.index("invalid parameter") + len("invalid parameter")
    printed = text[start:text.index("bigcputs: done")]
    want = "".join(chr(ord("a") + i % 26) for i in range(10000))
    assert printed == want, r.explain("the 10000 bytes did not come out whole (%d bytes)"
                                      % len(printed))
    r.expect_absent(r"^x{64}", r"has waited \d+ ms for lock")


@mark(envs(1))
def test_smap_holds_when_the_user_sets_rflags_ac():
    # RFLAGS.AC set in user mode would suspend SMAP in the kernel: the
    # kernel clears it on entry, so its direct read of the caller's buffer
    # (crash=syssmap) still faults. -cpu max has SMAP under TCG.
    r = harness.run("race-smapac", kargs="monitor=off run=smapac crash=syssmap",
                    make_extra=["TCG_CPU=max"])
    assert r.status == harness.EXIT_FAIL, r.explain("the kernel's read must fault")
    r.expect_in_order(r"^mmu: SMEP on, SMAP on$",
                      r"^crash: CPU 0 reads the caller's buffer at 0x[0-9a-f]+ directly \(the "
                      r"caller's RFLAGS\.AC is set\)$",
                      r"^kernel panic on CPU 0 at .*: kernel page fault on CPU 0: read from va ")
    r.expect_absent(r"nothing stopped it")


@mark(cow(2))
def test_a_cpu_that_answers_an_eviction_late_is_waited_for():
    # The CPU running the child answers only after 2.5 s: the parent's
    # destroy waits for it (naming it), then frees the child; nothing leaks,
    # so the system ends as usual.
    r = user_run("race-lateack-spin", "spin", cpus=2, kargs="monitor=off run=spin crash=lateack",
                 timeout=60)
    r.expect_in_order(r"^\[00001000\] destroying 00001001$",
                      r"^crash: CPU \d answers the request only after 2500 ms$",
                      r"^warning: CPU \d has not answered for 2\d{3} ms \(giving up environment "
                      r"00001001\); waiting",
                      r"^SMP: giving up environment 00001001: answered after 2\d{3} ms$",
                      r"^\[00001000\] free env 00001001$",
                      r"^No runnable environments in the system!$")


@mark(envs(2, syscalls=True))
def test_a_cpu_that_answers_a_tlb_shootdown_late_is_waited_for():
    r = user_run("race-lateack-tlb", "tlbshootdown", cpus=2,
                 kargs="monitor=off run=tlbshootdown crash=lateack", timeout=60)
    r.expect_in_order(r"^crash: CPU \d answers the request only after 2500 ms$",
                      r"^warning: CPU \d has not answered for 2\d{3} ms \(dropping its TLB entry "
                      r"for va 0x10000000\); waiting",
                      r"^\[00001001\] user fault va 10000000 ip 008[0-9a-f]{5}$",
                      r"^tlbshootdown: the child is gone$")
    r.expect_absent(r"stale TLB entry")


@mark(envs(4, syscalls=True))
def test_destroying_a_child_whose_cpu_answers_late_twice():
    # With the first answer late, the second destroy must still find the
    # child gone (JOS's -E_BAD_ENV), not half-destroyed.
    r = user_run("race-lateack-destroytwice", "destroytwice", cpus=4,
                 kargs="monitor=off run=destroytwice crash=lateack", timeout=120)
    r.expect(r'^destroytwice: 20 children destroyed; destroying one again said "bad '
             r'environment" 20 times$')
    r.expect_absent(r"user fault", r"again returned")


@mark(envs(4))
def test_an_ap_that_keeps_moving_is_not_given_up_on():
    # CPU 2 reported in, then takes 3 s (moving) to finish: longer than
    # aptimeout=1000, but it is alive, so the boot waits and says how long.
    # CPU 1 waits those 3 s for the kernel lock, which the boot CPU holds
    # while it starts the others: on purpose, so not reported as a stall.
    # (Environments run after, so that the APs take the lock. lockreport=2500:
    # under CPU 1's 3 s wait, and well over an ordinary wait on a busy host.)
    r = harness.run("race-apslow", cpus=4, kargs="monitor=off run=hello crash=apslow "
                    "crashcpu=2 aptimeout=1000 lockreport=2500")
    r.expect_pass()
    r.expect(r"^crash: CPU 2 takes 3 s to finish starting$",
             r"^SMP: CPU 2 \(APIC ID 2\) took [3-9]\d{3} ms to finish starting after it reported "
             r"in, more than aptimeout=1000: the host ran it slowly, but it kept moving$",
             r"^SMP: 4 of 4 CPUs started$")
    r.expect_absent(r"did not start", r"has waited \d+ ms for lock")
