// Basic types shared by the kernel, user programs and host tests.
#pragma once

#ifndef __ASSEMBLER__
#include <cstddef>
#include <cstdint>

using physaddr_t = uint64_t;
using ssize_t = int64_t;
using off_t = int64_t;

// JOS spelling: ROUNDDOWN/ROUNDUP work for any unsigned or pointer-sized
// value; n must be a power of two for the result to be meaningful.
template <typename T>
constexpr T ROUNDDOWN(T a, uint64_t n)
{
	return static_cast<T>(static_cast<uint64_t>(a) - static_cast<uint64_t>(a) % n);
}

template <typename T>
constexpr T ROUNDUP(T a, uint64_t n)
{
	return ROUNDDOWN<T>(static_cast<T>(static_cast<uint64_t>(a) + n - 1), n);
}

template <typename T>
constexpr T MIN(T a, T b) { return a < b ? a : b; }

template <typename T>
constexpr T MAX(T a, T b) { return a > b ? a : b; }

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif
