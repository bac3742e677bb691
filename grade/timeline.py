#!/usr/bin/python3
"""Draws who ran where: one row per CPU, from a boot's trace=on log.

    grade/timeline.py LOG OUT.png [--json OUT.json] [--title TEXT]

The kernel (kern/trace.cc) prints, once nothing is left to run, every CPU's
events in time order:

    trace: <us> cpu <n> run <env>            the CPU switched to env
    trace: <us> cpu <n> idle                 the CPU halted
    trace: <us> cpu <n> syscall <env> <num>  a system call
    trace: <us> cpu <n> ipc-recv <env>       env blocks to receive
    trace: <us> cpu <n> ipc-send <env> <to>  env's message reached `to`
    trace: <us> cpu <n> fault <env> <va>     a user page fault
    trace: <us> cpu <n> lock-wait <us> <lock>  the CPU waited that long
    trace: <us> cpu <n> shootdown <env> <cpus> <us>  TLB entries dropped

Each row shows the environments a CPU ran, one colour each (from a run to
the CPU's next run or idle), its waits for locks (black), its system
calls (ticks), page faults (red), IPC (an arrow from the sender's CPU to
the receiver's), and TLB shootdowns (triangles). --json writes what was
drawn, for tests.
"""

import argparse
import json
import os
import re
import sys

EVENT = re.compile(r"^trace: (\d+) cpu (\d+) ([a-z-]+)(?: (.*))?$")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def syscall_names():
    """{number: name} from inc/syscall.h's enum (SYS_cputs = 0, ...)."""
    try:
        with open(os.path.join(ROOT, "inc", "syscall.h")) as f:
            text = f.read()
    except OSError:
        return {}
    names = re.findall(r"^\s*SYS_(\w+)(?: = 0)?,", text, re.M)
    return dict(enumerate(names))


def parse(lines):
    """The events, and the number of CPUs the trace says it had."""
    events, ncpu, begun = [], 0, False
    for line in lines:
        line = line.rstrip("\r\n")
        m = re.match(r"^trace: begin, (\d+) CPU\(s\)", line)
        if m:
            ncpu, begun, events = int(m.group(1)), True, []
            continue
        if line == "trace: end":
            break
        m = EVENT.match(line)
        if m and begun:
            events.append((int(m.group(1)), int(m.group(2)), m.group(3),
                           (m.group(4) or "").split()))
    return events, ncpu


def layout(events, ncpu):
    """What to draw: per CPU, the environments' spans, lock waits, and the
    markers; IPC arrows between CPUs. Times in microseconds."""
    end = max((t for t, _, _, _ in events), default=0)
    runs = {c: [] for c in range(ncpu)}
    waits = {c: [] for c in range(ncpu)}
    marks = {"syscall": [], "fault": [], "shootdown": []}
    ipc = []
    current = {}                            # cpu -> (env, since)
    recv_cpu = {}                           # env -> the CPU it last blocked on

    def close(cpu, t):
        if cpu in current:
            env, since = current.pop(cpu)
            runs[cpu].append({"env": env, "start": since, "end": t})

    for t, cpu, kind, args in events:
        if kind == "run":
            close(cpu, t)
            current[cpu] = (args[0], t)
        elif kind == "idle":
            close(cpu, t)
        elif kind == "lock-wait":
            waits[cpu].append({"start": t - int(args[0]), "end": t, "lock": args[1]})
        elif kind == "ipc-recv":
            recv_cpu[args[0]] = cpu
            marks["syscall"].append({"cpu": cpu, "t": t, "env": args[0], "what": "ipc_recv"})
        elif kind == "ipc-send":
            to = args[1]
            ipc.append({"from_cpu": cpu, "to_cpu": recv_cpu.get(to), "t": t,
                        "env": args[0], "to": to})
        elif kind == "syscall":
            marks["syscall"].append({"cpu": cpu, "t": t, "env": args[0],
                                     "what": SYSCALLS.get(int(args[1]), args[1])})
        elif kind == "fault":
            marks["fault"].append({"cpu": cpu, "t": t, "env": args[0], "va": args[1]})
        elif kind == "shootdown":
            marks["shootdown"].append({"cpu": cpu, "t": t, "env": args[0], "cpus": int(args[1])})
    for cpu in list(current):
        close(cpu, end)
    return {"ncpu": ncpu, "end_us": end, "runs": runs, "waits": waits, "marks": marks,
            "ipc": ipc}


SYSCALLS = syscall_names()


def draw(d, out, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    ncpu = max(d["ncpu"], 1)
    envs = sorted({r["env"] for rs in d["runs"].values() for r in rs})
    cmap = plt.get_cmap("tab20")
    colour = {e: cmap(i % 20) for i, e in enumerate(envs)}
    ms = 1000.0
    fig, ax = plt.subplots(figsize=(14, max(3.5, 1.5 + 0.3 * ncpu)))
    for cpu in range(ncpu):
        y = cpu
        spans = d["runs"][cpu]
        ax.broken_barh([(r["start"] / ms, (r["end"] - r["start"]) / ms) for r in spans],
                       (y - 0.35, 0.7), facecolors=[colour[r["env"]] for r in spans],
                       linewidth=0)
        ax.broken_barh([(w["start"] / ms, (w["end"] - w["start"]) / ms)
                        for w in d["waits"][cpu]], (y - 0.12, 0.24), facecolors="black")
    syscalls = d["marks"]["syscall"]
    ax.scatter([m["t"] / ms for m in syscalls], [m["cpu"] + 0.38 for m in syscalls],
               marker="|", s=30, color="dimgray", linewidths=0.6, label="system call")
    faults = d["marks"]["fault"]
    ax.scatter([m["t"] / ms for m in faults], [m["cpu"] for m in faults], marker="x", s=20,
               color="red", label="page fault")
    shoot = d["marks"]["shootdown"]
    ax.scatter([m["t"] / ms for m in shoot], [m["cpu"] - 0.38 for m in shoot], marker="^",
               s=25, color="purple", label="TLB shootdown")
    for a in d["ipc"]:
        if a["to_cpu"] is not None:
            ax.annotate("", xy=(a["t"] / ms, a["to_cpu"]), xytext=(a["t"] / ms, a["from_cpu"]),
                        arrowprops={"arrowstyle": "->", "color": "green", "lw": 0.7})
    ax.set_yticks(range(ncpu))
    ax.set_yticklabels(["CPU %d" % c for c in range(ncpu)])
    ax.set_ylim(-0.6, ncpu - 0.4)
    ax.invert_yaxis()
    ax.set_xlabel("milliseconds since the kernel started")
    ax.set_title(title)
    handles = [Patch(color=colour[e], label=e) for e in envs[:20]]
    handles += [Patch(color="black", label="waiting for a lock")]
    handles += ax.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7,
              ncol=1 + len(handles) // 24)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("log")
    ap.add_argument("out")
    ap.add_argument("--json")
    ap.add_argument("--title", default="")
    args = ap.parse_args()
    with open(args.log, errors="replace") as f:
        events, ncpu = parse(f)
    if not ncpu:
        sys.exit("timeline: %s has no trace (boot with KARGS=trace=on, and let the environments "
                 "finish: the kernel prints its trace when nothing is left to run)" % args.log)
    d = layout(events, ncpu)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(d, f)
    draw(d, args.out, args.title or os.path.basename(args.log))
    print("timeline: %s: %d CPU(s), %d environment span(s), %.1f ms" % (
        args.out, ncpu, sum(len(r) for r in d["runs"].values()), d["end_us"] / 1000.0))


if __name__ == "__main__":
    main()
