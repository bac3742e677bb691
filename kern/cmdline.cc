// Kernel command-line parsing. Pure: no kernel state, so the same code runs
// in host tests.

#include <inc/stdio.h>
#include <inc/string.h>
#include <kern/cmdline.h>

namespace {

constexpr uint64_t kMaxCopies = 1024;	// NENV: more could never all exist

// Index of word (of length len) in the '|'-separated list, or -1.
int
match_word(const char *word, size_t len, const char *list)
{
	int index = 0;
	for (const char *p = list; *p; index++) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? static_cast<size_t>(bar - p) : strlen(p);
		if (n == len && strncmp(p, word, len) == 0)
			return index;
		if (!bar)
			break;
		p = bar + 1;
	}
	return -1;
}

// What a value parser says: nullptr when it took the value, else what is
// wrong with it (kMalformed when the expected form, which the warning
// shows, says enough).
using ParseResult = const char *;
constexpr ParseResult kMalformed = "";

ParseResult
set_aptimeout(KernelArgs *a, const char *v, size_t n)
{
	uint64_t ms;
	if (!parse_u64(v, n, &ms) || ms == 0 || ms > 600000)
		return kMalformed;
	a->aptimeout_ms = static_cast<uint32_t>(ms);
	return nullptr;
}

ParseResult
set_lockreport(KernelArgs *a, const char *v, size_t n)
{
	uint64_t ms;
	if (!parse_u64(v, n, &ms) || ms == 0 || ms > 600000)
		return kMalformed;
	a->lockreport_ms = static_cast<uint32_t>(ms);
	return nullptr;
}

ParseResult
set_crashcpu(KernelArgs *a, const char *v, size_t n)
{
	uint64_t cpu;
	if (!parse_u64(v, n, &cpu) || cpu > UINT32_MAX)
		return kMalformed;
	a->crashcpu = static_cast<uint32_t>(cpu);
	return nullptr;
}

