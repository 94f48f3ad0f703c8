/**
 * @file el_bsp_nrf52.c
 * @brief nRF52840 boards: UARTE0 with EasyDMA (nRF52840 Product Specification, UARTE chapter).
 *
 * EasyDMA reads only RAM, so TX copies through a RAM buffer. RX receives one byte per DMA
 * transfer into two alternating buffers: the ENDRX_STARTRX shortcut restarts reception at once,
 * and the RXSTARTED event is where the next buffer pointer is loaded.
 */
#include <stdint.h>

#include "el_board.h"
#include "el_bsp.h"
#include "el_cortexm.h"
#include "el_ring.h"

#define CLOCK_HFCLKSTART   EL_REG(0x40000000u)
#define CLOCK_HFCLKSTARTED EL_REG(0x40000100u)

#define U(off)              EL_REG(EL_BOARD_UART_BASE + (off))
#define UARTE_STARTRX       U(0x000u)
#define UARTE_STARTTX       U(0x008u)
#define UARTE_EV_ENDRX      U(0x110u)
#define UARTE_EV_ENDTX      U(0x120u)
#define UARTE_EV_RXSTARTED  U(0x14Cu)
#define UARTE_SHORTS        U(0x200u)
#define UARTE_INTENSET      U(0x304u)
#define UARTE_ENABLE        U(0x500u)
#define UARTE_PSEL_RTS      U(0x508u)
#define UARTE_PSEL_TXD      U(0x50Cu)
#define UARTE_PSEL_CTS      U(0x510u)
#define UARTE_PSEL_RXD      U(0x514u)
#define UARTE_BAUDRATE      U(0x524u)
#define UARTE_RXD_PTR       U(0x534u)
#define UARTE_RXD_MAXCNT    U(0x538u)
#define UARTE_TXD_PTR       U(0x544u)
#define UARTE_TXD_MAXCNT    U(0x548u)
#define UARTE_CONFIG        U(0x56Cu)

#define SHORT_ENDRX_STARTRX (1u << 5)
#define INT_ENDRX           (1u << 4)
#define INT_RXSTARTED       (1u << 19)
#define PSEL_DISCONNECTED   0xFFFFFFFFu

#if EL_BOARD_UART_BAUD == 115200u
#define UARTE_BAUD_VALUE 0x01D7E000u
#else
#error "el_bsp_nrf52.c: add the BAUDRATE register value for this baud rate"
#endif

static el_ring_t s_rx;
static volatile uint8_t s_rx_buf[2];
static uint32_t s_rx_next; /* buffer to load at the next RXSTARTED */
static uint32_t s_rx_done; /* buffer that the next ENDRX completes */
static uint8_t s_tx_buf[64];

void el_bsp_init(void)
{
    CLOCK_HFCLKSTARTED = 0u;
    CLOCK_HFCLKSTART = 1u; /* the crystal: the RC oscillator is too loose for a UART */
    while (CLOCK_HFCLKSTARTED == 0u) {
    }
    UARTE_ENABLE = 0u;
    UARTE_PSEL_TXD = (EL_BOARD_UART_TX_PORT << 5) | EL_BOARD_UART_TX_PIN;
    UARTE_PSEL_RXD = (EL_BOARD_UART_RX_PORT << 5) | EL_BOARD_UART_RX_PIN;
    UARTE_PSEL_RTS = PSEL_DISCONNECTED;
    UARTE_PSEL_CTS = PSEL_DISCONNECTED;
    UARTE_BAUDRATE = UARTE_BAUD_VALUE;
    UARTE_CONFIG = 0u; /* 8N1, no flow control */
    UARTE_ENABLE = 8u;
    s_rx_next = 1u;
    s_rx_done = 0u;
    UARTE_RXD_PTR = (uint32_t)(uintptr_t)&s_rx_buf[0];
    UARTE_RXD_MAXCNT = 1u;
    UARTE_SHORTS = SHORT_ENDRX_STARTRX;
    UARTE_INTENSET = INT_ENDRX | INT_RXSTARTED;
    el_nvic_enable(EL_BOARD_UART_IRQ);
    UARTE_STARTRX = 1u;
    el_cortexm_cycles_init();
    el_irq_enable();
}

void el_bsp_uart_irq(void)
{
    if (UARTE_EV_ENDRX) {
        UARTE_EV_ENDRX = 0u;
        el_ring_put(&s_rx, s_rx_buf[s_rx_done]);
        s_rx_done ^= 1u;
    }
    if (UARTE_EV_RXSTARTED) {
        UARTE_EV_RXSTARTED = 0u;
        UARTE_RXD_PTR = (uint32_t)(uintptr_t)&s_rx_buf[s_rx_next];
        s_rx_next ^= 1u;
    }
}

void el_bsp_uart_write(const uint8_t *data, size_t n)
{
    while (n > 0u) {
        size_t chunk = n < sizeof s_tx_buf ? n : sizeof s_tx_buf;
        size_t i;
        for (i = 0; i < chunk; ++i) {
            s_tx_buf[i] = data[i];
        }
        UARTE_EV_ENDTX = 0u;
        UARTE_TXD_PTR = (uint32_t)(uintptr_t)s_tx_buf;
        UARTE_TXD_MAXCNT = (uint32_t)chunk;
        UARTE_STARTTX = 1u;
        while (UARTE_EV_ENDTX == 0u) {
        }
        data += chunk;
        n -= chunk;
    }
}

int el_bsp_uart_read(void)
{
    return el_ring_get(&s_rx);
}
