// tabledump=on: prints the firmware tables the parsers read, as fixtures
// for the host tests (host/capture.py turns a serial log into files).
#pragma once

#include <kern/bootinfo.h>

// Wraps a PhysMem so that every range it maps is remembered.
class TableRecorder {
public:
	explicit constexpr TableRecorder(const PhysMem &inner) : inner_(inner) {}
	PhysMem mem() { return PhysMem{map, this}; }
	// Prints "tabledump: range PA LEN" for each remembered range and
	// "tabledump: data PA HEX" for each 32-byte chunk that is not all zero.
	void print(const char *what) const;

private:
	static const void *map(void *ctx, uint64_t pa, uint64_t len);
	struct Range {
		uint64_t pa, len;
	};
	PhysMem inner_;
	Range ranges_[64] = {};
	int nranges_ = 0;
	bool overflowed_ = false;
};
