"""JOS's lab 4 graders (MIT's 2018 grade-lab4), Parts A, B and C, 5 points
each, with the same names and the same lines in the same sense: every
pattern must appear, none of the `no` ones. Addresses follow our layout and
come from the headers (grade/layout.py), as JOS's follow its own. After
them, what JOS never checked: more CPUs, copy-on-write races, and IPC to a
halted CPU."""

import re

import pytest

import harness
import layout
from labdeps import cow, envs, ipc, mark, pgfault, preempts


# The tests after JOS's: their own part in make grade's report.
pytestmark = [pytest.mark.lab(4), pytest.mark.part("lab 4 beyond JOS")]


def jos(part):
    """A JOS grader: 5 points in Part A, B or C."""
    def mark_it(test):
        return pytest.mark.points(5)(pytest.mark.part("Part " + part)(test))
    return mark_it


def E(n, trim=False):
    """JOS's $En: the environment ID of the n-th user environment."""
    return ("%x" if trim else "%08x") % (0x1000 + n - 1)


def user_test(name, prog, cpus=1, **kw):
    """JOS's r.user_test: boot with the one program (one copy), on `cpus`
    CPUs (JOS's default is 1), until the kernel exits. Every CPU must have
    started: the test runs on as many as it says."""
    kw.setdefault("kargs", "monitor=off run=%s" % prog)
    kw.setdefault("timeout", 60)
    r = harness.run("lab4-" + name, cpus=cpus, **kw)
    if not kw.get("stop_on"):
        r.expect_pass()
    r.expect(r"^SMP: %d of %d CPUs started$" % (cpus, cpus))
    return r


def match(r, *patterns, no=()):
    """JOS's r.match: each pattern matches some whole line (JOS's regexes,
    where '.' stands for any character); none of the `no` ones does."""
    r.expect(*["^%s$" % p for p in patterns])
    if no:
        r.expect_absent(*["^%s$" % p for p in no])


def va(name, delta=0):
    return "%08x" % (layout.value(name) + delta)


# ---------------------------------------------------------------------------
# Part A

@jos("A")
@mark(envs(syscalls=True))
def test_dumbfork():
    r = user_test("dumbfork", "dumbfork")
    match(r, r"\[00000000\] new env %s" % E(1), r"\[%s\] new env %s" % (E(1), E(2)),
          "0: I am the parent.", "9: I am the parent.", "0: I am the child.",
          "9: I am the child.", "19: I am the child.",
          r"\[%s\] exiting gracefully" % E(1), r"\[%s\] free env %s" % (E(1), E(1)),
          r"\[%s\] exiting gracefully" % E(2), r"\[%s\] free env %s" % (E(2), E(2)))


# ---------------------------------------------------------------------------
# Part B

# JOS: "TRAP frame at 0xf....... from CPU ."; ours are kernel addresses too.
TRAP_FRAME = r"TRAP frame at 0x[0-9a-f]{16} from CPU \d+"


@jos("B")
@mark(envs())
def test_faultread():
    r = user_test("faultread", "faultread")
    match(r, r"\[%s\] user fault va 00000000 ip 008....." % E(1), TRAP_FRAME,
          "  trap 0x0000000e Page Fault", "  err  0x00000004.*",
          r"\[%s\] free env %s" % (E(1), E(1)), no=["I read ........ from location 0."])


@jos("B")
@mark(envs())
def test_faultwrite():
    r = user_test("faultwrite", "faultwrite")
    match(r, r"\[%s\] user fault va 00000000 ip 008....." % E(1), TRAP_FRAME,
          "  trap 0x0000000e Page Fault", "  err  0x00000006.*",
          r"\[%s\] free env %s" % (E(1), E(1)))


@jos("B")
@mark(envs(syscalls=True) + ["pgfault_upcall", "page_fault_handler", "set_pgfault_handler"])
def test_faultdie():
    # Its handler ends the environment: nothing returns through pfentry.
    r = user_test("faultdie", "faultdie")
    match(r, "i faulted at va deadbeef, err 6", r"\[%s\] exiting gracefully" % E(1),
          r"\[%s\] free env %s" % (E(1), E(1)))


@jos("B")
@mark(pgfault())
def test_faultregs():
    r = user_test("faultregs", "faultregs")
    match(r, "Registers in UTrapframe OK", "Registers after page-fault OK",
          no=["Registers in UTrapframe MISMATCH", "Registers after page-fault MISMATCH"])


