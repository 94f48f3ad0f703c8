/**
 * @file el_cortexm.h
 * @brief Core peripherals common to every Cortex-M (ARMv6-M/v7-M/v8-M): SCB, NVIC, SysTick, DWT.
 */
#ifndef EL_CORTEXM_H
#define EL_CORTEXM_H

#include <stdint.h>

#define EL_REG(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

#define EL_SCB_ICSR   EL_REG(0xE000ED04u)
#define EL_SCB_VTOR   EL_REG(0xE000ED08u)
#define EL_SCB_AIRCR  EL_REG(0xE000ED0Cu)
#define EL_SCB_CPACR  EL_REG(0xE000ED88u)
#define EL_SYST_CSR   EL_REG(0xE000E010u)
#define EL_SYST_RVR   EL_REG(0xE000E014u)
#define EL_SYST_CVR   EL_REG(0xE000E018u)
#define EL_DEMCR      EL_REG(0xE000EDFCu)
#define EL_DWT_CTRL   EL_REG(0xE0001000u)
#define EL_DWT_CYCCNT EL_REG(0xE0001004u)
#define EL_DWT_LAR    EL_REG(0xE0001FB0u)
#define EL_NVIC_ISER(n) EL_REG(0xE000E100u + 4u * (uint32_t)(n))
#define EL_NVIC_ICPR(n) EL_REG(0xE000E280u + 4u * (uint32_t)(n))

/**
 * @brief Enable one external interrupt in the NVIC.
 * @param[in] irq interrupt number (0 = first external interrupt)
 */
static inline void el_nvic_enable(uint32_t irq)
{
    EL_NVIC_ICPR(irq >> 5) = 1u << (irq & 31u);
    EL_NVIC_ISER(irq >> 5) = 1u << (irq & 31u);
}

static inline void el_irq_enable(void) { __asm volatile("cpsie i" ::: "memory"); }
static inline void el_irq_disable(void) { __asm volatile("cpsid i" ::: "memory"); }
static inline void el_dsb_isb(void) { __asm volatile("dsb\n\tisb" ::: "memory"); }

/** @brief Start the counter behind el_bsp_cycles() (DWT or SysTick, per el_board.h). */
void el_cortexm_cycles_init(void);

/** @brief The console UART interrupt handler, implemented by each family. */
void el_bsp_uart_irq(void);

#endif /* EL_CORTEXM_H */
