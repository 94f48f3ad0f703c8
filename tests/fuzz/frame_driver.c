/**
 * @file frame_driver.c
 * @brief Feeds stdin to the firmware's frame parser and prints one line per reported frame,
 *        so that a test can compare the C parser with the Python one on the same bytes.
 *
 * Usage: frame_driver CAP < bytes. Lines: "READY type seq length crc payload-hex" or
 * "ERROR code seq-or--1".
 */
#include <stdio.h>
#include <stdlib.h>

#include "el_frame.h"

static uint8_t driver_buf[EL_PROTO_MAX_FRAME];

int main(int argc, char **argv)
{
    el_frame_parser_t parser;
    el_frame_t frame;
    size_t cap = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : sizeof driver_buf;
    int c;

    if (cap > sizeof driver_buf) {
        cap = sizeof driver_buf;
    }
    el_frame_parser_init(&parser, driver_buf, cap);
    while ((c = getchar()) != EOF) {
        el_frame_status_t status = el_frame_parser_feed(&parser, (uint8_t)c, &frame);
        if (status == EL_FRAME_READY) {
            size_t i;
            printf("READY %u %u %u %08lx ", (unsigned)frame.type, (unsigned)frame.seq,
                   (unsigned)frame.length, (unsigned long)frame.crc);
            for (i = 0; i < frame.length; ++i) {
                printf("%02x", (unsigned)frame.payload[i]);
            }
            printf("\n");
        } else if (status == EL_FRAME_ERROR) {
            printf("ERROR %u %ld\n", (unsigned)frame.error,
                   frame.has_header ? (long)frame.seq : -1L);
        }
    }
    return 0;
}
