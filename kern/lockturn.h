// LockTurn: the lock word of a Spinlock and its "next turn" word, as a
// protocol free of timing and CPUs, so the host tests can drive it.
//
// Whoever finds the lock free first takes it. A waiter that has waited too
// long claims the next turn: from then on nobody else may take the lock
// while it is free, and release hands it to the claimant directly.
//
// The turn word holds one of three things: 0 (nobody is owed a turn), a
// claim (the waiter's address), or a handover (the address with bit 0
// set). Every change of the turn is one atomic operation, so a claim can
// never be made on top of a handover that its owner has not yet seen (the
// earlier two-word form could: the claimant then took the lock with its
// claim still standing, released it keeping the claim, and no other CPU
// could ever take the lock again).
#pragma once

#include <inc/atomic.h>
#include <inc/types.h>

template <typename Waiter>
class LockTurn {
public:
	// Takes the lock for me if release handed it to me, or if it is free
	// and nobody else holds the claim. True if it is now mine.
	bool try_take(const Waiter *me)
	{
		// Acquire: a handover publishes the previous holder's writes.
		uintptr_t t = turn_.load(MemoryOrder::acquire);
		if (t == handed(me)) {
			turn_.store(0, MemoryOrder::relaxed);	// locked_ stays 1
			return true;
		}
		if (t != 0 && t != claim(me))
			return false;
		// Plain load first: waiters do not steal the line from the holder.
		if (locked_.load(MemoryOrder::relaxed) != 0 ||
		    locked_.exchange(1, MemoryOrder::acquire) != 0)
			return false;
		// Only the claimant withdraws a claim, and only while it holds
		// the lock, so the claim read above is still there.
		if (t == claim(me))
			turn_.store(0, MemoryOrder::relaxed);
		return true;
	}

	// Takes the lock only if it is free and nobody is owed a turn.
	bool try_take_unclaimed()
	{
		return turn_.load(MemoryOrder::relaxed) == 0 &&
		       locked_.load(MemoryOrder::relaxed) == 0 &&
		       locked_.exchange(1, MemoryOrder::acquire) == 0;
	}

	// Claims the next turn for me unless another waiter has. True if the
	// turn is mine (claimed, or already handed to me).
	bool claim_turn(const Waiter *me)
	{
		uintptr_t t = 0;
		if (turn_.compare_exchange(t, claim(me), MemoryOrder::relaxed))
			return true;
		return owed(me, t);
	}

	// Releases the lock held by me: to the claimant if there is one.
	void release(const Waiter *me)
	{
		uintptr_t t = turn_.load(MemoryOrder::relaxed);
		if (t == claim(me)) {
			// A claim of the holder's own: Spinlock::lock never leaves
			// one (taking the lock withdraws it), but if a caller ever
			// did, it must end here, or it would lock everyone out.
			turn_.compare_exchange(t, 0, MemoryOrder::relaxed);
			t = 0;
		}
		// Release ordering: the critical section's writes are visible
		// before the claimant sees the handover, or anyone sees the lock
		// free. The compare-and-exchange cannot fail: while the lock is
		// held, only a claim made on 0 changes the turn word.
		if (t != 0 && (t & 1) == 0 &&
		    turn_.compare_exchange(t, t | 1, MemoryOrder::release))
			return;
		locked_.store(0, MemoryOrder::release);
	}

	bool locked() const { return locked_.load(MemoryOrder::relaxed) != 0; }

	// The turn word's state, for tests and reports.
	bool unclaimed() const { return turn_.load(MemoryOrder::relaxed) == 0; }

private:
	// (Checked here, not in the class: Spinlock names its Waiter, Cpu,
	// before Cpu is complete.)
	static uintptr_t claim(const Waiter *w)
	{
		static_assert(alignof(Waiter) >= 2, "bit 0 of a waiter's address marks a handover");
		return reinterpret_cast<uintptr_t>(w);
	}
	static uintptr_t handed(const Waiter *w) { return claim(w) | 1; }
	static bool owed(const Waiter *me, uintptr_t t) { return t == claim(me) || t == handed(me); }

	Atomic<uint32_t> locked_{0};
	Atomic<uintptr_t> turn_{0};
};
