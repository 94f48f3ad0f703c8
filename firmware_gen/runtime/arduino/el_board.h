/* el_board.h for an Arduino core: the core knows the chip, so only what the app reports. */
#ifndef EL_BOARD_H
#define EL_BOARD_H

#define EL_BOARD_NAME "arduino"
#define EL_BOARD_CPU "arduino"
/* el_bsp_cycles() counts micros(): the one timer every Arduino core has. */
#define EL_BSP_CYCLE_UNIT "us"
#ifdef F_CPU
#define EL_BOARD_CPU_HZ ((unsigned long)(F_CPU))
#else
#define EL_BOARD_CPU_HZ 0u
#endif
#define EL_BOARD_EMULATED 0
#define EL_BOARD_UART_BAUD 115200u
#define EL_BSP_CYCLE_FRAC_BITS 0u

#endif /* EL_BOARD_H */
