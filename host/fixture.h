// Fixtures for the host tests: firmware tables captured from a running
// kernel (host/capture.py), loaded back as a fake physical memory. Also the
// byte format the fuzzers take, so that fixtures become their seeds.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <kern/bootinfo.h>

namespace host {

// Readable physical memory: regions of bytes at physical addresses.
struct FakeMem {
	std::map<uint64_t, std::vector<uint8_t>> regions;	// by start address

	void add(uint64_t pa, std::vector<uint8_t> bytes)
	{
		regions[pa] = std::move(bytes);
	}

	uint8_t *find(uint64_t pa, uint64_t len)
	{
		auto it = regions.upper_bound(pa);
		if (it == regions.begin())
			return nullptr;
		--it;
		uint64_t off = pa - it->first;
		if (len > it->second.size() || off > it->second.size() - len)
			return nullptr;
		return it->second.data() + off;
	}

	static const void *map(void *ctx, uint64_t pa, uint64_t len)
	{
		return static_cast<FakeMem *>(ctx)->find(pa, len);
	}

	PhysMem physmem() { return PhysMem{map, this}; }
};

struct Fixture {
	std::string name;
	uint32_t magic = 0;	// boot protocol the loader used
	uint64_t info_pa = 0;	// its boot information
	std::vector<uint8_t> rsdp;	// the RSDP copy the loader passed
	FakeMem bootinfo;	// what the boot-info parser read
	FakeMem firmware;	// what the ACPI and MP parsers read
};

inline std::vector<uint8_t>
unhex(const std::string &hex)
{
	std::vector<uint8_t> out;
	for (size_t i = 0; i + 1 < hex.size(); i += 2)
		out.push_back(static_cast<uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
	return out;
}

// Reads a .dump file: "range PA LEN" lines make zero-filled regions, "data
// PA HEX" lines fill them in.
inline bool
load_fixture(const std::string &path, Fixture *f)
{
	std::ifstream in(path);
	if (!in)
		return false;
	f->name = path;
	FakeMem *mem = nullptr;
	std::string line;
	while (std::getline(in, line)) {
		std::istringstream ls(line);
		std::string word;
		ls >> word;
		if (word == "boot") {
			std::string magic, info;
			ls >> magic >> info;
			f->magic = static_cast<uint32_t>(std::stoul(magic, nullptr, 16));
			f->info_pa = std::stoull(info, nullptr, 16);
		} else if (word == "begin") {
			ls >> word;
			mem = word == "bootinfo" ? &f->bootinfo : &f->firmware;
		} else if (word == "rsdp") {
			std::string len, hex;
			ls >> len >> hex;
			f->rsdp = unhex(hex);
		} else if (word == "range" && mem) {
			std::string pa, len;
			ls >> pa >> len;
			mem->add(std::stoull(pa, nullptr, 16),
				 std::vector<uint8_t>(std::stoull(len, nullptr, 16)));
		} else if (word == "data" && mem) {
			std::string pa, hex;
			ls >> pa >> hex;
			std::vector<uint8_t> bytes = unhex(hex);
			uint8_t *dst = mem->find(std::stoull(pa, nullptr, 16), bytes.size());
			if (dst == nullptr)
				return false;
			std::memcpy(dst, bytes.data(), bytes.size());
		}
	}
	return true;
}

// The fuzzers' input: a prefix (up to 255 bytes: what the parser gets
// besides memory), then regions as [u32 pa][u16 len][len bytes] until the
// input ends. Decoding never fails: a short record ends the list.
inline void
decode_fuzz_input(const uint8_t *data, size_t size, std::vector<uint8_t> *prefix, FakeMem *mem)
{
	prefix->clear();
	if (size == 0)
		return;
	size_t off = 1;
	size_t n = std::min<size_t>(data[0], size - off);
	prefix->assign(data + off, data + off + n);
	off += n;
	while (off + 6 <= size) {
		uint32_t pa;
		uint16_t len;
		std::memcpy(&pa, data + off, 4);
		std::memcpy(&len, data + off + 4, 2);
		off += 6;
		if (len > size - off)
			len = static_cast<uint16_t>(size - off);
		mem->add(pa, std::vector<uint8_t>(data + off, data + off + len));
		off += len;
	}
}

inline std::vector<uint8_t>
encode_fuzz_input(const std::vector<uint8_t> &prefix, const FakeMem &mem)
{
	std::vector<uint8_t> out;
	out.push_back(static_cast<uint8_t>(prefix.size()));
	out.insert(out.end(), prefix.begin(), prefix.end());
	for (const auto &[pa, bytes] : mem.regions) {
		// Regions over 64 KiB go in pieces.
		for (size_t off = 0; off < bytes.size(); off += 0xFFFF) {
			uint32_t p = static_cast<uint32_t>(pa + off);
			uint16_t len = static_cast<uint16_t>(std::min<size_t>(0xFFFF, bytes.size() - off));
			out.insert(out.end(), reinterpret_cast<uint8_t *>(&p),
				   reinterpret_cast<uint8_t *>(&p) + 4);
			out.insert(out.end(), reinterpret_cast<uint8_t *>(&len),
				   reinterpret_cast<uint8_t *>(&len) + 2);
			out.insert(out.end(), bytes.begin() + off, bytes.begin() + off + len);
		}
	}
	return out;
}

} // namespace host
