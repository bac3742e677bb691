"""User environments, system calls and scheduling (JOS labs 3 and 4A)."""

import re

import pytest

import harness
from labdeps import cow, envs, mark, param, preempts


def user_run(name, progs, cpus=1, **kw):
    """Boots with these programs on `cpus` CPUs, every one of them started."""
    kw.setdefault("kargs", "monitor=off run=%s" % progs)
    r = harness.run(name, cpus=cpus, **kw)
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


@pytest.mark.parametrize("cpus", [pytest.param(1, marks=[mark(envs(1)), pytest.mark.exclusive], id="1")]
                         + [param(n, envs(n), id=str(n)) for n in [2, 4]])
def test_yield(cpus):
    # On one CPU the order is checked too: alone on the host, so that the
    # timer does not preempt an environment in the middle of its work.
    r = user_run("env-yield-%d" % cpus, "yield*3", cpus=cpus, exclusive=cpus == 1)
    for env in ("00001000", "00001001", "00001002"):
        r.expect(r"^Hello, I am environment %s, cpu \d+\.$" % env,
                 r"^Back in environment %s, iteration 4, cpu \d+\.$" % env,
                 r"^All done in environment %s\.$" % env)
    seen = cpus_seen(r)
    assert seen <= set(range(cpus)), r.explain("CPUs outside 0..%d: %s" % (cpus - 1, seen))
    if cpus > 1:
        assert len(seen) > 1, r.explain("with %d CPUs, every env ran on one CPU" % cpus)
    else:
        # One CPU, round robin: each yield passes it to the next environment,
        # 1000 -> 1001 -> 1002 -> 1000 ... (where the cycle starts may shift
        # if the timer preempts one before its first yield), and each
        # environment's iterations come in order.
        order = [(int(m.group(1)), int(m.group(2))) for m in
                 r.all(r"^Back in environment 0000100([0-2]), iteration (\d), cpu 0\.$")]
        envs_in_turn = [e for e, _ in order]
        cyclic = all(b == (a + 1) % 3 for a, b in zip(envs_in_turn, envs_in_turn[1:]))
        per_env = {e: [i for f, i in order if f == e] for e in range(3)}
        assert len(order) == 15 and cyclic and all(per_env[e] == list(range(5)) for e in range(3)), \
            r.explain("not round robin: %s" % order)


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
    r.expect_in_order(r"^\[[0-9a-f]{8}\] free env 00001000$", r"^i am environment 00001001$")
    r.expect_absent(r"I read|I changed|I ran code|the machine let me|back from the breakpoint",
                    r"^\[00001000\] exiting gracefully$")


@mark(envs())
def test_breakpoint_enters_monitor_and_continue_resumes():
    r = harness.run("env-breakpoint-monitor", kargs="run=breakpoint",
                    stdin=b"continue\rexit\r")
    r.expect_pass()
    r.expect_in_order(r"^  trap 0x00000003 Breakpoint$", r"^Welcome to the JOS kernel monitor!$",
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

@pytest.mark.kvm
@mark(envs(4, x2apic=True, syscalls=True))
def test_kvm_x2apic_yield_and_dumbfork():
    r = user_run("kvm-env", "yield*3,dumbfork", cpus=4, kvm=True, mem="64M", timeout=240)
    r.expect(r"^lapic: x2APIC mode", r"^All done in environment 00001002\.$",
             r"^19: I am the child!$")


@pytest.mark.kvm
@mark(preempts(cow(2, x2apic=True)))
def test_kvm_stresssched():
    # 2 CPUs: kernel code crawls under this kind of nested KVM, and the
    # 4-CPU run is test_lab4.py's test_stresssched (TCG).
    r = user_run("kvm-stresssched", "stresssched", cpus=2, kvm=True, mem="64M", timeout=60)
    lines = r.all(r"^\[[0-9a-f]{8}\] stresssched on CPU (\d+)$")
    assert len(lines) == 20, r.explain("20 children must finish")
    r.expect_absent(r"ran on two CPUs at once", r"user panic")
    assert len({m.group(1) for m in lines}) == 2, r.explain("the children all ran on one CPU")
