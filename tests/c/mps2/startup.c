/*
 * Minimal bare-metal start for QEMU's MPS2 boards (AN385 Cortex-M3, AN386 Cortex-M4,
 * AN500 Cortex-M7): vector table, .data/.bss set-up, CMSDK UART0 output, a timer read
 * and a semihosting exit with status, so that kernel tests need no board support package.
 */
#include <stdint.h>

#include "mps2.h"

extern uint32_t __stack_top;
extern uint32_t __data_load, __data_start, __data_end, __bss_start, __bss_end;
int main(void);

void mps2_exit(int code)
{
    /* SYS_EXIT_EXTENDED: r1 points to {ADP_Stopped_ApplicationExit, code} */
    static volatile uint32_t block[2];
    block[0] = 0x20026u;
    block[1] = (uint32_t)code;
    {
        register uint32_t r0 __asm__("r0") = 0x20u;
        register volatile uint32_t *r1 __asm__("r1") = block;
        __asm__ volatile("bkpt 0xAB" : : "r"(r0), "r"(r1) : "memory");
    }
    for (;;) {
    }
}

static void fault_handler(void)
{
    mps2_puts("FAULT\n");
    mps2_exit(99);
}

void Reset_Handler(void)
{
    uint32_t *src = &__data_load;
    uint32_t *dst = &__data_start;
    while (dst < &__data_end) {
        *dst++ = *src++;
    }
    for (dst = &__bss_start; dst < &__bss_end; dst++) {
        *dst = 0u;
    }
    MPS2_UART0_BAUDDIV = 16u;
    MPS2_UART0_CTRL = 1u; /* TX enable */
    MPS2_TIMER0_RELOAD = 0xFFFFFFFFu;
    MPS2_TIMER0_VALUE = 0xFFFFFFFFu;
    MPS2_TIMER0_CTRL = 1u; /* enable, down counter at the peripheral clock */
    mps2_exit(main());
}

typedef void (*vector)(void);
__attribute__((section(".vectors"), used)) static const vector vectors[16] = {
    (vector)(uintptr_t)&__stack_top, Reset_Handler, fault_handler, fault_handler,
    fault_handler, fault_handler, fault_handler, 0, 0, 0, 0, fault_handler, fault_handler, 0,
    fault_handler, fault_handler,
};

void mps2_putc(char c)
{
    while ((MPS2_UART0_STATE & 1u) != 0u) {
    }
    MPS2_UART0_DATA = (uint32_t)(uint8_t)c;
}

void mps2_puts(const char *s)
{
    while (*s != '\0') {
        mps2_putc(*s++);
    }
}

void mps2_put_hex8(uint8_t v)
{
    static const char digits[] = "0123456789abcdef";
    mps2_putc(digits[v >> 4]);
    mps2_putc(digits[v & 15u]);
}

void mps2_put_u32(uint32_t v)
{
    char buf[11];
    int i = 10;
    buf[i] = '\0';
    do {
        buf[--i] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0u);
    mps2_puts(&buf[i]);
}
