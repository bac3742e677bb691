// Helpers shared by the ACPI and MP table parsers.

#include <inc/stdio.h>
#include <inc/string.h>
#include <kern/smpconfig.h>

void
Diag::say(const char *fmt, ...) const
{
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fn(ctx, msg);
}

uint8_t
byte_sum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;
	for (size_t i = 0; i < len; i++)
		sum = static_cast<uint8_t>(sum + p[i]);
	return sum;
}

void
smpconfig_add_cpu(SmpConfig *cfg, uint32_t apic_id, bool enabled, const char *table,
		  const Diag &diag)
{
	if (!enabled) {
		cfg->ndisabled++;
		return;
	}
	for (int i = 0; i < cfg->ncpu; i++) {
		if (cfg->apic_ids[i] == apic_id) {
			diag.say("%s lists APIC ID %u twice; the second entry is ignored", table,
				 apic_id);
			return;
		}
	}
	if (cfg->ncpu == NCPU) {
		cfg->nbeyond++;
		return;
	}
	cfg->apic_ids[cfg->ncpu++] = apic_id;
}

int
smpconfig_find_self(const SmpConfig &cfg, uint32_t own_id, bool low_8_bits_only)
{
	int found = kNotListed;
	for (int i = 0; i < cfg.ncpu; i++) {
		uint32_t id = low_8_bits_only ? cfg.apic_ids[i] & 0xFF : cfg.apic_ids[i];
		if (id != own_id)
			continue;
		if (found != kNotListed)
			return kAmbiguous;
		found = i;
	}
	return found;
}

uint64_t
firmware_scan(const PhysMem &mem, uint64_t pa, uint64_t len, const char *sig, size_t siglen,
	      bool (*valid)(uint64_t pa, const PhysMem &mem))
{
	auto *base = static_cast<const uint8_t *>(mem.map(mem.ctx, pa, len));
	if (base == nullptr)
		return 0;
	for (uint64_t off = 0; off + 16 <= len; off += 16)
		if (memcmp(base + off, sig, siglen) == 0 && valid(pa + off, mem))
			return pa + off;
	return 0;
}
