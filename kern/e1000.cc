// The 82540EM driver (Intel's PCI/PCI-X Family of Gigabit Ethernet
// Controllers Software Developer's Manual, 317453; section numbers below
// are its).
//
// The card moves frames by DMA through two rings of descriptors in memory.
// Transmit (3.3, 14.5): the driver fills the descriptor at the tail (TDT),
// then moves the tail on; the card sends from the head (TDH) and, for a
// descriptor with RS set, writes DD into its status when done. Receive
// (3.2, 14.4): the card fills the descriptors from its head (RDH) up to,
// not including, the tail (RDT), setting DD and EOP; the driver takes the
// one after the tail and gives it back by moving the tail onto it. Each
// descriptor has a buffer of its own, allocated once: frames are copied in
// and out, and no user page is ever given to the card.
//
// Every ring operation runs under the big kernel lock. The interrupt
// handler touches only the interrupt cause register and an atomic flag.

#include <inc/assert.h>
#include <inc/atomic.h>
#include <inc/error.h>
#include <inc/string.h>
#include <kern/cpu.h>
#include <kern/e1000.h>
#include <kern/ioapic.h>
#include <kern/lab.h>
#include <kern/pci.h>
#include <kern/pmap.h>
#include <kern/printf.h>

namespace {

// Registers (13.4), byte offsets into BAR 0.
enum : uint32_t {
	E_CTRL = 0x00000,
	E_STATUS = 0x00008,
	E_EERD = 0x00014,
	E_ICR = 0x000C0,
	E_IMS = 0x000D0,
	E_IMC = 0x000D8,
	E_RCTL = 0x00100,
	E_TCTL = 0x00400,
	E_TIPG = 0x00410,
	E_RDBAL = 0x02800,
	E_RDBAH = 0x02804,
	E_RDLEN = 0x02808,
	E_RDH = 0x02810,
	E_RDT = 0x02818,
	E_RDTR = 0x02820,
	E_TDBAL = 0x03800,
	E_TDBAH = 0x03804,
	E_TDLEN = 0x03808,
	E_TDH = 0x03810,
	E_TDT = 0x03818,
	E_MTA = 0x05200,
	E_RAL0 = 0x05400,
	E_RAH0 = 0x05404,
};

constexpr uint32_t EERD_START = 1 << 0, EERD_DONE = 1 << 4, EERD_ADDR_SHIFT = 8;
constexpr uint32_t TCTL_EN = 1 << 1, TCTL_PSP = 1 << 3, TCTL_CT_SHIFT = 4,
		   TCTL_COLD_SHIFT = 12;
constexpr uint32_t RCTL_EN = 1 << 1, RCTL_BAM = 1 << 15, RCTL_SECRC = 1 << 26;
constexpr uint32_t RAH_AV = 1U << 31;
// Interrupt causes (13.4.17): receiver timer (a frame arrived), overrun,
// descriptors running low.
constexpr uint32_t ICR_RXDMT0 = 1 << 4, ICR_RXO = 1 << 6, ICR_RXT0 = 1 << 7;

constexpr uint8_t TXD_CMD_EOP = 1 << 0, TXD_CMD_RS = 1 << 3;
constexpr uint8_t TXD_STAT_DD = 1 << 0;
constexpr uint8_t RXD_STAT_DD = 1 << 0, RXD_STAT_EOP = 1 << 1;

// Legacy descriptors (3.3.3, 3.2.3).
struct TxDesc {
	uint64_t addr;
	uint16_t length;
	uint8_t cso;
	uint8_t cmd;
	uint8_t status;
	uint8_t css;
	uint16_t special;
};
static_assert(sizeof(TxDesc) == 16);

struct RxDesc {
	uint64_t addr;
	uint16_t length;
	uint16_t checksum;
	uint8_t status;
	uint8_t errors;
	uint16_t special;
};
static_assert(sizeof(RxDesc) == 16);

// Ring sizes: a multiple of 8 descriptors (128 bytes), each ring one page.
constexpr uint32_t kTxRing = 64, kRxRing = 128;
constexpr size_t kBufSize = 2048;	// RCTL.BSIZE 00: 2048-byte receive buffers
static_assert(kTxRing * sizeof(TxDesc) <= PGSIZE && kRxRing * sizeof(RxDesc) <= PGSIZE);
static_assert(kMaxFrame <= kBufSize);

volatile uint32_t *regs;
uint8_t mac[6];
volatile TxDesc *tx_ring;
volatile RxDesc *rx_ring;
uint8_t *tx_buf[kTxRing];
uint8_t *rx_buf[kRxRing];
// Whether each ring is set up (tx_init, rx_init): a card with one ring
// still works the other way.
bool tx_on, rx_on;
int gsi = -1;
uint32_t gsi_apic_id;		// where the interrupt goes now
Atomic<bool> rx_came;

uint32_t
reg_read(uint32_t reg)
{
	return regs[reg / 4];
}

void
reg_write(uint32_t reg, uint32_t value)
{
	regs[reg / 4] = value;
}

// A zeroed page the card may reach by DMA, kept for good; its physical
// address in *pa.
void *
dma_page(physaddr_t *pa)
{
	PageInfo *pp = page_alloc(ALLOC_ZERO);
	if (pp == nullptr)
		return nullptr;
	pp->pp_ref++;
	*pa = page2pa(pp);
	return page2kva(pp);
}

// One word of the EEPROM (5.3.1, 13.4.4): the MAC address is words 0-2.
// The read is bounded: a card that never says done reads as -1.
int
eeprom_read(uint8_t addr)
{
	reg_write(E_EERD, static_cast<uint32_t>(addr) << EERD_ADDR_SHIFT | EERD_START);
	for (int i = 0; i < 100000; i++) {
		uint32_t v = reg_read(E_EERD);
		if (v & EERD_DONE)
			return static_cast<int>(v >> 16);
	}
	return -1;
}

int
tx_init()
{
	physaddr_t pa;
	tx_ring = static_cast<volatile TxDesc *>(dma_page(&pa));
	if (tx_ring == nullptr)
		return -E_NO_MEM;
	for (uint32_t i = 0; i < kTxRing; i += PGSIZE / kBufSize) {
		physaddr_t bpa;
		auto *page = static_cast<uint8_t *>(dma_page(&bpa));
		if (page == nullptr)
			return -E_NO_MEM;
		for (uint32_t k = 0; k < PGSIZE / kBufSize; k++) {
			tx_buf[i + k] = page + k * kBufSize;
			tx_ring[i + k].addr = bpa + k * kBufSize;
			// Free: the card is done with it (nothing sent yet).
			tx_ring[i + k].status = TXD_STAT_DD;
		}
	}
	// LAB 6 EXERCISE transmit BEGIN
	// The ring's place and size, head and tail at 0 (14.5): TDBAL/TDBAH
	// (pa), TDLEN (in bytes), TDH and TDT. Then the transmitter: TCTL
	// with EN, PSP (pad short frames), the collision threshold (CT,
	// 0x10) and distance (COLD, 0x40, full duplex); and TIPG, the gap
	// between frames, 10, 8 and 6 (13.4.34).
	//> (void)pa;
	//> cprintf("e1000: the transmit ring is not set up (LAB 6 exercise transmit): nothing "
	//> 	"can be sent\n");
	//> return 0;
	reg_write(E_TDBAL, static_cast<uint32_t>(pa));
	reg_write(E_TDBAH, static_cast<uint32_t>(pa >> 32));
	reg_write(E_TDLEN, kTxRing * sizeof(TxDesc));
	reg_write(E_TDH, 0);
	reg_write(E_TDT, 0);
	reg_write(E_TCTL, TCTL_EN | TCTL_PSP | 0x10 << TCTL_CT_SHIFT | 0x40 << TCTL_COLD_SHIFT);
	reg_write(E_TIPG, 10 | 8 << 10 | 6 << 20);
	// LAB 6 EXERCISE transmit END
	tx_on = true;
	return 0;
}

int
rx_init()
{
	physaddr_t pa;
	rx_ring = static_cast<volatile RxDesc *>(dma_page(&pa));
	if (rx_ring == nullptr)
		return -E_NO_MEM;
	for (uint32_t i = 0; i < kRxRing; i += PGSIZE / kBufSize) {
		physaddr_t bpa;
		auto *page = static_cast<uint8_t *>(dma_page(&bpa));
		if (page == nullptr)
			return -E_NO_MEM;
		for (uint32_t k = 0; k < PGSIZE / kBufSize; k++) {
			rx_buf[i + k] = page + k * kBufSize;
			rx_ring[i + k].addr = bpa + k * kBufSize;
		}
	}
	// LAB 6 EXERCISE receive BEGIN
	// The card's own address, so that it accepts frames sent to it (14.4):
	// RAL0 holds the MAC's first four bytes, RAH0 the last two and AV
	// (address valid). The multicast table (MTA, 128 words) zeroed. The
	// ring: RDBAL/RDBAH, RDLEN, head 0, and the tail on the last
	// descriptor (kRxRing - 1): the card may fill all but that one. Then
	// the receiver: RCTL with EN, BAM (broadcasts: ARP needs them) and
	// SECRC (strip the CRC); 2048-byte buffers are RCTL's default.
	//> (void)pa;
	//> cprintf("e1000: the receive ring is not set up (LAB 6 exercise receive): nothing "
	//> 	"can be received\n");
	//> return 0;
	reg_write(E_RAL0, mac[0] | mac[1] << 8 | mac[2] << 16 | static_cast<uint32_t>(mac[3]) << 24);
	reg_write(E_RAH0, mac[4] | mac[5] << 8 | RAH_AV);
	for (uint32_t i = 0; i < 128; i++)
		reg_write(E_MTA + 4 * i, 0);
	reg_write(E_RDBAL, static_cast<uint32_t>(pa));
	reg_write(E_RDBAH, static_cast<uint32_t>(pa >> 32));
	reg_write(E_RDLEN, kRxRing * sizeof(RxDesc));
	reg_write(E_RDH, 0);
	reg_write(E_RDT, kRxRing - 1);
	reg_write(E_RCTL, RCTL_EN | RCTL_BAM | RCTL_SECRC);
	// LAB 6 EXERCISE receive END
	rx_on = true;
	return 0;
}

// The receive interrupt, to the boot CPU for a start (e1000_interrupt_to
// moves it to the CPU a receiver waits on).
void
intr_init(const PciFunc &f)
{
	reg_write(E_IMC, 0xFFFFFFFF);
	(void)reg_read(E_ICR);
	gsi = f.gsi;
	if (gsi < 0) {
		cprintf("e1000: no interrupt route known for INT%c# of %02x:%02x.%d: receivers "
			"poll\n", f.irq_pin ? 'A' + f.irq_pin - 1 : '?', f.bus, f.dev, f.func);
		return;
	}
	if (!ioapic_route_pci(static_cast<uint32_t>(gsi), kE1000Vector, bootcpu->apic_id)) {
		gsi = -1;
		return;
	}
	gsi_apic_id = bootcpu->apic_id;
	reg_write(E_RDTR, 0);
	reg_write(E_IMS, ICR_RXT0 | ICR_RXO | ICR_RXDMT0);
}

} // namespace

