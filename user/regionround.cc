// Its data segment (user/regionround.ld) starts 32 bytes before a page
// boundary, on the page where its text segment ends: initialized data on
// that page, more data and the bss on the next ones. The kernel loads it
// only if region_alloc maps every page the segment touches, rounding the
// range's start down and its end up, and gives the page the two segments
// share the permissions of both, keeping the text's bytes there.
#include <inc/lib.h>

extern "C" char end[];		// the segment's end (user.ld): the bss's last byte is end[-1]

namespace {
char data[64] = "initialized data, across a page boundary";
char bss[256];
// The text segment's last bytes, on the page the data segment starts on.
[[gnu::section(".shared_page")]] const char text_tail[] = "the text segment's last bytes";

// What user code may do at va, as the MMU sees it through every level of
// the page tables (read at UVPT): r if all have PTE_U, w if all have
// PTE_W, x if none has PTE_NX; "---" where va is not mapped.
void
access(uintptr_t va, char out[4])
{
	const volatile pte_t *entry[] = {&uvpml4[va >> PML4XSHIFT], &uvpdp[va >> PDPXSHIFT],
					 &uvpd[va >> PDXSHIFT], &uvpt[va >> PTXSHIFT]};
	pte_t all = PTE_U | PTE_W, nx = 0;
	for (int level = 0; level < 4; level++) {
		pte_t e = *entry[level];
		if (!(e & PTE_P)) {
			strcpy(out, "---");
			return;
		}
		all &= e;
		nx |= e & PTE_NX;
		if (e & PTE_PS)
			break;
	}
	out[0] = (all & PTE_U) ? 'r' : '-';
	out[1] = (all & PTE_W) ? 'w' : '-';
	out[2] = nx ? '-' : 'x';
	out[3] = '\0';
}
} // namespace

void
umain(int, char **)
{
	bool zero = true;
	for (char c : bss)
		zero = zero && c == 0;
	// A write on each page of the data: the first shares its page with the
	// text.
	*const_cast<volatile char *>(&data[0]) = data[0];
	data[sizeof(data) - 1] = 'x';
	bss[sizeof(bss) - 1] = 'x';
	// The segment's last byte, on a page of its own past the data's.
	auto *last = reinterpret_cast<volatile char *>(reinterpret_cast<uintptr_t>(end) - 1);
	(void)*last;
	cprintf("regionround: data at %p and %p, bss at %p..%p, the segment's last byte at %p: "
		"%s, %s\n", &data[0], &data[sizeof(data) - 1], &bss[0], &bss[sizeof(bss) - 1],
		last, data, zero ? "bss zero" : "bss NOT zero");
	cprintf("regionround: on the page both segments share, at %p: '%s'\n", text_tail,
		text_tail);
	int stack = 0;
	const uintptr_t at[] = {reinterpret_cast<uintptr_t>(&umain),
				reinterpret_cast<uintptr_t>(text_tail),
				reinterpret_cast<uintptr_t>(&data[sizeof(data) - 1]),
				reinterpret_cast<uintptr_t>(&stack),
				reinterpret_cast<uintptr_t>(&uvpt[UTEXT >> PTXSHIFT]),
				reinterpret_cast<uintptr_t>(thisenv), UPAGES};
	char a[ARRAY_SIZE(at)][4];
	for (size_t i = 0; i < ARRAY_SIZE(at); i++)
		access(at[i], a[i]);
	cprintf("regionround: access: text %s, shared page %s, data %s, stack %s, UVPT %s, "
		"UENVS %s, UPAGES %s\n", a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
}
