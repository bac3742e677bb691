// Atomic<T>: std::atomic's core over GCC's __atomic builtins.
//
// Why not <atomic>: g++ 12's <atomic> pulls in C++20 atomic-wait support,
// which includes hosted glibc headers (stdio.h, unistd.h) even with
// -ffreestanding. A kernel must not depend on those.
#pragma once

#include <inc/types.h>

enum class MemoryOrder : int {
	relaxed = __ATOMIC_RELAXED,
	acquire = __ATOMIC_ACQUIRE,
	release = __ATOMIC_RELEASE,
	acq_rel = __ATOMIC_ACQ_REL,
	seq_cst = __ATOMIC_SEQ_CST,
};

template <typename T>
class Atomic {
public:
	constexpr Atomic() : v_() {}
	constexpr Atomic(T v) : v_(v) {}
	Atomic(const Atomic &) = delete;
	Atomic &operator=(const Atomic &) = delete;

	T load(MemoryOrder mo = MemoryOrder::seq_cst) const
	{
		return __atomic_load_n(&v_, static_cast<int>(mo));
	}
	void store(T v, MemoryOrder mo = MemoryOrder::seq_cst)
	{
		__atomic_store_n(&v_, v, static_cast<int>(mo));
	}
	T exchange(T v, MemoryOrder mo = MemoryOrder::seq_cst)
	{
		return __atomic_exchange_n(&v_, v, static_cast<int>(mo));
	}
	// On failure, expected receives the current value.
	bool compare_exchange(T &expected, T desired, MemoryOrder mo = MemoryOrder::seq_cst)
	{
		return __atomic_compare_exchange_n(&v_, &expected, desired, false,
						   static_cast<int>(mo), __ATOMIC_RELAXED);
	}
	T fetch_add(T d, MemoryOrder mo = MemoryOrder::seq_cst)
	{
		return __atomic_fetch_add(&v_, d, static_cast<int>(mo));
	}
	T fetch_sub(T d, MemoryOrder mo = MemoryOrder::seq_cst)
	{
		return __atomic_fetch_sub(&v_, d, static_cast<int>(mo));
	}

private:
	T v_;
};