int
e1000_attach(PciFunc *f)
{
	// LAB 6 EXERCISE pci_attach BEGIN
	// Enable the function (pci_func_enable: it also sizes the BARs) and
	// map its registers, BAR 0, uncached, with mmio_map_region; keep the
	// mapping in regs. A sanity check: the status register (E_STATUS)
	// should read 0x80080783 on QEMU's card (full duplex, 1000 Mb/s, link
	// up).
	//> (void)f;
	//> cprintf("e1000: found, but not attached (LAB 6 exercise pci_attach)\n");
	//> return 0;
	pci_func_enable(f);
	if (f->reg_size[0] == 0 || f->reg_io[0])
		return -E_INVAL;
	regs = static_cast<volatile uint32_t *>(mmio_map_region(f->reg_base[0], f->reg_size[0]));
	// LAB 6 EXERCISE pci_attach END
	cprintf("e1000: registers at %#lx (%lu KiB), status %#x\n", f->reg_base[0],
		f->reg_size[0] / 1024, reg_read(E_STATUS));
	for (int i = 0; i < 3; i++) {
		int w = eeprom_read(static_cast<uint8_t>(i));
		if (w < 0) {
			cprintf("e1000: the EEPROM does not answer; card not used\n");
			regs = nullptr;
			return -E_NO_NIC;
		}
		mac[2 * i] = static_cast<uint8_t>(w);
		mac[2 * i + 1] = static_cast<uint8_t>(w >> 8);
	}
	cprintf("e1000: MAC address %02x:%02x:%02x:%02x:%02x:%02x (from the EEPROM)\n", mac[0],
		mac[1], mac[2], mac[3], mac[4], mac[5]);
	int r;
	if ((r = tx_init()) < 0 || (r = rx_init()) < 0) {
		regs = nullptr;
		return r;
	}
	intr_init(*f);
	return 0;
}

