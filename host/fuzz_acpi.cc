// libFuzzer target: RSDP -> RSDT/XSDT -> MADT. Input prefix: the RSDP copy
// a loader would pass (empty: the parser scans memory for one).
#include "host/fixture.h"
#include <kern/smpconfig.h>

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	std::vector<uint8_t> prefix;
	host::FakeMem mem;
	host::decode_fuzz_input(data, size, &prefix, &mem);
	static SmpConfig cfg;
	Diag quiet = {[](void *, const char *) {}, nullptr};
	acpi_parse_madt(prefix.data(), static_cast<uint32_t>(prefix.size()), mem.physmem(), &cfg,
			quiet);
	return 0;
}
