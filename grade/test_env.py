"""User environments, system calls and scheduling (JOS labs 3 and 4A)."""

import re

import pytest

import harness
from labdeps import cow, envs, mark, param, pgfault, preempts

pytestmark = pytest.mark.lab(4)


def user_run(name, progs, cpus=1, **kw):
    """Boots with these programs on `cpus` CPUs, every one of them started."""
    kw.setdefault("kargs", "monitor=off run=%s" % progs)
    return started(harness.run(name, cpus=cpus, **kw), cpus)


def started(r, cpus):
    """The run passed, without a panic, with every CPU started."""
    r.expect_pass()
    r.expect_absent(r"kernel panic")
    r.expect(r"^SMP: %d of %d CPUs started$" % (cpus, cpus))
    return r


def cpus_seen(r, pattern=r"cpu (\d+)\.$"):
    return {int(m.group(1)) for m in r.all(pattern)}


@mark(envs())
def test_hello():
    r = user_run("env-hello", "hello")
    r.expect_in_order(r"^\[00000000\] new env 00001000$", r"^hello, world$",
                      r"^i am environment 00001000$", r"^\[00001000\] exiting gracefully$",
                      r"^\[00001000\] free env 00001000$",
                      r"^No runnable environments in the system!$")


@pytest.mark.parametrize("cpus", [param(n, envs(n), id=str(n)) for n in [1, 2, 4]])
def test_yield(cpus):
    # With more than one CPU it runs alone (no other grader's QEMU beside
    # it): on a busy host an AP's thread could get no time before CPU 0
    # had run every environment.
    r = user_run("env-yield-%d" % cpus, "yield*3", cpus=cpus, exclusive=cpus > 1,
                 kargs="monitor=off schedtrace=on run=yield*3")
    for env in ("00001000", "00001001", "00001002"):
        r.expect(r"^Hello, I am environment %s, cpu \d+\.$" % env,
                 r"^Back in environment %s, iteration 4, cpu \d+\.$" % env,
                 r"^All done in environment %s\.$" % env)
    seen = cpus_seen(r)
    assert seen <= set(range(cpus)), r.explain("CPUs outside 0..%d: %s" % (cpus - 1, seen))
    if cpus > 1:
        assert len(seen) > 1, r.explain("with %d CPUs, every env ran on one CPU" % cpus)
    else:
        expect_round_robin(r)


def expect_round_robin(r):
    """One CPU, round robin, whatever the host's speed: every switch
    (schedtrace=on's `sched: CPU 0 runs ...`), after a yield or a timer
    preemption alike, goes to the next environment after the one that ran
    (after an exit, the first), in envs[] order, among those not yet freed;
    and each yield passes the
    CPU on: between two of an environment's `Back in` lines another
    environment ran. (A sched_yield that resumes curenv first fails both.)"""
    alive, ran, last = [0, 1, 2], None, {}
    switched_since = {e: True for e in alive}
    for line in r.lines:
        m = re.match(r"^sched: CPU 0 runs 0000100([0-2])$", line)
        if m:
            e = int(m.group(1))
            if ran is not None:
                after = [x for x in alive if x > ran] + [x for x in alive if x <= ran]
                assert after and e == after[0], r.explain(
                    "not round robin: after 0000100%d, CPU 0 ran 0000100%d (runnable: %s)"
                    % (ran, e, ", ".join("0000100%d" % x for x in alive)))
            for other in switched_since:
                if other != e:
                    switched_since[other] = True
            ran = e
            continue
        m = re.match(r"^Back in environment 0000100([0-2]), iteration (\d), cpu 0\.$", line)
        if m:
            e, i = int(m.group(1)), int(m.group(2))
            assert i == last.get(e, -1) + 1, r.explain(
                "0000100%d's iterations out of order: %d after %d" % (e, i, last.get(e, -1)))
            assert switched_since[e] or len(alive) == 1, r.explain(
                "0000100%d yielded, but no other environment ran before it went on "
                "(iteration %d)" % (e, i))
            switched_since[e], last[e] = False, i
            continue
        m = re.match(r"^\[0000100[0-2]\] free env 0000100([0-2])$", line)
        if m and int(m.group(1)) in alive:
            alive.remove(int(m.group(1)))
            if int(m.group(1)) == ran:
                ran = -1    # with no curenv, the search starts at envs[0]
    assert all(last.get(e) == 4 for e in range(3)), r.explain("not every environment reached "
                                                              "iteration 4: %s" % last)