bool
e1000_present()
{
	return regs != nullptr;
}

void
e1000_mac(uint8_t out[6])
{
	memcpy(out, mac, sizeof(mac));
}

int
e1000_transmit(const void *data, size_t len)
{
	if (regs == nullptr || !tx_on)
		return -E_NO_NIC;
	if (len == 0 || len > kMaxFrame)
		return -E_INVAL;
	// LAB 6 EXERCISE transmit BEGIN
	// The descriptor at the tail (TDT) is free once the card has set DD in
	// its status (they all start that way); if it has not, the ring is
	// full: -E_TX_FULL, and the caller tries again. Else copy the frame
	// into its buffer (tx_buf), set its length, its command (EOP: the
	// frame ends here; RS: report status, so that DD comes back), clear
	// its status, and move the tail on, wrapping at kTxRing. The card
	// reads the descriptor after the tail moves: the compiler must not
	// put the descriptor's stores after the tail's.
	//> (void)data;
	//> panic("e1000_transmit: not implemented (LAB 6 exercise transmit)");
	uint32_t tail = reg_read(E_TDT);
	volatile TxDesc &d = tx_ring[tail];
	if (!(d.status & TXD_STAT_DD))
		return -E_TX_FULL;
	memcpy(tx_buf[tail], data, len);
	d.length = static_cast<uint16_t>(len);
	d.cmd = TXD_CMD_EOP | TXD_CMD_RS;
	d.status = 0;
	asm volatile("" ::: "memory");
	reg_write(E_TDT, (tail + 1) % kTxRing);
	return 0;
	// LAB 6 EXERCISE transmit END
}