// A comma-separated list of program names (letters, digits, '_', '-'),
// each optionally followed by *N for N copies: "hello,yield*3". Stored
// only if all of it is well formed.
ParseResult
set_run(KernelArgs *a, const char *v, size_t n)
{
	RunProgram run[kMaxRunPrograms];
	int nrun = 0;
	for (size_t i = 0; i < n || nrun == 0;) {
		if (nrun == kMaxRunPrograms)
			return kMalformed;
		RunProgram &p = run[nrun++];
		size_t start = i;
		while (i < n && ((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
				 (v[i] >= '0' && v[i] <= '9') || v[i] == '_' || v[i] == '-'))
			i++;
		if (i == start || i - start >= sizeof(p.name))
			return kMalformed;		// an empty or overlong name
		memcpy(p.name, v + start, i - start);
		p.name[i - start] = '\0';
		uint64_t copies = 1;
		if (i < n && v[i] == '*') {
			size_t num = ++i;
			while (i < n && v[i] >= '0' && v[i] <= '9')
				i++;
			if (!parse_u64(v + num, i - num, &copies) || copies == 0 || copies > kMaxCopies)
				return kMalformed;
		}
		p.copies = static_cast<uint32_t>(copies);
		if (i < n && (v[i] != ',' || ++i == n))
			return kMalformed;		// junk, or a trailing comma
	}
	memcpy(a->run, run, nrun * sizeof(run[0]));
	a->nrun = nrun;
	return nullptr;
}

// Where the first of `chars` is in v[0 .. n), or n if none is.
size_t
find_any(const char *v, size_t n, const char *chars)
{
	size_t i = 0;
	while (i < n && strchr(chars, v[i]) == nullptr)
		i++;
	return i;
}

// A size or address as Linux's memmap= writes it: decimal or 0x hex, then
// perhaps K, M, G or T (powers of 1024).
bool
parse_size(const char *s, size_t n, uint64_t *out)
{
	const char *units = "KkMmGgTt";
	int shift = 0;
	if (n > 0 && find_any(s + n - 1, 1, units) == 0) {
		shift = 10 * static_cast<int>((strchr(units, s[n - 1]) - units) / 2 + 1);
		n--;
	}
	uint64_t v;
	if (!parse_u64(s, n, &v) || v > (UINT64_MAX >> shift))
		return false;
	*out = v << shift;
	return true;
}

// One SIZE$ADDR or SIZE:ADDR of memmap=.
ParseResult
parse_memmap_range(const char *v, size_t n, MemmapRange *out)
{
	if (n == 0)
		return "an empty range (a stray comma?)";
	size_t sep = find_any(v, n, "$:");
	if (sep == n) {
		if (find_any(v, n, "@#!") < n || (n == 8 && strncmp(v, "exactmap", 8) == 0))
			return "only reserving a range is supported, not Linux's other memmap= forms";
		return "no '$' or ':' after the size (a shell or make takes a bare '$': write ':')";
	}
	uint64_t len, base;
	if (!parse_size(v, sep, &len))
		return "the size is not a number";
	if (!parse_size(v + sep + 1, n - sep - 1, &base))
		return "the address is not a number";
	if (len == 0)
		return "the size is 0";
	if (base + len < base)
		return "the range runs past the top of the address space";
	*out = MemmapRange{base, len};
	return nullptr;
}

// memmap=SIZE$ADDR[,SIZE$ADDR...] (':' for '$'). The ranges are added to
// those of earlier memmap= words, and only if all of them are well formed.
ParseResult
set_memmap(KernelArgs *a, const char *v, size_t n)
{
	if (n == 0)
		return "no range given";
	MemmapRange ranges[kMaxMemmap];
	int nranges = a->nmemmap;
	memcpy(ranges, a->memmap, nranges * sizeof(ranges[0]));
	for (size_t i = 0; i <= n;) {
		size_t end = i + find_any(v + i, n - i, ",");
		if (nranges == kMaxMemmap)
			return "more than 8 ranges";
		if (ParseResult why = parse_memmap_range(v + i, end - i, &ranges[nranges++]))
			return why;
		i = end + 1;
	}
	memcpy(a->memmap, ranges, nranges * sizeof(ranges[0]));
	a->nmemmap = nranges;
	return nullptr;
}

// An argument whose value is one word of `accepted` ("on|off") is stored by
// `choose`, given the word's index; any other argument by `parse`.
struct ArgSpec {
	const char *key;
	const char *accepted;		// the words, or a description (shown in messages)
	const char *fallback;		// the default (shown in messages)
	void (*choose)(KernelArgs *, int index);
	ParseResult (*parse)(KernelArgs *, const char *, size_t);
};

constexpr ArgSpec kArgs[] = {
	{"lab", "1|2|3|4|5|6", "the tree's lab",
	 [](KernelArgs *a, int i) { a->lab = i + 1; }, nullptr},
	{"apic", "auto|xapic|x2apic", "auto",
	 [](KernelArgs *a, int i) { a->apic = static_cast<ApicMode>(i); }, nullptr},
	{"smpboot", "serial|parallel", "serial",
	 [](KernelArgs *a, int i) { a->smpboot = static_cast<SmpBoot>(i); }, nullptr},
	{"apwait", "auto|full|short", "auto",
	 [](KernelArgs *a, int i) { a->apwait = static_cast<ApWait>(i); }, nullptr},
	{"acpi", "on|off", "on", [](KernelArgs *a, int i) { a->acpi = i == 0; }, nullptr},
	{"timing", "on|off", "off", [](KernelArgs *a, int i) { a->timing = i == 0; }, nullptr},
	{"tabledump", "on|off", "off", [](KernelArgs *a, int i) { a->tabledump = i == 0; },
	 nullptr},
	{"monitor", "on|off", "on", [](KernelArgs *a, int i) { a->monitor = i == 0; }, nullptr},
	{"schedtrace", "on|off", "off", [](KernelArgs *a, int i) { a->schedtrace = i == 0; },
	 nullptr},
	{"trace", "on|off", "off", [](KernelArgs *a, int i) { a->trace = i == 0; }, nullptr},
	{"crash", "none|pagefault|overflow|triplefault|apstall|relock|lockstall|aplate|"
	 "apdeadline|apoverflow|nmilock|smap|smep|syssmap|lateack|apslow|apmiss|freetwice|"
	 "freeused",
	 "none",
	 [](KernelArgs *a, int i) { a->crash = static_cast<Crash>(i); }, nullptr},
	{"crashcpu", "a CPU number", "0", nullptr, set_crashcpu},
	{"aptimeout", "milliseconds, 1 to 600000", "2000", nullptr, set_aptimeout},
	{"lockreport", "milliseconds, 1 to 600000", "5000", nullptr, set_lockreport},
	{"exitat", "never|entry|smp", "never",
	 [](KernelArgs *a, int i) { a->exitat = static_cast<ExitAt>(i); }, nullptr},
	{"run", "PROG[,PROG...] (PROG*N for N copies)", "run=hello", nullptr, set_run},
	{"fs", "auto|on|off|test", "auto", [](KernelArgs *a, int i) { a->fs = static_cast<FsStart>(i); },
	 nullptr},
	{"memmap", "SIZE$ADDR or SIZE:ADDR, comma-separated (K, M, G, T suffixes)",
	 "no range reserved", nullptr, set_memmap},
};

ParseResult
apply(const ArgSpec &spec, KernelArgs *args, const char *v, size_t n)
{
	if (spec.parse != nullptr)
		return spec.parse(args, v, n);
	int i = match_word(v, n, spec.accepted);
	if (i < 0)
		return kMalformed;
	spec.choose(args, i);
	return nullptr;
}

void
report(void (*diag)(void *, const char *), void *ctx, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void
report(void (*diag)(void *, const char *), void *ctx, const char *fmt, ...)
{
	char msg[384];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag(ctx, msg);
}

} // namespace

int
cmdline_parse(const char *cmdline, KernelArgs *args,
	      void (*diag)(void *ctx, const char *msg), void *ctx)
{
	int problems = 0;
	const char *p = cmdline;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		const char *word = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
		int wlen = static_cast<int>(p - word);
		const char *eq = static_cast<const char *>(memfind(word, '=', wlen));
		int klen = static_cast<int>(eq - word);

		const ArgSpec *spec = nullptr;
		for (const ArgSpec &s : kArgs)
			if (static_cast<int>(strlen(s.key)) == klen && strncmp(s.key, word, klen) == 0)
				spec = &s;

		problems++;
		if (spec == nullptr) {
			char known[192];
			int len = 0;
			for (const ArgSpec &s : kArgs)
				if (len < static_cast<int>(sizeof(known)))
					len += snprintf(known + len, sizeof(known) - len, "%s%s",
							len ? ", " : "", s.key);
			report(diag, ctx, "unknown kernel argument '%.*s' ignored (known: %s)",
			       wlen, word, known);
		} else if (eq == word + wlen) {
			report(diag, ctx, "kernel argument '%s' needs a value: %s=%s; ignored "
			       "(the default is %s)", spec->key, spec->key, spec->accepted,
			       spec->fallback);
		} else if (ParseResult why = apply(*spec, args, eq + 1, word + wlen - eq - 1)) {
			report(diag, ctx, "kernel argument '%.*s' is not valid%s%s%s: expected %s=%s; "
			       "ignored (the default is %s)", wlen, word, *why ? " (" : "", why,
			       *why ? ")" : "", spec->key, spec->accepted, spec->fallback);
		} else {
			problems--;
		}
	}
	return problems;
}