@jos("B")
@mark(pgfault())
def test_faultalloc():
    r = user_test("faultalloc", "faultalloc")
    match(r, "fault deadbeef", "this string was faulted in at deadbeef", "fault cafebffe",
          "fault cafec000", "this string was faulted in at cafebffe",
          r"\[%s\] exiting gracefully" % E(1), r"\[%s\] free env %s" % (E(1), E(1)))


@jos("B")
@mark(envs(syscalls=True) + ["pgfault_upcall", "set_pgfault_handler"])
def test_faultallocbad():
    r = user_test("faultallocbad", "faultallocbad")
    match(r, r"\[%s\] user_mem_check assertion failure for va deadbeef" % E(1),
          r"\[%s\] free env %s" % (E(1), E(1)))


# The UTrapframe the kernel would push on an exception stack that is not
# there: JOS's eebfff.. (UXSTACKTOP - sizeof(struct UTrapframe)).
NOSTACK_VA = va("UXSTACKTOP", -layout.value("UTF_SIZE"))
# JOS also accepts a handler that faults until the exception stack runs
# out: the first address below it (its eebfe...).
BELOW_XSTACK = va("UXSTACKTOP", -2 * layout.value("PGSIZE"))[:-3] + "..."


@jos("B")
@mark(envs() + ["pgfault_upcall", "page_fault_handler"])
def test_faultnostack():
    r = user_test("faultnostack", "faultnostack")
    match(r, r"\[%s\] user_mem_check assertion failure for va %s" % (E(1), NOSTACK_VA),
          r"\[%s\] free env %s" % (E(1), E(1)))


@jos("B")
@mark(envs(syscalls=True) + ["pgfault_upcall", "page_fault_handler"])
def test_faultbadhandler():
    r = user_test("faultbadhandler", "faultbadhandler")
    match(r, r"\[%s\] user_mem_check assertion failure for va (deadbeef|%s)"
          % (E(1), BELOW_XSTACK), r"\[%s\] free env %s" % (E(1), E(1)))


# The upcall faultevilhandler names: the kernel's entry code (JOS's
# 0xf0100020, KERNBASE + 0x100020 there and here).
EVIL_VA = va("KERNBASE", 0x100020)


@jos("B")
@mark(envs(syscalls=True) + ["pgfault_upcall", "page_fault_handler"])
def test_faultevilhandler():
    r = user_test("faultevilhandler", "faultevilhandler")
    match(r, r"\[%s\] user_mem_check assertion failure for va (%s|%s)"
          % (E(1), EVIL_VA, BELOW_XSTACK), r"\[%s\] free env %s" % (E(1), E(1)))


FORKTREE_NAMES = ["", "0", "1", "00", "01", "10", "11", "000", "001", "010", "011", "100",
                  "101", "110", "111"]


@jos("B")
@mark(cow())
def test_forktree():
    r = user_test("forktree", "forktree")
    match(r, "....: I am .0.", "....: I am .1.", "....: I am .000.", "....: I am .100.",
          "....: I am .110.", "....: I am .111.", "....: I am .011.", "....: I am .001.",
          r"\[%s\] exiting gracefully" % E(1), r"\[%s\] exiting gracefully" % E(2),
          r".0000200.. exiting gracefully", r".0000200.. free env 0000200.")
    # Every environment of the tree (15) exits, and is freed.
    assert len(r.all(r"^\[[0-9a-f]{8}\] exiting gracefully$")) == 15, r.explain(
        "15 environments must exit")
    assert len(r.all(r"^\[[0-9a-f]{8}\] free env [0-9a-f]{8}$")) == 15, r.explain(
        "15 environments must be freed")


# ---------------------------------------------------------------------------
# Part C


@jos("C")
@mark(preempts(cow()))
def test_spin():
    # Without preemption the child keeps the only CPU: bounded by 15 s.
    r = user_test("spin", "spin", timeout=15)
    match(r, r"\[00000000\] new env %s" % E(1), r"I am the parent.  Forking the child...",
          r"\[%s\] new env %s" % (E(1), E(2)), r"I am the parent.  Running the child...",
          r"I am the child.  Spinning...", r"I am the parent.  Killing the child...",
          r"\[%s\] destroying %s" % (E(1), E(2)), r"\[%s\] free env %s" % (E(1), E(2)),
          r"\[%s\] exiting gracefully" % E(1), r"\[%s\] free env %s" % (E(1), E(1)))


