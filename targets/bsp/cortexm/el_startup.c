/**
 * @file el_startup.c
 * @brief Vector table, reset handler (.data copy, .bss zero, FPU enable, stack paint) and a
 *        HardFault handler that reports the faulting PC/LR/xPSR on the console UART.
 *
 * Linker symbols (bsp/linker.ld): __el_data_load/_start/_end, __el_bss_start/_end,
 * __el_stack_bottom/_top.
 */
#include <stdint.h>

#include "el_board.h"
#include "el_bsp.h"
#include "el_cortexm.h"

#define EL_STACK_PAINT 0xA5A5A5A5u

extern uint32_t __el_data_load;
extern uint32_t __el_data_start;
extern uint32_t __el_data_end;
extern uint32_t __el_bss_start;
extern uint32_t __el_bss_end;
extern uint32_t __el_stack_bottom;
extern uint32_t __el_stack_top;

int main(void);
void __libc_init_array(void);
void Reset_Handler(void);
void el_default_handler(void);
void el_hardfault_handler(void);
void el_systick_handler(void);
void el_bsp_fault_report(const uint32_t *frame);
void _init(void);
void _fini(void);

typedef union {
    void (*handler)(void);
    const void *stack;
} el_vector_t;

/* Unused interrupts stay 0: one that fires anyway faults and is reported by the HardFault. */
__attribute__((section(".isr_vector"), used))
const el_vector_t el_vectors[16 + EL_BOARD_IRQ_COUNT] = {
    [0] = {.stack = &__el_stack_top},
    [1] = {.handler = Reset_Handler},
    [2] = {.handler = el_default_handler},   /* NMI */
    [3] = {.handler = el_hardfault_handler},
    [4] = {.handler = el_hardfault_handler}, /* MemManage (v7-M and later) */
    [5] = {.handler = el_hardfault_handler}, /* BusFault */
    [6] = {.handler = el_hardfault_handler}, /* UsageFault */
    [11] = {.handler = el_default_handler},  /* SVCall */
    [14] = {.handler = el_default_handler},  /* PendSV */
    [15] = {.handler = el_systick_handler},
    [16 + EL_BOARD_UART_IRQ] = {.handler = el_bsp_uart_irq},
};

/* Board facts kept in the image so that tools can check an ELF against the board it is about to
 * be flashed to: magic "ELBI", flash base, RAM base, UART base, CPU clock. */
__attribute__((section(".el_board_info"), used))
const uint32_t el_board_info[5] = {0x49424C45u, EL_BOARD_FLASH_BASE, EL_BOARD_RAM_BASE,
                                   EL_BOARD_UART_BASE, EL_BOARD_CPU_HZ};

/* newlib's __libc_init_array calls these; the C runtime start files are not linked. */
void _init(void) {}
void _fini(void) {}

void Reset_Handler(void)
{
    uint32_t *src = &__el_data_load;
    uint32_t *dst = &__el_data_start;
    uint32_t *sp;

#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
    EL_SCB_CPACR |= 0xFu << 20; /* CP10 and CP11 full access: FPU (and MVE) */
    el_dsb_isb();
#endif
    while (dst < &__el_data_end) {
        *dst++ = *src++;
    }
    for (dst = &__el_bss_start; dst < &__el_bss_end; ++dst) {
        *dst = 0u;
    }
    /* Paint the unused part of the stack so el_bsp_stack_used() can find the high-water mark. */
    __asm volatile("mov %0, sp" : "=r"(sp));
    for (dst = &__el_stack_bottom; dst < sp - 16; ++dst) {
        *dst = EL_STACK_PAINT;
    }
    EL_SCB_VTOR = (uint32_t)(uintptr_t)el_vectors;
    el_dsb_isb();
    __libc_init_array();
    (void)main();
    for (;;) {
        el_bsp_idle();
    }
}

uint32_t el_bsp_stack_used(void)
{
    const uint32_t *p = &__el_stack_bottom;
    while (p < &__el_stack_top && *p == EL_STACK_PAINT) {
        ++p;
    }
    return (uint32_t)((uintptr_t)&__el_stack_top - (uintptr_t)p);
}

void el_default_handler(void)
{
    for (;;) {
    }
}

/* Pass the exception frame (on the main stack: no RTOS, no PSP) to the reporter. */
__attribute__((naked)) void el_hardfault_handler(void)
{
    __asm volatile("mrs r0, msp\n\t"
                   "ldr r1, =el_bsp_fault_report\n\t"
                   "bx r1\n\t"
                   ".ltorg\n\t");
}

/**
 * @brief Format a 32-bit value as 8 hex digits.
 * @param[out] out 8 characters
 * @param[in]  v   value
 */
static void el_hex32(uint8_t *out, uint32_t v)
{
    static const char digits[] = "0123456789abcdef";
    int i;
    for (i = 7; i >= 0; --i) {
        out[i] = (uint8_t)digits[v & 0xFu];
        v >>= 4;
    }
}

/**
 * @brief Print "HardFault PC=... LR=... xPSR=..." from the stacked frame, then halt.
 * @param[in] frame r0, r1, r2, r3, r12, lr, pc, xpsr as stacked by the exception entry
 */
void el_bsp_fault_report(const uint32_t *frame)
{
    static uint8_t line[] = "\r\nHardFault PC=0x........ LR=0x........ xPSR=0x........\r\n";
    el_hex32(&line[17], frame[6]);
    el_hex32(&line[31], frame[5]);
    el_hex32(&line[47], frame[7]);
    el_bsp_uart_write(line, sizeof line - 1u);
    for (;;) {
    }
}

void el_bsp_idle(void)
{
    __asm volatile("wfi");
}

void el_bsp_reset(void)
{
    el_dsb_isb();
    EL_SCB_AIRCR = (0x5FAu << 16) | (1u << 2); /* VECTKEY | SYSRESETREQ */
    el_dsb_isb();
    for (;;) {
    }
}
