/**
 * @file el_bsp_stm32.c
 * @brief STM32F4 (RM0390) and STM32L4 (RM0351) NUCLEO boards: USART2 on the ST-LINK VCP.
 *
 * The F4 runs on its 16 MHz HSI reset clock; the L4 is switched from MSI 4 MHz to HSI16 (both
 * need zero flash wait states at 16 MHz). APB1 = SYSCLK, so USART2 is clocked at EL_BOARD_CPU_HZ.
 */
#include <stdint.h>

#include "el_board.h"
#include "el_bsp.h"
#include "el_cortexm.h"
#include "el_ring.h"

#if defined(EL_BOARD_UART_KIND_STM32F4)
#define RCC_BASE      0x40023800u
#define RCC_GPIOEN    EL_REG(RCC_BASE + 0x30u) /* AHB1ENR */
#define RCC_USARTEN   EL_REG(RCC_BASE + 0x40u) /* APB1ENR */
#define GPIO_BASE(p)  (0x40020000u + 0x400u * (p))
#define USART_SR      EL_REG(EL_BOARD_UART_BASE + 0x00u)
#define USART_RDR     EL_REG(EL_BOARD_UART_BASE + 0x04u)
#define USART_TDR     EL_REG(EL_BOARD_UART_BASE + 0x04u)
#define USART_BRR     EL_REG(EL_BOARD_UART_BASE + 0x08u)
#define USART_CR1     EL_REG(EL_BOARD_UART_BASE + 0x0Cu)
#define CR1_UE        (1u << 13)
#elif defined(EL_BOARD_UART_KIND_STM32L4)
#define RCC_BASE      0x40021000u
#define RCC_CR        EL_REG(RCC_BASE + 0x00u)
#define RCC_CFGR      EL_REG(RCC_BASE + 0x08u)
#define RCC_GPIOEN    EL_REG(RCC_BASE + 0x4Cu) /* AHB2ENR */
#define RCC_USARTEN   EL_REG(RCC_BASE + 0x58u) /* APB1ENR1 */
#define GPIO_BASE(p)  (0x48000000u + 0x400u * (p))
#define USART_CR1     EL_REG(EL_BOARD_UART_BASE + 0x00u)
#define USART_BRR     EL_REG(EL_BOARD_UART_BASE + 0x0Cu)
#define USART_SR      EL_REG(EL_BOARD_UART_BASE + 0x1Cu) /* ISR */
#define USART_ICR     EL_REG(EL_BOARD_UART_BASE + 0x20u)
#define USART_RDR     EL_REG(EL_BOARD_UART_BASE + 0x24u)
#define USART_TDR     EL_REG(EL_BOARD_UART_BASE + 0x28u)
#define CR1_UE        (1u << 0)
#else
#error "el_bsp_stm32.c: the board's uart.kind must be stm32f4 or stm32l4"
#endif

#define SR_ORE        (1u << 3)
#define SR_RXNE       (1u << 5)
#define SR_TXE        (1u << 7)
#define CR1_RE        (1u << 2)
#define CR1_TE        (1u << 3)
#define CR1_RXNEIE    (1u << 5)
#define USART2_APB1_BIT 17u
#define GPIO_AF_USART 7u

static el_ring_t s_rx;

/**
 * @brief Route one pin to its alternate function.
 * @param[in] port GPIO port (0 = A)
 * @param[in] pin  pin number 0..15
 */
static void pin_af(uint32_t port, uint32_t pin)
{
    uint32_t base = GPIO_BASE(port);
    EL_REG(base + 0x00u) = (EL_REG(base + 0x00u) & ~(3u << (2u * pin))) | (2u << (2u * pin));
    if (pin < 8u) {
        EL_REG(base + 0x20u) = (EL_REG(base + 0x20u) & ~(0xFu << (4u * pin))) |
                               (GPIO_AF_USART << (4u * pin));
    } else {
        EL_REG(base + 0x24u) = (EL_REG(base + 0x24u) & ~(0xFu << (4u * (pin - 8u)))) |
                               (GPIO_AF_USART << (4u * (pin - 8u)));
    }
}

void el_bsp_init(void)
{
#if defined(EL_BOARD_UART_KIND_STM32L4)
    RCC_CR |= 1u << 8; /* HSION */
    while ((RCC_CR & (1u << 10)) == 0u) { /* HSIRDY */
    }
    RCC_CFGR = (RCC_CFGR & ~3u) | 1u; /* SW = HSI16 */
    while (((RCC_CFGR >> 2) & 3u) != 1u) {
    }
#endif
    RCC_GPIOEN |= (1u << EL_BOARD_UART_TX_PORT) | (1u << EL_BOARD_UART_RX_PORT);
    RCC_USARTEN |= 1u << USART2_APB1_BIT;
    (void)RCC_USARTEN; /* the clock must be running before the registers are written */
    pin_af(EL_BOARD_UART_TX_PORT, EL_BOARD_UART_TX_PIN);
    pin_af(EL_BOARD_UART_RX_PORT, EL_BOARD_UART_RX_PIN);
    USART_CR1 = 0u;
    USART_BRR = (EL_BOARD_UART_CLOCK_HZ + EL_BOARD_UART_BAUD / 2u) / EL_BOARD_UART_BAUD;
    USART_CR1 = CR1_TE | CR1_RE | CR1_RXNEIE;
    USART_CR1 |= CR1_UE;
    el_nvic_enable(EL_BOARD_UART_IRQ);
    el_cortexm_cycles_init();
    el_irq_enable();
}

void el_bsp_uart_irq(void)
{
    uint32_t sr = USART_SR;
    if (sr & SR_RXNE) {
        el_ring_put(&s_rx, (uint8_t)USART_RDR);
    }
    if (sr & SR_ORE) {
#if defined(EL_BOARD_UART_KIND_STM32L4)
        USART_ICR = SR_ORE;
#else
        (void)USART_RDR; /* SR then DR read clears ORE */
#endif
    }
}

void el_bsp_uart_write(const uint8_t *data, size_t n)
{
    size_t i;
    for (i = 0; i < n; ++i) {
        while ((USART_SR & SR_TXE) == 0u) {
        }
        USART_TDR = data[i];
    }
}

int el_bsp_uart_read(void)
{
    return el_ring_get(&s_rx);
}