@jos("C")
@pytest.mark.exclusive
@mark(preempts(cow(4)))
def test_stresssched():
    # Every CPU must print: alone on the host, so that none is starved.
    r = user_test("stresssched", "stresssched", cpus=4, timeout=20, exclusive=True)
    match(r, r".000010... stresssched on CPU 0", r".000010... stresssched on CPU 1",
          r".000010... stresssched on CPU 2", r".000010... stresssched on CPU 3",
          no=[r".*ran on two CPUs at once"])


@jos("C")
@mark(ipc(2))
def test_sendpage():
    r = user_test("sendpage", "sendpage", cpus=2)
    match(r, r"\[00000000\] new env 00001000", r"\[00000000\] new env %s" % E(1),
          r"\[%s\] new env %s" % (E(1), E(2)),
          r"%s got message: hello child environment! how are you\?" % E(1, True),
          "child received correct message",
          r"%s got message: hello parent environment! I'm good." % E(2, True),
          "parent received correct message",
          r"\[%s\] exiting gracefully" % E(1), r"\[%s\] free env %s" % (E(1), E(1)),
          r"\[%s\] exiting gracefully" % E(2), r"\[%s\] free env %s" % (E(2), E(2)))


@jos("C")
@mark(ipc(4))
def test_pingpong():
    r = user_test("pingpong", "pingpong", cpus=4)
    match(r, r"\[00000000\] new env %s" % E(1), r"\[%s\] new env %s" % (E(1), E(2)),
          "send 0 from %s to %s" % (E(1, True), E(2, True)),
          "%s got 0 from %s" % (E(2, True), E(1, True)),
          "%s got 1 from %s" % (E(1, True), E(2, True)),
          "%s got 8 from %s" % (E(2, True), E(1, True)),
          "%s got 9 from %s" % (E(1, True), E(2, True)),
          "%s got 10 from %s" % (E(2, True), E(1, True)),
          r"\[%s\] exiting gracefully" % E(1), r"\[%s\] free env %s" % (E(1), E(1)),
          r"\[%s\] exiting gracefully" % E(2), r"\[%s\] free env %s" % (E(2), E(2)))


def primes_up_to(n):
    return [p for p in range(2, n + 1) if all(p % d for d in range(2, int(p ** 0.5) + 1))]


def primes_run(name, cpus):
    # JOS stops at 1877, the 288th prime; the sieve would go on forking.
    r = user_test(name, "primes", cpus=cpus, stop_on=[r"CPU \d+: 1877 ", r"panic"],
                  kargs="run=primes", exclusive=cpus > 4)
    assert r.stopped_on and "1877" in r.stopped_on and r.status == 0, r.explain(
        "the sieve did not reach 1877")
    return r


@jos("C")
@mark(ipc(4))
def test_primes():
    r = primes_run("primes", 4)
    lines = [r"\[00000000\] new env %s" % E(1), r"\[%s\] new env %s" % (E(1), E(2))]
    # JOS lists the first five and the last; every one must be there.
    lines += [r"CPU .: %d .%s. new env %s" % (p, E(i + 2), E(i + 3))
              for i, p in enumerate(primes_up_to(1877))]
    match(r, *lines)


# ---------------------------------------------------------------------------
# Beyond JOS: eight CPUs, races on copy-on-write pages, IPC to a halted CPU.


@mark(envs(syscalls=True) + ["pgfault_upcall"])
def test_system_calls_refuse_what_the_rules_forbid():
    # JOS's lab 4 tests what its system calls do, not what they refuse:
    # a writable mapping of a read-only page, a page at UTOP, in the
    # kernel or unaligned, a status other than runnable or not, and
    # another environment's state from one that is not its parent.
    # Its stranger is outlive, environment 00001001, which exits only after
    # sysrefuse has: an environment that had already gone would be refused
    # whatever the permission check.
    r = user_test("sysrefuse", "sysrefuse", kargs="monitor=off run=sysrefuse,outlive")
    match(r, r"sysrefuse: sys_page_map of a read-only page, writable: invalid parameter \(-3\)",
          r"sysrefuse: sys_page_alloc at UTOP: invalid parameter \(-3\)",
          r"sysrefuse: sys_page_alloc at the kernel's base: invalid parameter \(-3\)",
          r"sysrefuse: sys_page_alloc at an unaligned address: invalid parameter \(-3\)",
          r"sysrefuse: sys_env_set_status to 7: invalid parameter \(-3\)",
          r"sysrefuse: sys_env_set_pgfault_upcall of an environment that is not its child: "
          r"bad environment \(-2\)",
          r"sysrefuse: sys_env_set_status of an environment that is not its child: "
          r"bad environment \(-2\)",
          r"sysrefuse: 0 answer\(s\) the rules forbid")


