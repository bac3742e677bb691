// Host tests for pure kernel functions that are not parsers: the
// IA32_APIC_BASE enable sequence. Expected values come from the SDM's bit
// layout (EN is bit 11, EXTD bit 10), not from the code under test.

#include <gtest/gtest.h>

#include <kern/apicbase.h>

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

} // namespace
