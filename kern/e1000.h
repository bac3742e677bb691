// The Intel 82540EM gigabit Ethernet controller (QEMU's -device e1000):
// JOS's lab 6 driver, with receive interrupts.
#pragma once

#include <inc/trap.h>
#include <inc/types.h>

struct PciFunc;

constexpr uint16_t kE1000Vendor = 0x8086, kE1000Device = 0x100E;
// The largest frame either ring moves: Ethernet's 1514 bytes without the
// CRC, which the card adds (transmit) and strips (receive).
constexpr size_t kMaxFrame = 1518;

// The PCI attach function (kern/pci.cc's table): enables the function,
// maps its registers, reads the MAC address from the EEPROM and sets up
// both rings and the receive interrupt.
int e1000_attach(PciFunc *f);

// Whether a card was attached.
bool e1000_present();
// The card's MAC address (from its EEPROM).
void e1000_mac(uint8_t mac[6]);

// Queues one frame of len bytes for sending: 0, or -E_TX_FULL when every
// descriptor is still the card's (the caller tries again), -E_INVAL for a
// bad length, -E_NO_NIC without a card (or its transmit ring). Caller
// holds the big kernel lock.
int e1000_transmit(const void *data, size_t len);
// Takes the next received frame, if any, into buf (cap bytes): its length,
// -E_RX_EMPTY when none has arrived, -E_INVAL if it does not fit (it stays
// first in line), -E_NO_NIC. Caller holds the big kernel lock.
int e1000_receive(void *buf, size_t cap);
// Whether the receive ring is set up (rx_init did its part).
bool e1000_can_receive();
// Whether a received frame is waiting. Caller holds the big kernel lock.
bool e1000_rx_ready();

// The card's interrupt vector, and whether its interrupt is routed.
constexpr int kE1000Vector = IRQ_OFFSET + IRQ_NIC;
bool e1000_interrupts_on();
// The interrupt handler: reads (and so clears) the cause, and notes that
// frames arrived. Takes no lock: the CPU may be napping in a lock wait.
void e1000_intr();
// Whether frames arrived since the last call (and forgets it).
bool e1000_rx_arrived();
// Sends the card's interrupt to the CPU with this APIC ID from now on.
void e1000_interrupt_to(uint32_t apic_id);
