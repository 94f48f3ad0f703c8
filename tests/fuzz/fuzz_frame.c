/**
 * @file fuzz_frame.c
 * @brief libFuzzer target for the firmware's frame parser (el_frame.c).
 *
 * The first input byte picks the buffer size (so small buffers and overflows are covered), the
 * rest is fed to the parser byte by byte into a heap buffer of exactly that size, so that
 * AddressSanitizer catches any access outside it. Every frame the parser accepts must have
 * consistent fields, and must come back identical after being written out with el_frame_finish
 * and el_frame_send and parsed again.
 *
 * Build and run: see tests/fuzz/run_fuzz.sh and docs/protocol.md.
 */
#include <stdlib.h>
#include <string.h>

#include "el_frame.h"

#define FUZZ_CHECK(cond)                                                                     \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

static uint8_t fuzz_wire[2 * EL_PROTO_MAX_FRAME + 16];
static size_t fuzz_wire_len;

static void fuzz_write(const uint8_t *data, size_t n)
{
    FUZZ_CHECK(fuzz_wire_len + n <= sizeof fuzz_wire);
    memcpy(fuzz_wire + fuzz_wire_len, data, n);
    fuzz_wire_len += n;
}

static void fuzz_round_trip(const el_frame_t *frame)
{
    size_t cap = EL_PROTO_FRAME_OVERHEAD + frame->length;
    uint8_t *raw = (uint8_t *)malloc(cap);
    uint8_t *back = (uint8_t *)malloc(cap);
    el_frame_parser_t parser;
    el_frame_t again;
    size_t n;
    size_t i;
    int ready = 0;

    FUZZ_CHECK(raw != NULL && back != NULL);
    memcpy(raw + EL_PROTO_HDR_SIZE, frame->payload, frame->length);
    n = el_frame_finish(raw, cap, frame->type, frame->seq, frame->length);
    FUZZ_CHECK(n == cap);
    fuzz_wire_len = 0;
    el_frame_send(raw, n, fuzz_write);
    for (i = 0; i + 1 < fuzz_wire_len; ++i) {
        FUZZ_CHECK(fuzz_wire[i] != 0); /* COBS leaves no zero but the delimiter */
    }
    FUZZ_CHECK(fuzz_wire_len > 0 && fuzz_wire[fuzz_wire_len - 1] == 0);
    el_frame_parser_init(&parser, back, cap);
    for (i = 0; i < fuzz_wire_len; ++i) {
        el_frame_status_t status = el_frame_parser_feed(&parser, fuzz_wire[i], &again);
        if (i + 1 < fuzz_wire_len) {
            FUZZ_CHECK(status == EL_FRAME_PENDING);
        } else {
            FUZZ_CHECK(status == EL_FRAME_READY);
            ready = 1;
        }
    }
    FUZZ_CHECK(ready);
    FUZZ_CHECK(again.type == frame->type && again.seq == frame->seq);
    FUZZ_CHECK(again.length == frame->length && again.crc == frame->crc);
    FUZZ_CHECK(memcmp(again.payload, frame->payload, frame->length) == 0);
    free(raw);
    free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    el_frame_parser_t parser;
    el_frame_t frame;
    size_t cap;
    uint8_t *buf;
    size_t i;
    size_t delimiters = 0;
    size_t reports = 0;

    if (size == 0) {
        return 0;
    }
    cap = (size_t)data[0] * 4u + 1u; /* 1 .. 1021 bytes */
    buf = (uint8_t *)malloc(cap);
    FUZZ_CHECK(buf != NULL);
    el_frame_parser_init(&parser, buf, cap);
    for (i = 1; i < size; ++i) {
        el_frame_status_t status = el_frame_parser_feed(&parser, data[i], &frame);
        delimiters += data[i] == 0;
        if (status == EL_FRAME_PENDING) {
            continue;
        }
        FUZZ_CHECK(data[i] == 0); /* frames end only at a delimiter */
        reports++;
        if (status == EL_FRAME_READY) {
            FUZZ_CHECK(frame.error == 0 && frame.crc_ok && frame.has_header);
            FUZZ_CHECK((size_t)frame.length + EL_PROTO_FRAME_OVERHEAD <= cap);
            FUZZ_CHECK(frame.payload == buf + EL_PROTO_HDR_SIZE);
            FUZZ_CHECK(EL_PROTO_IS_REQUEST(frame.type));
            FUZZ_CHECK(el_crc32(0, buf, EL_PROTO_HDR_SIZE + frame.length) == frame.crc);
            fuzz_round_trip(&frame);
        } else {
            FUZZ_CHECK(status == EL_FRAME_ERROR);
            FUZZ_CHECK(frame.error >= EL_ERR_BAD_CRC && frame.error <= EL_ERR_UNKNOWN_TYPE);
            FUZZ_CHECK(frame.crc_ok == (frame.error >= EL_ERR_BAD_VERSION));
        }
    }
    FUZZ_CHECK(reports <= delimiters);
    free(buf);
    return 0;
}
