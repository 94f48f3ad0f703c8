/**
 * @file fuzz_frame.c
 * @brief libFuzzer target for the firmware's frame parser (el_frame.c) and the chunked
 *        exchange's device side (el_chunk.c).
 *
 * The first input byte picks the buffer size (so small buffers and overflows are covered), the
 * rest is fed to the parser byte by byte into a heap buffer of exactly that size, so that
 * AddressSanitizer catches any access outside it. Every frame the parser accepts must have
 * consistent fields, and must come back identical after being written out with el_frame_finish
 * and el_frame_send and parsed again; an accepted PUT, RUN or GET also goes to el_chunk.c.
 *
 * The same bytes are then read a second way, as a list of chunk operations with arbitrary
 * payloads (a CRC-valid frame is rare in mutated input, the payload checks must hold for any
 * bytes): PUT into a staging buffer of exactly the fuzzed size, RUN's check, GET pieces of an
 * answer of fuzzed size. The staged bytes must be the chunks' bytes, a passed check must mean
 * the whole payload is held with the named CRC, a GET piece must be the answer's bytes.
 *
 * Build and run: see tests/fuzz/run_fuzz.sh and docs/protocol.md.
 */
#include <stdlib.h>
#include <string.h>

#include "el_chunk.h"
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

static uint16_t fuzz_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

static uint32_t fuzz_u32(const uint8_t *p)
{
    return (uint32_t)fuzz_u16(p) | ((uint32_t)fuzz_u16(p + 2) << 16);
}

/** One PUT: the invariants of the staging state and, when written, the bytes themselves. */
static void fuzz_put(el_stage_t *stage, const uint8_t *payload, size_t len)
{
    uint8_t ack[EL_PROTO_PUT_ACK_SIZE];
    uint16_t before = stage->received;
    int same = stage->valid && len >= EL_PROTO_PUT_REQ_SIZE &&
               stage->xfer == fuzz_u16(payload + EL_PROTO_PUT_REQ_OFF_XFER) &&
               stage->total == fuzz_u16(payload + EL_PROTO_PUT_REQ_OFF_TOTAL);
    el_chunk_status_t st = el_stage_put(stage, payload, len, ack);

    if (st.error != 0) {
        FUZZ_CHECK(st.error == EL_ERR_BAD_LENGTH || st.error == EL_ERR_BAD_ARG);
        FUZZ_CHECK(stage->received == before); /* a refused chunk changes nothing */
        return;
    }
    FUZZ_CHECK(len > EL_PROTO_PUT_REQ_SIZE && len - EL_PROTO_PUT_REQ_SIZE <= EL_PROTO_CHUNK_MAX);
    FUZZ_CHECK(fuzz_u16(ack + EL_PROTO_PUT_ACK_OFF_RECEIVED) <=
               fuzz_u16(ack + EL_PROTO_PUT_ACK_OFF_TOTAL));
    FUZZ_CHECK(fuzz_u16(ack + EL_PROTO_PUT_ACK_OFF_XFER) ==
               fuzz_u16(payload + EL_PROTO_PUT_REQ_OFF_XFER));
    FUZZ_CHECK(!stage->valid || (stage->received <= stage->total && stage->total <= stage->cap));
    {
        uint16_t offset = fuzz_u16(payload + EL_PROTO_PUT_REQ_OFF_OFFSET);
        size_t n = len - EL_PROTO_PUT_REQ_SIZE;
        if ((same && offset <= before) || (!same && offset == 0)) {
            FUZZ_CHECK(stage->valid && stage->received >= offset + n);
            FUZZ_CHECK(memcmp(stage->buf + offset, payload + EL_PROTO_PUT_REQ_SIZE, n) == 0);
            FUZZ_CHECK(fuzz_u16(ack + EL_PROTO_PUT_ACK_OFF_RECEIVED) == stage->received);
        } else {
            FUZZ_CHECK(stage->received == before); /* a chunk past a gap is not written */
        }
    }
}

/** One RUN check: passing means the whole named payload is held. */
static void fuzz_run(el_stage_t *stage, const uint8_t *payload, size_t len)
{
    uint16_t xfer;
    uint16_t length;
    uint32_t crc;
    el_chunk_status_t st;

    if (len < EL_PROTO_RUN_REQ_SIZE) {
        return;
    }
    xfer = fuzz_u16(payload + EL_PROTO_RUN_REQ_OFF_XFER);
    length = fuzz_u16(payload + EL_PROTO_RUN_REQ_OFF_LENGTH);
    crc = fuzz_u32(payload + EL_PROTO_RUN_REQ_OFF_CRC);
    st = el_stage_check(stage, xfer, length, crc);
    if (st.error == 0 && length > 0) {
        FUZZ_CHECK(stage->valid && stage->xfer == xfer && stage->received == length);
        FUZZ_CHECK(el_crc32(0, stage->buf, length) == crc);
    } else if (st.error != 0) {
        FUZZ_CHECK(st.error == EL_ERR_NOT_STAGED);
        FUZZ_CHECK(st.aux >= 0 && st.aux <= (int32_t)length);
    }
}

