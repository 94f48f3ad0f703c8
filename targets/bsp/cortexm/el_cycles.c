/**
 * @file el_cycles.c
 * @brief el_bsp_cycles(): DWT CYCCNT on real v7-M boards; SysTick elsewhere.
 *
 * SysTick counts down from 0xFFFFFF on the CPU clock; its wrap interrupt extends it in software.
 * Ticks are scaled by EL_BSP_TICK_MUL >> EL_BSP_TICK_SHIFT into EL_BSP_CYCLE_UNIT (on QEMU under
 * -icount shift=0 one instruction is 1 ns, so instructions = ticks * 1e9 / EL_BOARD_CPU_HZ).
 */
#include <stdint.h>

#include "el_board.h"
#include "el_bsp.h"
#include "el_cortexm.h"

void el_systick_handler(void);

static volatile uint32_t s_wraps;

void el_systick_handler(void)
{
    s_wraps = s_wraps + 1u;
}

void el_cortexm_cycles_init(void)
{
#if EL_BSP_COUNTER_DWT
    EL_DEMCR |= 1u << 24;     /* TRCENA */
    EL_DWT_LAR = 0xC5ACCE55u; /* unlock (Cortex-M7); ignored elsewhere */
    EL_DWT_CYCCNT = 0u;
    EL_DWT_CTRL |= 1u;        /* CYCCNTENA */
#else
    s_wraps = 0u;
    EL_SYST_CSR = 0u;
    EL_SYST_RVR = 0xFFFFFFu;
    EL_SYST_CVR = 0u;
    EL_SYST_CSR = 7u; /* ENABLE | TICKINT | CLKSOURCE = CPU */
#endif
}

void el_bsp_cycles_restart(void)
{
#if !EL_BSP_COUNTER_DWT
    /* Writing CVR clears it; the next tick reloads 0xFFFFFF without an exception, so count
     * that reload as a wrap here and wait for it: the value read afterwards is larger than
     * any read before, and the next wrap is a whole period away. */
    EL_SYST_CVR = 0u;
    s_wraps = s_wraps + 1u;
    while ((EL_SYST_CVR & 0xFFFFFFu) == 0u) {
    }
#endif
}

uint32_t el_bsp_cycles(void)
{
#if EL_BSP_COUNTER_DWT
    return EL_DWT_CYCCNT;
#else
    uint32_t w1;
    uint32_t w2;
    uint32_t v;
    uint64_t ticks;
    do {
        w1 = s_wraps;
        v = EL_SYST_CVR;
        w2 = s_wraps;
    } while (w1 != w2);
    ticks = ((uint64_t)w1 << 24) | (uint64_t)(0xFFFFFFu - (v & 0xFFFFFFu));
    return (uint32_t)((ticks * EL_BSP_TICK_MUL) >> EL_BSP_TICK_SHIFT);
#endif
}
