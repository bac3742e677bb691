// Finding the CPUs and starting the application processors.
#pragma once

#include <inc/types.h>
#include <kern/smpconfig.h>

// The firmware's description of the machine, as mp_init found it.
extern SmpConfig smp_config;

// Fills cpus[] and ncpu from the ACPI MADT, else the MP table, else just
// the boot CPU; prints which source it used and JOS's
// "SMP: CPU 0 found N CPU(s)". The boot CPU is always cpus[0].
void mp_init();
// Starts every other CPU (smpboot=serial or parallel) and waits, bounded,
// for each to report; prints "SMP: k of N CPUs started".
void boot_aps();
