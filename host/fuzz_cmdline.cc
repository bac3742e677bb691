// libFuzzer target: the kernel command line (the input is the line).
#include <string>

#include <kern/cmdline.h>

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	std::string line(reinterpret_cast<const char *>(data), size);	// NUL-terminated copy
	KernelArgs args;
	cmdline_parse(line.c_str(), &args, [](void *, const char *) {}, nullptr);
	return 0;
}
