// Spinlocks and the big kernel lock.
#pragma once

#include <inc/atomic.h>
#include <inc/types.h>
#include <kern/lockturn.h>

struct Cpu;

// A mutual-exclusion lock for short critical sections on any CPU.
//
// Contract: acquire with interrupts disabled (the kernel runs with IF=0),
// never recursively, and release on the CPU that acquired it. Breaking any
// of these panics with the lock's name.
class Spinlock {
public:
	// report_stalls: whether a long wait for this lock is reported (the
	// console's lock cannot be: the report is printed through it).
	explicit constexpr Spinlock(const char *name, bool report_stalls = true)
		: name_(name), report_stalls_(report_stalls) {}
	Spinlock(const Spinlock &) = delete;
	Spinlock &operator=(const Spinlock &) = delete;

	void lock();
	// Takes the lock if it is free, without waiting; false otherwise.
	bool try_lock();
	void unlock();
	// True if the current CPU holds the lock.
	bool holding() const;
	const char *name() const { return name_; }

private:
	void report_stall(const char *task);	// task: what the holder said it was doing

	LockTurn<Cpu> turn_;		// the lock word, and a starving waiter's turn
	const char *name_;
	bool report_stalls_;
	Cpu *cpu_ = nullptr;		// the holder, for the checks and the stall report
	uint64_t pcs_[8] = {};		// return addresses when it was acquired
};

// Holds a Spinlock for the lifetime of a scope.
class [[nodiscard]] SpinlockGuard {
public:
	explicit SpinlockGuard(Spinlock &lk) : lk_(lk) { lk_.lock(); }
	~SpinlockGuard() { lk_.unlock(); }
	SpinlockGuard(const SpinlockGuard &) = delete;
	SpinlockGuard &operator=(const SpinlockGuard &) = delete;

private:
	Spinlock &lk_;
};

// The big kernel lock: held by whichever CPU runs kernel code on behalf of
// an environment (JOS lab 4).
extern Spinlock kernel_lock;

static inline void lock_kernel() { kernel_lock.lock(); }
static inline void unlock_kernel() { kernel_lock.unlock(); }
