/**
 * @file el_bsp_nrf51.c
 * @brief nRF51 boards (QEMU microbit): the legacy UART0 without EasyDMA (nRF51 Series Reference
 *        Manual v3.0.1, chapter 29), SysTick on the 16 MHz HCLK as the counter.
 *
 * The UART hands over one byte at a time: RXD holds the oldest received byte and EVENTS_RXDRDY
 * says that one is waiting. The interrupt clears the event before it reads RXD, because reading
 * RXD raises the event again when more bytes are queued (the chip and QEMU's nrf51_uart both
 * keep a 6-byte FIFO); draining until the event stays clear loses nothing.
 *
 * The RX interrupt is armed only while the application waits for input: the handler disarms it
 * after draining, and el_bsp_uart_read() re-arms it when the ring is empty; meanwhile bytes wait
 * in the FIFO (QEMU reads no more from the host while it is full). The host ends each frame with
 * two delimiters, and the FIFO hands the second over either with the frame or after it, as host
 * timing has it; an interrupt for it in the middle of the model run would add the handler's
 * instructions to some counts and not to others. With the interrupt disarmed until the app asks
 * for its next byte, a measurement never contains a UART interrupt.
 *
 * TX is one byte per EVENTS_TXDRDY handshake: QEMU drops a TXD write while the previous byte is
 * still pending.
 */
#include <stdint.h>

#include "el_board.h"
#include "el_bsp.h"
#include "el_cortexm.h"
#include "el_ring.h"

#define CLOCK_HFCLKSTART   EL_REG(0x40000000u)
#define CLOCK_HFCLKSTARTED EL_REG(0x40000100u)

#define U(off)             EL_REG(EL_BOARD_UART_BASE + (off))
#define UART_STARTRX       U(0x000u)
#define UART_STARTTX       U(0x008u)
#define UART_EV_RXDRDY     U(0x108u)
#define UART_EV_TXDRDY     U(0x11Cu)
#define UART_EV_ERROR      U(0x124u)
#define UART_INTENSET      U(0x304u)
#define UART_INTENCLR      U(0x308u)
#define UART_ERRORSRC      U(0x480u)
#define UART_ENABLE        U(0x500u)
#define UART_PSELRTS       U(0x508u)
#define UART_PSELTXD       U(0x50Cu)
#define UART_PSELCTS       U(0x510u)
#define UART_PSELRXD       U(0x514u)
#define UART_RXD           U(0x518u)
#define UART_TXD           U(0x51Cu)
#define UART_BAUDRATE      U(0x524u)
#define UART_CONFIG        U(0x56Cu)

#define UART_ENABLE_ON     4u /* the UART (not UARTE) enable value */
#define INT_RXDRDY         (1u << 2)
#define PSEL_DISCONNECTED  0xFFFFFFFFu

#if EL_BOARD_UART_BAUD == 115200u
#define UART_BAUD_VALUE 0x01D7E000u
#else
#error "el_bsp_nrf51.c: add the BAUDRATE register value for this baud rate"
#endif

static el_ring_t s_rx;

void el_bsp_init(void)
{
    CLOCK_HFCLKSTARTED = 0u;
    CLOCK_HFCLKSTART = 1u; /* the 16 MHz crystal: the RC oscillator is too loose for a UART */
    while (CLOCK_HFCLKSTARTED == 0u) {
    }
    UART_ENABLE = 0u;
    UART_PSELTXD = EL_BOARD_UART_TX_PIN; /* the nRF51 has one GPIO port: the pin number */
    UART_PSELRXD = EL_BOARD_UART_RX_PIN;
    UART_PSELRTS = PSEL_DISCONNECTED;
    UART_PSELCTS = PSEL_DISCONNECTED;
    UART_BAUDRATE = UART_BAUD_VALUE;
    UART_CONFIG = 0u; /* 8N1, no flow control */
    UART_ENABLE = UART_ENABLE_ON;
    UART_EV_RXDRDY = 0u;
    UART_EV_TXDRDY = 0u;
    UART_EV_ERROR = 0u;
    UART_INTENSET = INT_RXDRDY;
    el_nvic_enable(EL_BOARD_UART_IRQ);
    UART_STARTRX = 1u;
    UART_STARTTX = 1u;
    el_cortexm_cycles_init();
    el_irq_enable();
}

void el_bsp_uart_irq(void)
{
    while (UART_EV_RXDRDY != 0u) {
        UART_EV_RXDRDY = 0u; /* clear first: reading RXD re-raises it while bytes are queued */
        el_ring_put(&s_rx, (uint8_t)UART_RXD);
    }
    UART_INTENCLR = INT_RXDRDY; /* until el_bsp_uart_read() has handed out every byte */
    if (UART_EV_ERROR != 0u) { /* overrun or framing: the byte is lost, the CRC will tell */
        UART_EV_ERROR = 0u;
        UART_ERRORSRC = UART_ERRORSRC;
    }
}

void el_bsp_uart_write(const uint8_t *data, size_t n)
{
    size_t i;
    for (i = 0; i < n; ++i) {
        UART_EV_TXDRDY = 0u;
        UART_TXD = data[i];
        while (UART_EV_TXDRDY == 0u) {
        }
    }
}

int el_bsp_uart_read(void)
{
    int byte = el_ring_get(&s_rx);
    if (byte < 0) {
        /* Re-arm. A byte already waiting in the FIFO interrupts at once, before the caller
         * could go to sleep on an empty ring: take what the handler just put there. */
        UART_INTENSET = INT_RXDRDY;
        el_dsb_isb();
        byte = el_ring_get(&s_rx);
    }
    return byte;
}
