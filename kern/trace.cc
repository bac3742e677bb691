// trace=on: each CPU's events in a ring of pages of its own (kern/trace.h).

#include <kern/trace.h>

#include <inc/memlayout.h>
#include <inc/x86.h>
#include <kern/clock.h>
#include <kern/cmdline.h>
#include <kern/cpu.h>
#include <kern/pmap.h>
#include <kern/printf.h>

namespace {

struct TraceEvent {
	uint64_t tsc;
	uint64_t arg, arg2;
	const char *name;
	uint32_t env;
	TraceKind kind;
};

// Up to kMaxPages pages a CPU (6553 events), fewer when memory is short.
constexpr int kMaxPages = 64;
constexpr uint32_t kPerPage = PGSIZE / sizeof(TraceEvent);

struct Ring {
	TraceEvent *page[kMaxPages];
	uint32_t npages;
	uint32_t n;		// events written
	uint64_t dropped;	// events a full ring did not keep
};

Ring rings[NCPU];
bool tracing;

TraceEvent &
slot(Ring &r, uint32_t i)
{
	return r.page[i / kPerPage][i % kPerPage];
}

const char *
kind_name(TraceKind k)
{
	switch (k) {
	case TraceKind::Run: return "run";
	case TraceKind::Idle: return "idle";
	case TraceKind::Syscall: return "syscall";
	case TraceKind::Fault: return "fault";
	case TraceKind::IpcSend: return "ipc-send";
	case TraceKind::IpcRecv: return "ipc-recv";
	case TraceKind::LockWait: return "lock-wait";
	case TraceKind::Shootdown: return "shootdown";
	}
	return "?";
}

void
print_event(int cpu, const TraceEvent &e)
{
	cprintf("trace: %lu cpu %d %s", tsc_to_us(e.tsc - boot_tsc), cpu, kind_name(e.kind));
	switch (e.kind) {
	case TraceKind::Idle:
		break;
	case TraceKind::Run:
	case TraceKind::IpcRecv:
		cprintf(" %08x", e.env);
		break;
	case TraceKind::Syscall:
		cprintf(" %08x %lu", e.env, e.arg);
		break;
	case TraceKind::Fault:
		cprintf(" %08x %lx", e.env, e.arg);
		break;
	case TraceKind::IpcSend:
		cprintf(" %08x %08lx", e.env, e.arg);
		break;
	case TraceKind::LockWait:
		cprintf(" %lu %s", e.arg, e.name ? e.name : "?");
		break;
	case TraceKind::Shootdown:
		cprintf(" %08x %lu %lu", e.env, e.arg, e.arg2);
		break;
	}
	cprintf("\n");
}

} // namespace

// Called on the boot CPU once every CPU is known, before the APs start.
void
trace_init()
{
	if (!kargs.trace)
		return;
	// At most a quarter of the free pages, shared by the CPUs.
	size_t pages = MIN<size_t>(kMaxPages, free_page_count() / 4 / static_cast<size_t>(ncpu));
	if (pages == 0) {
		cprintf("trace: no memory for the trace (%d CPUs); trace=on ignored\n", ncpu);
		return;
	}
	for (int c = 0; c < ncpu; c++) {
		for (size_t p = 0; p < pages; p++) {
			PageInfo *pp = page_alloc(ALLOC_ZERO);
			assert(pp != nullptr);		// a quarter of the free pages at most
			pp->pp_ref++;			// the trace's for good
			rings[c].page[p] = static_cast<TraceEvent *>(page2kva(pp));
		}
		rings[c].npages = static_cast<uint32_t>(pages);
	}
	cprintf("trace: on, %u events a CPU\n", static_cast<uint32_t>(pages * kPerPage));
	tracing = true;
}

void
trace(TraceKind kind, uint32_t env, uint64_t arg, uint64_t arg2, const char *name)
{
	if (!tracing)
		return;
	// Only this CPU writes its ring; interrupts are off in the kernel.
	Ring &r = rings[cpunum()];
	if (r.n >= r.npages * kPerPage) {
		r.dropped++;
		return;
	}
	slot(r, r.n) = TraceEvent{rdtsc(), arg, arg2, name, env, kind};
	r.n++;
}

void
trace_dump()
{
	if (!tracing)
		return;
	tracing = false;
	uint64_t total = 0, dropped = 0;
	static uint32_t next[NCPU];
	for (int c = 0; c < ncpu; c++) {
		total += rings[c].n;
		dropped += rings[c].dropped;
		next[c] = 0;
	}
	cprintf("trace: begin, %d CPU(s), %lu event(s), %lu dropped (a full ring keeps its "
		"first events)\n", ncpu, total, dropped);
	// Merge the rings, each in time order, by time.
	for (uint64_t k = 0; k < total; k++) {
		int best = -1;
		for (int c = 0; c < ncpu; c++)
			if (next[c] < rings[c].n &&
			    (best < 0 || slot(rings[c], next[c]).tsc < slot(rings[best], next[best]).tsc))
				best = c;
		print_event(best, slot(rings[best], next[best]));
		next[best]++;
	}
	cprintf("trace: end\n");
}