/** One GET of a held answer: the piece is the answer's bytes, within the output buffer. */
static void fuzz_get(const el_answer_t *answer, const uint8_t *payload, size_t len)
{
    size_t cap = EL_PROTO_GET_DATA_SIZE + EL_PROTO_CHUNK_MAX;
    uint8_t *out = (uint8_t *)malloc(cap);
    size_t out_len = 0;
    el_chunk_status_t st;

    FUZZ_CHECK(out != NULL);
    st = el_answer_get(answer, payload, len, out, cap, &out_len);
    if (st.error == 0) {
        uint16_t offset = fuzz_u16(out + EL_PROTO_GET_DATA_OFF_OFFSET);
        size_t n = out_len - EL_PROTO_GET_DATA_SIZE;
        FUZZ_CHECK(out_len >= EL_PROTO_GET_DATA_SIZE && out_len <= cap);
        FUZZ_CHECK(fuzz_u16(out + EL_PROTO_GET_DATA_OFF_TOTAL) == answer->length);
        FUZZ_CHECK(fuzz_u32(out + EL_PROTO_GET_DATA_OFF_CRC) == answer->crc);
        FUZZ_CHECK((size_t)offset + n <= answer->length);
        FUZZ_CHECK(memcmp(out + EL_PROTO_GET_DATA_SIZE, answer->payload + offset, n) == 0);
    } else {
        FUZZ_CHECK(out_len == 0);
    }
    free(out);
}

/** Dispatch one chunk message (its payload in a heap buffer of exactly its size). */
static void fuzz_chunk_op(el_stage_t *stage, const el_answer_t *answer, uint8_t type,
                          const uint8_t *payload, size_t len)
{
    uint8_t *copy = (uint8_t *)malloc(len > 0 ? len : 1);
    FUZZ_CHECK(copy != NULL);
    if (len > 0) {
        memcpy(copy, payload, len);
    }
    if (type == EL_MSG_PUT) {
        fuzz_put(stage, copy, len);
    } else if (type == EL_MSG_RUN) {
        fuzz_run(stage, copy, len);
    } else if (type == EL_MSG_GET) {
        fuzz_get(answer, copy, len);
    }
    free(copy);
}

/** The input read as operations: type selector, 2-byte length, payload. */
static void fuzz_chunk_ops(const uint8_t *data, size_t size, el_stage_t *stage,
                           const el_answer_t *answer)
{
    static const uint8_t types[3] = {EL_MSG_PUT, EL_MSG_RUN, EL_MSG_GET};
    size_t i = 0;
    while (i + 3 <= size) {
        uint8_t type = types[data[i] % 3u];
        size_t n = fuzz_u16(data + i + 1) % (EL_PROTO_PUT_REQ_SIZE + EL_PROTO_CHUNK_MAX + 2u);
        i += 3;
        if (n > size - i) {
            n = size - i;
        }
        fuzz_chunk_op(stage, answer, type, data + i, n);
        i += n;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    el_stage_t stage;
    el_answer_t answer;
    uint8_t *stage_buf;
    uint8_t *answer_buf;
    size_t answer_len;
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
    stage_buf = (uint8_t *)malloc(cap);
    FUZZ_CHECK(stage_buf != NULL);
    el_stage_init(&stage, stage_buf, cap);
    answer_len = (size_t)data[0] * 3u; /* 0 .. 765 bytes: several pieces */
    answer_buf = (uint8_t *)malloc(answer_len > 0 ? answer_len : 1);
    FUZZ_CHECK(answer_buf != NULL);
    for (i = 0; i < answer_len; ++i) {
        answer_buf[i] = (uint8_t)(i * 7u + 1u);
    }
    answer.payload = answer_buf;
    answer.length = (uint16_t)answer_len;
    answer.seq = (uint16_t)(size & 0xFFFFu);
    answer.crc = el_crc32(0, answer_buf, answer_len);
    answer.type = EL_MSG_INFER_RESULT;
    answer.valid = (uint8_t)(data[0] & 1u);
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
            fuzz_chunk_op(&stage, &answer, frame.type, frame.payload, frame.length);
        } else {
            FUZZ_CHECK(status == EL_FRAME_ERROR);
            FUZZ_CHECK(frame.error >= EL_ERR_BAD_CRC && frame.error <= EL_ERR_UNKNOWN_TYPE);
            FUZZ_CHECK(frame.crc_ok == (frame.error >= EL_ERR_BAD_VERSION));
        }
    }
    FUZZ_CHECK(reports <= delimiters);
    fuzz_chunk_ops(data + 1, size - 1, &stage, &answer);
    free(buf);
    free(stage_buf);
    free(answer_buf);
    return 0;
}
