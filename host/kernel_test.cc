// Host tests for pure kernel functions that are not parsers: the
// IA32_APIC_BASE enable sequence (expected values from the SDM's bit
// layout: EN is bit 11, EXTD bit 10, not from the code under test), and
// the turn protocol of the kernel's spinlocks.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <kern/apicbase.h>
#include <kern/lockturn.h>

namespace {

constexpr uint64_t kBase = 0xFEE00000;	// the APIC's MMIO base, bits 12 and up
constexpr uint64_t kBsp = 1UL << 8, kExtd = 1UL << 10, kEn = 1UL << 11;

TEST(ApicBase, DisabledApicIsEnabledBeforeX2apicIsSet)
{
	uint64_t w[2];
	ASSERT_EQ(apic_base_writes(kBase, true, w), 2);
	EXPECT_EQ(w[0], kBase | kEn);		// xAPIC first ...
	EXPECT_EQ(w[1], kBase | kEn | kExtd);	// ... then x2APIC
}

TEST(ApicBase, EnabledXapicNeedsOneWriteForX2apic)
{
	uint64_t w[2];
	ASSERT_EQ(apic_base_writes(kBase | kBsp | kEn, true, w), 1);
	EXPECT_EQ(w[0], kBase | kBsp | kEn | kExtd);
}

TEST(ApicBase, AlreadyInX2apicModeNeedsNothing)
{
	uint64_t w[2];
	EXPECT_EQ(apic_base_writes(kBase | kEn | kExtd, true, w), 0);
}

TEST(ApicBase, XapicModeOnlyEnables)
{
	uint64_t w[2];
	ASSERT_EQ(apic_base_writes(kBase, false, w), 1);
	EXPECT_EQ(w[0], kBase | kEn);
	EXPECT_EQ(apic_base_writes(kBase | kEn, false, w), 0);
}

// LockTurn, one step at a time: H holds the lock, X has waited too long.

struct alignas(64) Waiter {
	int id;
};

TEST(LockTurn, ReleaseHandsTheLockToTheClaimant)
{
	LockTurn<Waiter> t;
	Waiter h{0}, x{1}, y{2};
	ASSERT_TRUE(t.try_take(&h));
	ASSERT_TRUE(t.claim_turn(&x));
	EXPECT_FALSE(t.claim_turn(&y));		// one claimant at a time
	t.release(&h);
	EXPECT_TRUE(t.locked());		// handed over, never free
	EXPECT_FALSE(t.try_take(&y));
	EXPECT_FALSE(t.try_take_unclaimed());
	ASSERT_TRUE(t.try_take(&x));
	EXPECT_TRUE(t.unclaimed());
	t.release(&x);
	EXPECT_FALSE(t.locked());
	EXPECT_TRUE(t.try_take(&y));
}

// The stall seen with 257 CPUs: the claimant, still waiting, claims again
// after release has handed it the lock but before it has looked. Its claim
// must not outlive its turn, or nobody else can ever take the lock.
TEST(LockTurn, ClaimingAgainAfterTheHandoverLeavesNoClaim)
{
	LockTurn<Waiter> t;
	Waiter h{0}, x{1}, y{2};
	ASSERT_TRUE(t.try_take(&h));
	ASSERT_TRUE(t.claim_turn(&x));
	t.release(&h);
	EXPECT_TRUE(t.claim_turn(&x));		// owed: the turn is already its own
	ASSERT_TRUE(t.try_take(&x));
	t.release(&x);
	EXPECT_TRUE(t.unclaimed());
	EXPECT_TRUE(t.try_take(&y));
}

TEST(LockTurn, AClaimKeepsAFreeLockForTheClaimant)
{
	LockTurn<Waiter> t;
	Waiter x{1}, y{2};
	ASSERT_TRUE(t.claim_turn(&x));
	EXPECT_FALSE(t.try_take(&y));
	EXPECT_TRUE(t.claim_turn(&x));		// still its own
	ASSERT_TRUE(t.try_take(&x));
	EXPECT_TRUE(t.unclaimed());
	t.release(&x);
	EXPECT_TRUE(t.try_take_unclaimed());
}

TEST(LockTurn, TheHoldersOwnClaimEndsWithItsRelease)
{
	LockTurn<Waiter> t;
	Waiter h{0}, y{2};
	ASSERT_TRUE(t.try_take(&h));
	ASSERT_TRUE(t.claim_turn(&h));		// a nested wait in an interrupt handler
	t.release(&h);
	EXPECT_FALSE(t.locked());
	EXPECT_TRUE(t.unclaimed());
	EXPECT_TRUE(t.try_take(&y));
}

// Threads that wait as the kernel's CPUs do (claiming after a while) keep
// each other out, and none waits for ever. Each wait is bounded: a lost
// turn fails the test with the state it left instead of hanging it.
TEST(LockTurn, ThreadsShareTheLockAndEveryWaitEnds)
{
	constexpr int kThreads = 4, kRounds = 20000, kClaimAfter = 50;
	LockTurn<Waiter> t;
	std::vector<Waiter> waiters(kThreads);
	std::atomic<int> inside{0}, overlaps{0}, stuck{0};
	long count = 0;
	auto worker = [&](int i) {
		Waiter *me = &waiters[i];
		for (int r = 0; r < kRounds && stuck == 0; r++) {
			auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
			for (int tries = 0; !t.try_take(me); tries++) {
				if (tries >= kClaimAfter)
					t.claim_turn(me);
				std::this_thread::yield();
				if (std::chrono::steady_clock::now() > give_up) {
					stuck++;
					return;
				}
			}
			if (inside.fetch_add(1) != 0)
				overlaps++;
			count++;
			inside.fetch_sub(1);
			t.release(me);
		}
	};
	std::vector<std::thread> threads;
	for (int i = 0; i < kThreads; i++) {
		waiters[i].id = i;
		threads.emplace_back(worker, i);
	}
	for (auto &th : threads)
		th.join();
	ASSERT_EQ(stuck.load(), 0) << "a waiter never got the lock: locked " << t.locked()
				   << ", unclaimed " << t.unclaimed();
	EXPECT_EQ(overlaps.load(), 0);
	EXPECT_EQ(count, long{kThreads} * kRounds);
	EXPECT_FALSE(t.locked());
	EXPECT_TRUE(t.unclaimed());
}

} // namespace
