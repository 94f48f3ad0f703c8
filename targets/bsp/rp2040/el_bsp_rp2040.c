/**
 * @file el_bsp_rp2040.c
 * @brief Raspberry Pi Pico (RP2040 datasheet): XOSC 12 MHz as clk_ref/clk_sys/clk_peri, UART0
 *        (PL011) on GP0/GP1, SysTick on the CPU clock as the cycle counter.
 */
#include <stdint.h>

#include "el_board.h"
#include "el_bsp.h"
#include "el_cortexm.h"
#include "el_ring.h"

#define XOSC_CTRL          EL_REG(0x40024000u)
#define XOSC_STATUS        EL_REG(0x40024004u)
#define XOSC_STARTUP       EL_REG(0x4002400Cu)
#define CLK_REF_CTRL       EL_REG(0x40008030u)
#define CLK_REF_SELECTED   EL_REG(0x40008038u)
#define CLK_SYS_CTRL       EL_REG(0x4000803Cu)
#define CLK_SYS_SELECTED   EL_REG(0x40008044u)
#define CLK_PERI_CTRL      EL_REG(0x40008048u)
#define RESETS_CLR         EL_REG(0x4000C000u + 0x3000u) /* atomic clear alias of RESET */
#define RESETS_DONE        EL_REG(0x4000C008u)
#define IO_BANK0_CTRL(pin) EL_REG(0x40014004u + 8u * (pin))

#define RESET_IO_BANK0     (1u << 5)
#define RESET_PADS_BANK0   (1u << 8)
#define RESET_UART0        (1u << 22)
#define FUNCSEL_UART       2u

#define UART_DR            EL_REG(EL_BOARD_UART_BASE + 0x000u)
#define UART_FR            EL_REG(EL_BOARD_UART_BASE + 0x018u)
#define UART_IBRD          EL_REG(EL_BOARD_UART_BASE + 0x024u)
#define UART_FBRD          EL_REG(EL_BOARD_UART_BASE + 0x028u)
#define UART_LCR_H         EL_REG(EL_BOARD_UART_BASE + 0x02Cu)
#define UART_CR            EL_REG(EL_BOARD_UART_BASE + 0x030u)
#define UART_IMSC          EL_REG(EL_BOARD_UART_BASE + 0x038u)
#define UART_ICR           EL_REG(EL_BOARD_UART_BASE + 0x044u)
#define FR_RXFE            (1u << 4)
#define FR_TXFF            (1u << 5)
#define INT_RX             (1u << 4)
#define INT_RT             (1u << 6)

/* PL011 divisor = clk / (16 * baud) in 16.6 fixed point, rounded. */
#define UART_DIV64 ((8u * EL_BOARD_UART_CLOCK_HZ + EL_BOARD_UART_BAUD / 2u) / EL_BOARD_UART_BAUD)

static el_ring_t s_rx;

void el_bsp_init(void)
{
    const uint32_t resets = RESET_IO_BANK0 | RESET_PADS_BANK0 | RESET_UART0;
    XOSC_STARTUP = ((EL_BOARD_CPU_HZ / 1000u) + 128u) / 256u; /* about 1 ms */
    XOSC_CTRL = (0xFABu << 12) | 0xAA0u;                      /* ENABLE, 1-15 MHz range */
    while ((XOSC_STATUS & (1u << 31)) == 0u) {                /* STABLE */
    }
    CLK_REF_CTRL = 2u; /* clk_ref <- xosc */
    while ((CLK_REF_SELECTED & (1u << 2)) == 0u) {
    }
    CLK_SYS_CTRL = 0u; /* clk_sys <- clk_ref */
    while ((CLK_SYS_SELECTED & 1u) == 0u) {
    }
    CLK_PERI_CTRL = 1u << 11; /* ENABLE, AUXSRC = clk_sys */
    RESETS_CLR = resets;
    while ((RESETS_DONE & resets) != resets) {
    }
    IO_BANK0_CTRL(EL_BOARD_UART_TX_PIN) = FUNCSEL_UART;
    IO_BANK0_CTRL(EL_BOARD_UART_RX_PIN) = FUNCSEL_UART;
    UART_IBRD = UART_DIV64 >> 6;
    UART_FBRD = UART_DIV64 & 63u;
    UART_LCR_H = (3u << 5) | (1u << 4); /* 8 bits, FIFOs on (also latches IBRD/FBRD) */
    UART_IMSC = INT_RX | INT_RT;
    UART_CR = (1u << 9) | (1u << 8) | 1u; /* RXE | TXE | UARTEN */
    el_nvic_enable(EL_BOARD_UART_IRQ);
    el_cortexm_cycles_init();
    el_irq_enable();
}

void el_bsp_uart_irq(void)
{
    while ((UART_FR & FR_RXFE) == 0u) {
        el_ring_put(&s_rx, (uint8_t)UART_DR);
    }
    UART_ICR = INT_RX | INT_RT;
}

void el_bsp_uart_write(const uint8_t *data, size_t n)
{
    size_t i;
    for (i = 0; i < n; ++i) {
        while (UART_FR & FR_TXFF) {
        }
        UART_DR = data[i];
    }
}

int el_bsp_uart_read(void)
{
    return el_ring_get(&s_rx);
}
