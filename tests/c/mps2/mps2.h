/* Registers and helpers of the minimal MPS2 test start-up (see startup.c). */
#ifndef MPS2_H
#define MPS2_H

#include <stdint.h>

#define MPS2_REG(addr) (*(volatile uint32_t *)(addr))
#define MPS2_UART0_DATA MPS2_REG(0x40004000u)
#define MPS2_UART0_STATE MPS2_REG(0x40004004u)
#define MPS2_UART0_CTRL MPS2_REG(0x40004008u)
#define MPS2_UART0_BAUDDIV MPS2_REG(0x40004010u)
#define MPS2_TIMER0_CTRL MPS2_REG(0x40000000u)
#define MPS2_TIMER0_VALUE MPS2_REG(0x40000004u)
#define MPS2_TIMER0_RELOAD MPS2_REG(0x40000008u)

void mps2_exit(int code);
void mps2_putc(char c);
void mps2_puts(const char *s);
void mps2_put_hex8(uint8_t v);
void mps2_put_u32(uint32_t v);

#endif
