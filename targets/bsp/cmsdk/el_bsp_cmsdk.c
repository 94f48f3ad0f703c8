/**
 * @file el_bsp_cmsdk.c
 * @brief Arm MPS2/MPS3 boards (QEMU mps2-an385/an386/an500, mps3-an547): CMSDK APB UART.
 *
 * RX is interrupt driven: QEMU 7.2's cmsdk-apb-uart raises its RX interrupt while CTRL.RXINTEN
 * is set and a byte has arrived, and hands over the next byte only once DATA has been read.
 */
#include <stdint.h>

#include "el_board.h"
#include "el_bsp.h"
#include "el_cortexm.h"
#include "el_ring.h"

#define UART_DATA      EL_REG(EL_BOARD_UART_BASE + 0x00u)
#define UART_STATE     EL_REG(EL_BOARD_UART_BASE + 0x04u)
#define UART_CTRL      EL_REG(EL_BOARD_UART_BASE + 0x08u)
#define UART_INTCLEAR  EL_REG(EL_BOARD_UART_BASE + 0x0Cu)
#define UART_BAUDDIV   EL_REG(EL_BOARD_UART_BASE + 0x10u)

#define STATE_TXFULL   (1u << 0)
#define STATE_RXFULL   (1u << 1)
#define CTRL_TXEN      (1u << 0)
#define CTRL_RXEN      (1u << 1)
#define CTRL_RXINTEN   (1u << 3)
#define INT_RX         (1u << 1)

static el_ring_t s_rx;

void el_bsp_init(void)
{
    UART_CTRL = 0u;
    UART_BAUDDIV = EL_BOARD_UART_CLOCK_HZ / EL_BOARD_UART_BAUD;
    UART_CTRL = CTRL_TXEN | CTRL_RXEN | CTRL_RXINTEN;
    el_nvic_enable(EL_BOARD_UART_IRQ);
    el_cortexm_cycles_init();
    el_irq_enable();
}

void el_bsp_uart_irq(void)
{
    UART_INTCLEAR = INT_RX; /* clear first: a byte arriving while draining re-raises it */
    while (UART_STATE & STATE_RXFULL) {
        el_ring_put(&s_rx, (uint8_t)UART_DATA);
    }
}

void el_bsp_uart_write(const uint8_t *data, size_t n)
{
    size_t i;
    for (i = 0; i < n; ++i) {
        while (UART_STATE & STATE_TXFULL) {
        }
        UART_DATA = data[i];
    }
}

int el_bsp_uart_read(void)
{
    return el_ring_get(&s_rx);
}