@mark(envs(4))
def test_nine_environments_share_four_cpus():
    r = user_run("env-nine", "yield*9", cpus=4)
    done = r.all(r"^All done in environment (0000100[0-8])\.$")
    assert sorted(m.group(1) for m in done) == ["0000100%d" % i for i in range(9)], r.explain(
        "all nine environments must finish")
    assert len(cpus_seen(r)) >= 2, r.explain("nine environments stayed on one CPU")


@pytest.mark.parametrize("cpus", [param(n, cow(n), id=str(n)) for n in [2, 4]])
def test_spin_child_is_killed_on_more_cpus(cpus):
    # JOS's spin (grade/test_lab4.py) runs on one CPU; here the child runs
    # on a CPU of its own, and the parent must stop it there to free it.
    r = user_run("env-spin-%d" % cpus, "spin", cpus=cpus)
    r.expect_in_order(r"^I am the parent\.  Forking the child\.\.\.$",
                      r"^I am the parent\.  Running the child\.\.\.$",
                      r"^I am the parent\.  Killing the child\.\.\.$",
                      r"^\[00001000\] destroying 00001001$")
    # The parent frees the child itself, whichever CPU ran it. (The child
    # may not have printed yet: the parent's yields need not wait for it.)
    r.expect(r"^\[00001000\] free env 00001001$",
             r"^\[00001000\] exiting gracefully$", r"^\[00001000\] free env 00001000$")


# Each faulting program runs before hello: the fault ends only its own
# environment, and hello still runs afterwards.
FAULTS = [
    ("faultread", [r"^\[00001000\] user fault va 00000000 ip 008[0-9a-f]{5}$",
                   r"^  trap 0x0000000e Page Fault$",
                   r"^  err  0x00000004 \[user, read, not-present\]$"]),
    ("faultwrite", [r"^\[00001000\] user fault va 00000000 ip 008[0-9a-f]{5}$",
                    r"^  err  0x00000006 \[user, write, not-present\]$"]),
    ("faultkernel", [r"^\[00001000\] user fault va ffffffff80100000 ip 008[0-9a-f]{5}$",
                     r"^  err  0x00000005 \[user, read, protection\]$"]),
    ("faultro", [r"^\[00001000\] user fault va 7f0000000[0-9a-f]{3} ip 008[0-9a-f]{5}$",
                 r"^  err  0x00000007 \[user, write, protection\]$"]),
    ("faultnx", [r"^\[00001000\] user fault va 7eff[0-9a-f]{8} ip 7eff[0-9a-f]{8}$",
                 r"^  err  0x00000015 \[user, execute, protection\]$"]),
    ("faultgp", [r"^\[00001000\] user General Protection at ip 008[0-9a-f]{5}$",
                  r"^  trap 0x0000000d General Protection$"]),
    ("divzero", [r"^\[00001000\] user Divide error at ip 008[0-9a-f]{5}$"]),
    ("breakpoint", [r"^  trap 0x00000003 Breakpoint$",
                    r"^\[00001000\] breakpoint, and monitor=off: destroying the environment$"]),
    ("evilhello", [r"^\[00001000\] user_mem_check assertion failure for va ffffffff8010000c$"]),
    ("buggyhello", [r"^\[00001000\] user_mem_check assertion failure for va 00000001$"]),
]


