// The ELF64 structures the kernel's program loader reads.
#pragma once

#include <inc/types.h>

#define ELF_MAGIC 0x464C457FU	// "\x7FELF" in little endian

struct Elf64_Ehdr {
	uint32_t e_magic;
	uint8_t e_class;	// 2: 64-bit
	uint8_t e_data;		// 1: little endian
	uint8_t e_version_ident;
	uint8_t e_pad[9];
	uint16_t e_type;	// 2: executable
	uint16_t e_machine;	// 62: x86-64
	uint32_t e_version;
	uint64_t e_entry;
	uint64_t e_phoff;
	uint64_t e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize;
	uint16_t e_phentsize;
	uint16_t e_phnum;
	uint16_t e_shentsize;
	uint16_t e_shnum;
	uint16_t e_shstrndx;
};
static_assert(sizeof(Elf64_Ehdr) == 64);

struct Elf64_Phdr {
	uint32_t p_type;
	uint32_t p_flags;
	uint64_t p_offset;
	uint64_t p_vaddr;
	uint64_t p_paddr;
	uint64_t p_filesz;
	uint64_t p_memsz;
	uint64_t p_align;
};
static_assert(sizeof(Elf64_Phdr) == 56);

enum : uint16_t { ET_EXEC = 2, EM_X86_64 = 62 };
enum : uint32_t { PT_LOAD = 1 };
enum : uint32_t { PF_X = 1, PF_W = 2, PF_R = 4 };