bool
e1000_rx_ready()
{
	if (regs == nullptr || !rx_on)
		return false;
	uint32_t next = (reg_read(E_RDT) + 1) % kRxRing;
	return rx_ring[next].status & RXD_STAT_DD;
}

int
e1000_receive(void *buf, size_t cap)
{
	if (regs == nullptr || !rx_on)
		return -E_NO_NIC;
	// LAB 6 EXERCISE receive BEGIN
	// The next frame is in the descriptor after the tail (RDT), once the
	// card has set DD there; if it has not, -E_RX_EMPTY. A frame fits one
	// buffer (no jumbo frames: EOP is set); if it does not fit cap,
	// -E_INVAL and leave it. Else copy it out (rx_buf), clear the status,
	// and give the descriptor back by moving the tail onto it. Read the
	// descriptor only after seeing DD.
	//> (void)buf, (void)cap;
	//> panic("e1000_receive: not implemented (LAB 6 exercise receive)");
	uint32_t next = (reg_read(E_RDT) + 1) % kRxRing;
	volatile RxDesc &d = rx_ring[next];
	if (!(d.status & RXD_STAT_DD))
		return -E_RX_EMPTY;
	asm volatile("" ::: "memory");
	size_t len = d.length;
	if (!(d.status & RXD_STAT_EOP) || len > kMaxFrame) {
		// A frame longer than one buffer: the card split it. Drop it.
		d.status = 0;
		reg_write(E_RDT, next);
		return -E_RX_EMPTY;
	}
	if (len > cap)
		return -E_INVAL;
	memcpy(buf, rx_buf[next], len);
	d.status = 0;
	asm volatile("" ::: "memory");
	reg_write(E_RDT, next);
	return static_cast<int>(len);
	// LAB 6 EXERCISE receive END
}

bool
e1000_interrupts_on()
{
	return regs != nullptr && rx_on && gsi >= 0;
}

bool
e1000_can_receive()
{
	return regs != nullptr && rx_on;
}

void
e1000_intr()
{
	if (regs == nullptr)
		return;
	// Reading ICR clears it and lowers the level-triggered line: the EOI
	// that follows must not see it still asserted.
	uint32_t cause = reg_read(E_ICR);
	if (cause & (ICR_RXT0 | ICR_RXO | ICR_RXDMT0))
		rx_came.store(true, MemoryOrder::release);
}

bool
e1000_rx_arrived()
{
	return rx_came.exchange(false, MemoryOrder::acq_rel);
}

void
e1000_interrupt_to(uint32_t apic_id)
{
	if (gsi < 0 || apic_id == gsi_apic_id)
		return;
	gsi_apic_id = apic_id;
	ioapic_retarget(static_cast<uint32_t>(gsi), apic_id);
}
