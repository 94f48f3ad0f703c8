/**
 * @file el_bsp.h
 * @brief Board support API: the only hardware interface the application and the model use.
 *
 * Implemented once per board family (targets/bsp/<family>/); board facts (addresses, clock,
 * counter unit) come from the generated el_board.h.
 */
#ifndef EL_BSP_H
#define EL_BSP_H

#include <stddef.h>
#include <stdint.h>

#include "el_board.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Bring up clocks, the console UART (RX by interrupt) and the cycle counter. */
void el_bsp_init(void);

/**
 * @brief Send bytes on the console UART; returns when all were handed to the hardware.
 * @param[in] data bytes to send
 * @param[in] n    number of bytes
 */
void el_bsp_uart_write(const uint8_t *data, size_t n);

/** @brief Next received byte (0..255), or -1 when none is waiting. Never blocks. */
int el_bsp_uart_read(void);

/** @brief Free-running up-counter in EL_BSP_CYCLE_UNIT units; wraps modulo 2^32. */
uint32_t el_bsp_cycles(void);

/**
 * @brief Begin a measurement: on SysTick boards, restart the tick period so that a counter wrap
 *        (and its interrupt) lands at the same point of every measurement, keeping emulated
 *        instruction counts identical run to run. The counter stays monotonic. No-op elsewhere.
 */
void el_bsp_cycles_restart(void);

/**
 * @brief Whole EL_BSP_CYCLE_UNIT units between two el_bsp_cycles() readings.
 *
 * On emulated boards el_bsp_cycles() counts in 2^-EL_BSP_CYCLE_FRAC_BITS instructions; this
 * rounds the difference to whole instructions, which makes QEMU counts repeatable.
 * @param[in] start  an earlier el_bsp_cycles() value
 * @param[in] end    a later el_bsp_cycles() value
 * @return the elapsed count (modulo 2^32 of the raw counter)
 */
static inline uint32_t el_bsp_cycles_elapsed(uint32_t start, uint32_t end)
{
#if defined(EL_BSP_CYCLE_FRAC_BITS) && EL_BSP_CYCLE_FRAC_BITS > 0
    return (end - start + (1u << (EL_BSP_CYCLE_FRAC_BITS - 1u))) >> EL_BSP_CYCLE_FRAC_BITS;
#else
    return end - start;
#endif
}

/** @brief Wait for an interrupt (WFI), or yield the CPU briefly on the host. */
void el_bsp_idle(void);

/** @brief System reset (on the host: exit the process). */
void el_bsp_reset(void);

/** @brief Deepest stack use so far in bytes, from the painted stack (0 on the host). */
uint32_t el_bsp_stack_used(void);

#ifdef __cplusplus
}
#endif

#endif /* EL_BSP_H */
