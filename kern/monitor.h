// The kernel monitor: a small command interpreter on the console.
#pragma once

struct Trapframe;

// Reads and runs commands until one asks to leave. tf is the trap that
// entered the monitor (a breakpoint), or nullptr.
void monitor(Trapframe *tf);

int mon_help(int argc, char **argv, Trapframe *tf);
int mon_kerninfo(int argc, char **argv, Trapframe *tf);
int mon_backtrace(int argc, char **argv, Trapframe *tf);
int mon_exit(int argc, char **argv, Trapframe *tf);
int mon_continue(int argc, char **argv, Trapframe *tf);