@mark(envs())
@pytest.mark.parametrize("prog,expected", FAULTS, ids=[p for p, _ in FAULTS])
def test_user_fault_ends_only_that_environment(prog, expected):
    r = user_run("env-" + prog, prog + ",hello")
    r.expect(*expected)
    # hello may run before, during or after the faulting program: a timer
    # tick can preempt either one, more often on a busy host. Its whole run
    # and the kernel's orderly end (started() checks the pass status) show
    # that the fault ended nothing else.
    r.expect(r"^\[[0-9a-f]{8}\] free env 00001000$", r"^i am environment 00001001$",
             r"^\[00001001\] exiting gracefully$", r"^No runnable environments in the system!$")
    r.expect_absent(r"I read|I changed|I ran code|the machine let me|back from the breakpoint",
                    r"^\[00001000\] exiting gracefully$")


@mark(envs())
def test_breakpoint_enters_monitor_and_continue_resumes():
    r = harness.run("env-breakpoint-monitor", kargs="run=breakpoint",
                    stdin=b"continue\rexit\r")
    r.expect_pass()
    # JOS's order: the monitor's welcome, then the frame it was entered with.
    r.expect_in_order(r"^Welcome to the JOS kernel monitor!$", r"^  trap 0x00000003 Breakpoint$",
                      r"K> continue", r"^back from the breakpoint$",
                      r"^\[00001000\] exiting gracefully$")


@mark(envs(2, syscalls=True))
def test_env_id_reused_with_a_new_generation():
    r = user_run("env-reuse", "envreuse", cpus=2)
    r.expect(r"^\[00001000\] new env 00001001$", r"^\[00001000\] new env 00002001$",
             r"^first child 00001001, second child 00002001: same slot yes, new id yes$")


@mark(envs(2))
def test_user_copies_work_with_smep_and_smap():
    # TCG emulates SMEP and SMAP when the CPU model asks for them: the
    # kernel turns them on, and reading user strings (sys_cputs) must
    # still work while kernel addresses stay refused.
    r = user_run("env-smap", "hello,evilhello,faultnx", cpus=2,
                 make_extra=["TCG_CPU=qemu64,+smep,+smap"])
    r.expect(r"^mmu: SMEP on, SMAP on$", r"^hello, world$",
             r"^\[00001001\] user_mem_check assertion failure for va ffffffff8010000c$",
             r"^  err  0x00000015 \[user, execute, protection\]$")


@mark(envs())
def test_unknown_program_is_named():
    r = user_run("env-unknown", "hello,nosuchprog")
    r.expect(r"^env_create: no program 'nosuchprog' \(built-in: hello, yield, dumbfork, ")
    r.expect(r"^hello, world$")


@mark(envs(4))
def test_make_run_target_starts_one_copy_per_cpu():
    p = harness.make("run-yield-nox", "BOOT=direct", "CPUS=4", "KARGS=monitor=off", *harness.qemu_vars(),
                     check=False, timeout=120)
    out = p.stdout + p.stderr
    assert "command line \"run=yield*4 monitor=off\"" in out, out
    # The kernel's pass status (33) is success for make, and said in words.
    assert p.returncode == 0, "make run-yield-nox failed (%d):\n%s" % (p.returncode, out[-3000:])
    assert "the kernel finished and exited QEMU (status 33)" in p.stderr, p.stderr
    assert out.count("All done in environment") == 4, out
    assert len(set(re.findall(r"cpu (\d)\.", out))) > 1, "one CPU ran everything:\n" + out
    p = harness.make("run-hello-nox", "BOOT=direct", "CPUS=4", "COPIES=1", *harness.qemu_vars(),
                     "KARGS=monitor=off", check=False, timeout=120)
    assert "command line \"run=hello monitor=off\"" in p.stdout + p.stderr
    assert p.returncode == 0 and "(status 33)" in p.stderr, p.stderr


# ---------------------------------------------------------------------------

# KVM's default CPU offers x2APIC: where this machine has no KVM, a QEMU
# whose TCG emulates x2APIC stands in, or the QEMU in use (xAPIC) together
# with the simulated x2APIC boot (harness.run_x2apic).

