/**
 * @file el_app_arduino.c
 * @brief The firmware app (el_app_impl.inc, el_app.c unchanged) driven from setup()/loop().
 *
 * The Arduino core has its own main(), so the app's is renamed away and its two parts, start-up
 * and the per-byte loop body, are exposed as el_app_begin() and el_app_poll().
 */
#define main el_app_standalone_main
#include "el_app_impl.inc"
#undef main

#include "el_app_arduino.h"

static el_frame_parser_t el_app_parser;

void el_app_begin(void)
{
    el_bsp_init();
    el_frame_parser_init(&el_app_parser, el_app_rx, sizeof el_app_rx);
    /* A failed init still answers HELLO, so the host can tell which board and model it is. */
    el_app_init_status = el_model_init();
}

void el_app_poll(void)
{
    int byte;
    while ((byte = el_bsp_uart_read()) >= 0) {
        el_frame_t frame;
        el_frame_status_t status = el_frame_parser_feed(&el_app_parser, (uint8_t)byte, &frame);
        if (status != EL_FRAME_PENDING) {
            el_app_dispatch(status, &frame);
        }
    }
}