@mark(cow())
def test_fork_keeps_read_only_pages_read_only():
    # Copy-on-write is for writable pages: a child's write to a page its
    # parent has read-only (forkro's read-only data) must fault, and fork's
    # pgfault refuse it. A duppage that marked every page copy-on-write let
    # the child write there, and scored as a correct fork did.
    r = user_test("forkro", "forkro")
    match(r, r"forkro: the child writes to read-only data at 0x00000000008[0-9a-f]{5}",
          r"\[%s\] user panic in .* pgfault: a write at va 008[0-9a-f]{5} \(rip 008[0-9a-f]{5}, "
          r"err 0x7\), "
          r"and the page is not copy-on-write" % E(2),
          r"forkro: the parent's read-only data: 'read-only data'",
          no=[r"forkro: the child's write went through.*"])


@pytest.mark.exclusive
@mark(cow(8))
def test_forktree_on_8_cpus_uses_every_cpu():
    # Sixteen trees at once (240 environments, each short-lived), so that
    # there is work for eight CPUs; schedtrace=on shows which CPU runs which
    # environment. Alone on the host: with two host cores shared among more
    # virtual CPUs, one of them can stay descheduled for most of the run.
    r = user_test("forktree-8", "forktree", cpus=8, exclusive=True,
                  kargs="monitor=off schedtrace=on run=forktree*16")
    names = sorted(m.group(1) for m in r.all(r"^[0-9a-f]{4,}: I am '([01]*)'$"))
    assert names == sorted(FORKTREE_NAMES * 16), r.explain("not every environment of the trees ran")
    cpus = {int(m.group(1)) for m in r.all(r"^sched: CPU (\d+) runs [0-9a-f]{8}$")}
    assert cpus == set(range(8)), r.explain("CPUs that ran environments: %s" % sorted(cpus))
    r.expect_absent(r"panic")


@pytest.mark.exclusive
@mark(ipc(8))
def test_primes_on_8_cpus_uses_every_cpu():
    r = primes_run("primes-8", 8)
    # (QEMU stops a little after the line: a prime or two more may follow.)
    found = [int(m.group(1)) for m in r.all(r"^CPU \d+: (\d+) \[")]
    primes = primes_up_to(1877)
    assert found[:len(primes)] == primes, r.explain("the primes are not all there, in order")
    cpus = {int(m.group(1)) for m in r.all(r"^CPU (\d+): \d+ \[")}
    assert cpus == set(range(8)), r.explain("CPUs that printed primes: %s" % sorted(cpus))


@pytest.mark.exclusive
@mark(cow(2))
def test_cow_page_written_on_two_cpus_at_once():
    r = user_test("cowrace", "cowrace", cpus=2, exclusive=True)
    lines = r.all(r"^cowrace: the (parent|child) \(CPU (\d)\) saw only its own writes$")
    assert sorted(m.group(1) for m in lines) == ["child", "parent"], r.explain(
        "both must see only their own writes")
    assert lines[0].group(2) != lines[1].group(2), r.explain("they started on the same CPU")
    r.expect_absent(r"saw the other's writes", r"panic")


@pytest.mark.exclusive
@mark(ipc(2, forks=False))
def test_ipc_wakes_a_receiver_whose_cpu_is_halted():
    # The receiver's CPU halts between messages (its only environment
    # waits); each send must wake it with an IPI, not leave the message for
    # the idle tick (100 ms): 100 messages would take 5 s on average.
    r = user_test("ipcwake", "ipcwake", cpus=2, exclusive=True)
    m = re.search(r"TSC ([\d.]+) MHz", r.first(r"^clock: TSC [\d.]+ MHz") or "")
    line = r.first(r"^ipcwake: 100 of 100 messages answered, in \d+ TSC ticks$")
    assert m and line, r.explain("no TSC frequency or no ipcwake result")
    seconds = int(re.search(r"in (\d+) TSC", line).group(1)) / (float(m.group(1)) * 1e6)
    assert seconds < 1.0, r.explain("100 messages took %.2f s: the receiver's CPU was not "
                                    "woken for them" % seconds)
