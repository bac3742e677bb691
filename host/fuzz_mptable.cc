// libFuzzer target: the MP floating pointer search and configuration table.
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
	mptable_parse(mem.physmem(), &cfg, quiet);
	return 0;
}
