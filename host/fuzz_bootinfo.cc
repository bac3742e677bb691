// libFuzzer target: the multiboot2 / PVH boot-information parser.
// Input prefix: [protocol: 0 multiboot2, else PVH][info address: u32].
#include "host/fixture.h"

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	std::vector<uint8_t> prefix;
	host::FakeMem mem;
	host::decode_fuzz_input(data, size, &prefix, &mem);
	if (prefix.size() < 5)
		return 0;
	uint32_t info;
	std::memcpy(&info, prefix.data() + 1, 4);
	static BootInfo bi;
	bootinfo_parse(prefix[0] == 0 ? MB2_BOOTLOADER_MAGIC : PVH_START_MAGIC, info,
		       mem.physmem(), &bi);
	return 0;
}
