// The kernel command line: space-separated key=value arguments.
#pragma once

#include <inc/types.h>

enum class ApicMode { Auto, Xapic, X2apic };
enum class SmpBoot { Serial, Parallel };
// apwait=auto|full|short: the waits of INIT-SIPI-SIPI (kern/lapic.h). auto:
// short where the CPU is of a family that needs no more (smpboot.cc).
enum class ApWait { Auto, Full, Short };
// Deliberate faults and races, for graders and for showing students what
// the kernel reports: crash=NAME (on the CPU given by crashcpu=N).
//   aplate:     the AP arrives after the boot CPU gave up on it
//   apdeadline: the AP reports in just as its deadline passes, before the
//               boot CPU gives up on it
//   apoverflow: the AP overflows its stack as soon as it has printed
//   nmilock:    the AP holds the console while it sends CPU 0 two NMIs
//   smap, smep: the kernel reads, or runs, a user page (SMAP, SMEP stop it)
//   syssmap:    sys_cputs reads the caller's buffer directly, not through
//               copy_from_user (SMAP must stop it, whatever the caller's
//               RFLAGS.AC)
//   lateack:    the first CPU asked to drop a TLB entry or an environment
//               answers only after 2.5 s, as a host that stalls it would
//   apslow:     the AP, once it has reported in, takes 3 s to finish
//               starting, moving all the while (a host that runs it slowly)
//   apmiss:     the AP gets no STARTUP from its first INIT-SIPI-SIPI round,
//               as if it had missed them: it must be started again
//   freetwice:  once mem_init is done, page_free gets a page it freed
//               already (it must panic, naming the page)
//   freeused:   page_free gets a page that still has a reference (the same)
enum class Crash {
	None, PageFault, Overflow, TripleFault, ApStall, Relock, LockStall,
	ApLate, ApDeadline, ApOverflow, NmiLock, Smap, Smep, SysSmap, LateAck, ApSlow, ApMiss,
	FreeTwice, FreeUsed,
};
// exitat=entry|smp: leave QEMU (pass status) as soon as the command line is
// read, or once every CPU is up; for measuring boot cost.
enum class ExitAt { Never, Entry, Smp };

// fs=auto|on|off|test: whether the file-system server starts (lab 5). auto:
// when a disk is attached and a run= program uses the file system; test:
// always, and it runs its self-test (fs/test.cc) first.
enum class FsStart { Auto, On, Off, Test };

// run=PROG[,PROG...]: the first environments; PROG*N starts N copies.
struct RunProgram {
	char name[32];
	uint32_t copies;
};
constexpr int kMaxRunPrograms = 32;

// memmap=SIZE$ADDR (Linux's form) or SIZE:ADDR: a physical range the kernel
// must not use, whatever the firmware's memory map says about it.
struct MemmapRange {
	uint64_t base;
	uint64_t len;
};
constexpr int kMaxMemmap = 8;

struct KernelArgs {
	// lab=N: how far the boot goes (kern/lab.h): lab 1's console and
	// backtrace, lab 2's memory, lab 3's one environment, lab 4's CPUs and
	// scheduler, lab 5's file system, lab 6's network. Default: the
	// tree's lab (kern/init.cc's kargs).
	int lab = 6;
	ApicMode apic = ApicMode::Auto;
	SmpBoot smpboot = SmpBoot::Serial;
	ApWait apwait = ApWait::Auto;
	bool acpi = true;		// acpi=off: find CPUs through MP tables only
	bool timing = false;		// timing=on: print when each boot phase ends
	bool tabledump = false;		// tabledump=on: print the firmware tables read
	bool schedtrace = false;	// schedtrace=on: print which CPU runs which env
	bool trace = false;		// trace=on: record what each CPU does (kern/trace.h)
	ExitAt exitat = ExitAt::Never;
	bool monitor = true;		// monitor=off: exit QEMU instead of waiting
	Crash crash = Crash::None;
	uint32_t crashcpu = 0;
	uint32_t aptimeout_ms = 2000;	// aptimeout=MS: how long an AP may take to report in
	uint32_t lockreport_ms = 5000;	// lockreport=MS: a lock wait this long names the holder
	FsStart fs = FsStart::Auto;
	RunProgram run[kMaxRunPrograms] = {{"hello", 1}};
	int nrun = 1;
	// memmap=: every word adds its ranges to these.
	MemmapRange memmap[kMaxMemmap] = {};
	int nmemmap = 0;
};

// The arguments this boot was given (kern_main fills them in).
extern KernelArgs kargs;

// Parses cmdline into args. Each unknown key and each malformed value is
// reported through diag (one line, no newline) and otherwise ignored: the
// field keeps its default. Returns the number of problems reported.
int cmdline_parse(const char *cmdline, KernelArgs *args,
		  void (*diag)(void *ctx, const char *msg), void *ctx);
