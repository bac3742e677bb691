// One-line wrappers for the special instructions the kernel needs. Nothing
// else in the tree writes inline assembly for these.
#pragma once

#include <inc/types.h>

struct CpuidRegs { uint32_t eax, ebx, ecx, edx; };

#ifdef HOST_SIM
// Built for the host against a simulated machine (grade/lapicsim): the
// instructions that reach devices, MSRs and the CPU's identity are the
// simulator's functions. Others are not there: code that needs them does
// not belong in a simulated build.
uint8_t inb(uint16_t port);
void outb(uint16_t port, uint8_t v);
uint64_t rdmsr(uint32_t msr);
void wrmsr(uint32_t msr, uint64_t v);
uint64_t rdtsc();
CpuidRegs cpuid(uint32_t leaf, uint32_t subleaf = 0);
void mfence();
void lfence();
void cpu_relax();
#else

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	asm volatile("inb %w1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline void outb(uint16_t port, uint8_t v) { asm volatile("outb %0, %w1" : : "a"(v), "Nd"(port)); }
static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	asm volatile("inw %w1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline void outw(uint16_t port, uint16_t v) { asm volatile("outw %0, %w1" : : "a"(v), "Nd"(port)); }
static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	asm volatile("inl %w1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline void outl(uint16_t port, uint32_t v) { asm volatile("outl %0, %w1" : : "a"(v), "Nd"(port)); }
// cnt 32-bit words from port to addr, or from addr to port (rep insl/outsl).
static inline void insl(uint16_t port, void *addr, uint64_t cnt)
{
	asm volatile("cld; rep insl" : "+D"(addr), "+c"(cnt) : "d"(port) : "memory", "cc");
}
static inline void outsl(uint16_t port, const void *addr, uint64_t cnt)
{
	asm volatile("cld; rep outsl" : "+S"(addr), "+c"(cnt) : "d"(port) : "cc");
}

static inline void invlpg(uint64_t va) { asm volatile("invlpg (%0)" : : "r"(va) : "memory"); }
static inline void lidt(const void *p) { asm volatile("lidt (%0)" : : "r"(p)); }
static inline void lgdt(const void *p) { asm volatile("lgdt (%0)" : : "r"(p)); }
static inline void ltr(uint16_t sel) { asm volatile("ltr %0" : : "r"(sel)); }

static inline uint64_t rcr0() { uint64_t v; asm volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline void lcr0(uint64_t v) { asm volatile("mov %0, %%cr0" : : "r"(v)); }
static inline uint64_t rcr2() { uint64_t v; asm volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint64_t rcr3() { uint64_t v; asm volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline void lcr3(uint64_t v) { asm volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }
static inline uint64_t rcr4() { uint64_t v; asm volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void lcr4(uint64_t v) { asm volatile("mov %0, %%cr4" : : "r"(v)); }

static inline uint64_t read_rflags() { uint64_t v; asm volatile("pushfq; popq %0" : "=r"(v)); return v; }
static inline void write_rflags(uint64_t v) { asm volatile("pushq %0; popfq" : : "r"(v) : "memory", "cc"); }
static inline uint64_t read_rbp() { uint64_t v; asm volatile("mov %%rbp, %0" : "=r"(v)); return v; }
static inline uint64_t read_rsp() { uint64_t v; asm volatile("mov %%rsp, %0" : "=r"(v)); return v; }

static inline void cli() { asm volatile("cli" : : : "memory"); }
static inline void sti() { asm volatile("sti" : : : "memory"); }
static inline void hlt() { asm volatile("hlt" : : : "memory"); }
// sti takes effect after the next instruction, so no interrupt slips in
// between the two: the CPU wakes on the first interrupt that arrives.
static inline void sti_hlt() { asm volatile("sti; hlt" : : : "memory"); }
static inline void cpu_relax() { asm volatile("pause" : : : "memory"); }
// Lets pending interrupts in for one instruction (sti takes effect after
// the nop), then disables them again.
static inline void interrupt_window() { asm volatile("sti; nop; cli" : : : "memory"); }
static inline void mfence() { asm volatile("mfence" : : : "memory"); }
static inline void lfence() { asm volatile("lfence" : : : "memory"); }
static inline void swapgs() { asm volatile("swapgs" : : : "memory"); }

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (static_cast<uint64_t>(hi) << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	asm volatile("wrmsr" : : "c"(msr), "a"(static_cast<uint32_t>(v)),
		     "d"(static_cast<uint32_t>(v >> 32)) : "memory");
}

static inline uint64_t rdtsc()
{
	uint32_t lo, hi;
	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (static_cast<uint64_t>(hi) << 32) | lo;
}

static inline CpuidRegs cpuid(uint32_t leaf, uint32_t subleaf = 0)
{
	CpuidRegs r;
	asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
		     : "a"(leaf), "c"(subleaf));
	return r;
}

// Loads CS (through a far return) and the data segment registers.
static inline void reload_segments(uint16_t cs, uint16_t ds)
{
	asm volatile("pushq %q0; leaq 1f(%%rip), %%rax; pushq %%rax; lretq; 1:"
		     : : "r"(static_cast<uint64_t>(cs)) : "rax", "memory");
	asm volatile("movw %0, %%ds; movw %0, %%es; movw %0, %%ss" : : "r"(ds));
}

// Switches to the stack ending at top and calls fn there; never returns.
[[noreturn]] static inline void call_on_stack(uint64_t top, void (*fn)())
{
	asm volatile("movq %0, %%rsp; xorl %%ebp, %%ebp; callq *%1; ud2"
		     : : "r"(top), "r"(fn) : "memory");
	__builtin_unreachable();
}
#endif
