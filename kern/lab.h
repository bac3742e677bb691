// The course's labs, as the boot runs them (DESIGN.md §6): lab 1's console
// and backtrace, lab 2's memory, lab 3's environments and traps, lab 4's
// CPUs and scheduler, lab 5's file system. lab=N (kargs.lab; by default
// the lab the tree is for) ends the boot after lab N's part.
#pragma once

#include <kern/cmdline.h>

// A student's exercise that is still a stub stops the boot here, cleanly:
// "lab N starts here: WHAT is not implemented", then the kernel monitor
// (with monitor=off, QEMU exits with the fail status: a grader waits for
// nothing). Stubs call it; it never returns.
[[noreturn]] void lab_todo(int lab, const char *what);
// Set once a stub has stopped the boot: the monitor's `exit` then leaves
// QEMU with the same status lab_todo would (37), not "finished".
extern bool lab_stopped;

// lab=N's part of the boot is over: says so, naming where lab N+1 goes
// on, and waits in the monitor (monitor=off: QEMU exits, pass status).
[[noreturn]] void lab_done(int lab, const char *next);

// True once the boot runs lab 4's part: other CPUs, the big kernel lock,
// the scheduler. Before that (lab=3) one environment runs on the boot CPU
// with no lock, as in JOS's lab 3.
inline bool
lab_smp()
{
	return kargs.lab >= 4;
}
