/**
 * @file el_bsp_arduino.cpp
 * @brief el_bsp.h on top of the Arduino API: the console UART is Serial, the counter micros().
 */
#include <Arduino.h>

#include "el_bsp.h"

extern "C" {

void el_bsp_init(void) { Serial.begin(EL_BOARD_UART_BAUD); }

void el_bsp_uart_write(const uint8_t *data, size_t n) { Serial.write(data, n); }

int el_bsp_uart_read(void) { return Serial.read(); }

uint32_t el_bsp_cycles(void) { return (uint32_t)micros(); }

void el_bsp_cycles_restart(void) {}

void el_bsp_idle(void) { yield(); }

uint32_t el_bsp_stack_used(void) { return 0; }

void el_bsp_reset(void)
{
#if defined(__arm__)
    /* SCB->AIRCR = VECTKEY | SYSRESETREQ: the same register on every Cortex-M. */
    *(volatile uint32_t *)0xE000ED0Cu = 0x05FA0004u;
#endif
    for (;;) {
    }
}

} /* extern "C" */