@pytest.mark.kvm
@mark(envs(4, x2apic=True, syscalls=True))
def test_kvm_x2apic_yield_and_dumbfork():
    r = started(harness.run_x2apic("kvm-env", ["--count", "4"], kvm=True, cpus=4, mem="64M",
                                   timeout=240, kargs="monitor=off run=yield*3,dumbfork"), 4)
    r.expect(r"^lapic: %s mode" % ("x2APIC" if r.x2apic else "xAPIC"),
             r"^All done in environment 00001002\.$", r"^19: I am the child!$")


# SMEP and SMAP asked of the CPU model (KVM on a paravirtual host offers
# them anyway; TCG emulates both), so that the RFLAGS.AC path is there.
SMAP_CPU = "qemu64,+smep,+smap"


@pytest.mark.kvm
@mark(pgfault(2, x2apic=True))
def test_kvm_runs_system_calls_faults_and_an_entry_with_rflags_ac():
    # Every way into the kernel under KVM, where the instructions the kernel
    # may use are those the host's KVM can run: a paravirtual one (PVM) has
    # no clac or stac, and a boot that uses one stops at its first trap.
    # System calls, a user fault that ends its environment, a fault its own
    # handler takes, and a system call made with RFLAGS.AC set, which the
    # kernel must clear on entry (crash=syssmap: its direct read of the
    # caller's buffer must still fault, where the CPU has SMAP).
    # Where there is no KVM, the first boot stands in as every KVM grader's
    # does (harness.run_x2apic): KVM's CPU offers x2APIC, so the boot needs
    # the x2apic exercise wherever it runs.
    kvm = harness.kvm_available()
    cpu = ["KVM_CPU=" + SMAP_CPU, "TCG_CPU=" + SMAP_CPU]
    r = started(harness.run_x2apic("kvm-traps", ["--count", "2"], kvm=True, cpus=2, mem="64M",
                                   timeout=120, make_extra=cpu,
                                   kargs="monitor=off run=hello,faultread,faultalloc"), 2)
    r.expect(r"^hello, world$", r"^\[0000100\d\] user fault va 00000000 ip 008[0-9a-f]{5}$",
             r"^this string was faulted in at cafebffe$", r"^mmu: SMEP on, SMAP on$")
    expect_no_cpu_model_warning(r)
    r = harness.run("kvm-smapac", kvm=kvm, mem="64M", timeout=120, make_extra=cpu,
                    kargs="monitor=off run=smapac crash=syssmap")
    assert r.status == harness.EXIT_FAIL, r.explain("the kernel's direct read must fault")
    r.expect_in_order(r"^mmu: SMEP on, SMAP on$",
                      r"^crash: CPU 0 reads the caller's buffer at 0x[0-9a-f]+ directly \(the "
                      r"caller's RFLAGS\.AC is set\)$",
                      r"^kernel panic on CPU 0 at .*: kernel page fault on CPU 0: read from va ")
    r.expect_absent(r"nothing stopped it")
    expect_no_cpu_model_warning(r)


def expect_no_cpu_model_warning(r):
    """QEMU created the CPU model as asked: make left out what this host's
    KVM cannot give (conf/kvm-caps.sh drop), so QEMU warns of nothing."""
    warned = [l for l in r.stderr.splitlines() if "doesn't support requested feature" in l]
    assert not warned, r.explain("QEMU warned about the CPU model: %s" % warned[0])


@pytest.mark.kvm
@mark(preempts(cow(2, x2apic=True)))
def test_kvm_stresssched():
    # 2 CPUs: kernel code crawls under this kind of nested KVM, and the
    # 4-CPU run is test_lab4.py's test_stresssched (TCG).
    r = started(harness.run_x2apic("kvm-stresssched", ["--count", "2"], kvm=True, cpus=2,
                                   mem="64M", timeout=60, kargs="monitor=off run=stresssched"), 2)
    lines = r.all(r"^\[[0-9a-f]{8}\] stresssched on CPU (\d+)$")
    assert len(lines) == 20, r.explain("20 children must finish")
    r.expect_absent(r"ran on two CPUs at once", r"user panic")
    assert len({m.group(1) for m in lines}) == 2, r.explain("the children all ran on one CPU")
