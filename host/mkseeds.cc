// mkseeds DIR FIXTURE...: writes each fixture as a seed for every fuzzer
// that reads firmware data (DIR/<fuzzer>/<fixture name>), and a few
// command lines for the command-line fuzzer.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "host/fixture.h"

namespace fs = std::filesystem;

static void
write(const fs::path &path, const std::vector<uint8_t> &bytes)
{
	fs::create_directories(path.parent_path());
	std::ofstream(path, std::ios::binary)
		.write(reinterpret_cast<const char *>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		std::fprintf(stderr, "usage: mkseeds DIR FIXTURE...\n");
		return 2;
	}
	fs::path dir = argv[1];
	for (int i = 2; i < argc; i++) {
		host::Fixture f;
		if (!host::load_fixture(argv[i], &f)) {
			std::fprintf(stderr, "mkseeds: cannot read fixture %s\n", argv[i]);
			return 1;
		}
		std::string name = fs::path(argv[i]).stem();
		std::vector<uint8_t> boot(5);
		boot[0] = f.magic == MB2_BOOTLOADER_MAGIC ? 0 : 1;
		uint32_t info = static_cast<uint32_t>(f.info_pa);
		std::memcpy(boot.data() + 1, &info, 4);
		write(dir / "bootinfo" / name, host::encode_fuzz_input(boot, f.bootinfo));
		write(dir / "acpi" / name, host::encode_fuzz_input(f.rsdp, f.firmware));
		write(dir / "mptable" / name, host::encode_fuzz_input({}, f.firmware));
	}
	const char *lines[] = {"monitor=off tabledump=on run=hello",
			       "apic=x2apic smpboot=parallel acpi=off timing=on crash=overflow crashcpu=3",
			       "run=hello,yield*9 bogus=1 apic=banana monitor"};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		write(dir / "cmdline" / std::to_string(i),
		      std::vector<uint8_t>(lines[i], lines[i] + std::strlen(lines[i])));
	return 0;
}
