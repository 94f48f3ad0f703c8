/*
 * RP2040 second-stage boot (boot2), generic 03h read: works with any SPI NOR flash.
 *
 * The boot ROM copies the first 256 bytes of flash to SRAM at 0x20041f00, checks their CRC32
 * (the last 4 bytes, added by el_boot2_pad.py) and calls it with lr = 0. This configures the
 * XIP SSI (RP2040 datasheet, SSI registers at 0x18000000) for serial 03h reads, 32-bit frames,
 * then enters the application through the vector table that follows boot2 at 0x10000100.
 */
    .syntax unified
    .cpu cortex-m0plus
    .thumb

    .section .text
    .global _stage2_boot
    .type _stage2_boot, %function
    .thumb_func
_stage2_boot:
    push {lr}
    ldr r3, =0x18000000     /* XIP_SSI_BASE */
    movs r1, #0
    str r1, [r3, #0x08]     /* SSIENR = 0: disable while reconfiguring */
    movs r1, #4
    str r1, [r3, #0x14]     /* BAUDR: SCK = clk_sys / 4 */
    ldr r1, =0x001F0300     /* CTRLR0: SPI_FRF standard, DFS_32 = 31, TMOD = EEPROM read */
    str r1, [r3, #0x00]
    ldr r1, =0x03000218     /* SPI_CTRLR0: XIP_CMD 0x03, INST_L 8 bits, ADDR_L 24 bits */
    ldr r0, =0x180000F4
    str r1, [r0]
    movs r1, #0
    str r1, [r3, #0x04]     /* CTRLR1: NDF = 0, one data frame per read */
    movs r1, #1
    str r1, [r3, #0x08]     /* SSIENR = 1 */

    pop {r0}
    cmp r0, #0
    beq 1f
    bx r0                   /* called by code: return to it */
1:
    ldr r0, =0x10000100     /* the application's vector table, after boot2 */
    ldr r1, =0xE000ED08     /* VTOR */
    str r0, [r1]
    ldmia r0, {r0, r1}
    msr msp, r0
    bx r1
    .ltorg
