/**
 * @file el_app.c
 * @brief The firmware's main loop: serial requests in, model calls, responses out.
 *
 * Board independent: it talks to the board only through el_bsp.h and to the model only through
 * model.h. One request is handled at a time. The last response is kept, and a request that
 * repeats the last one (same sequence number and CRC) gets it again without running anything,
 * so that the host may resend after a timeout without stepping the model twice.
 *
 * A request larger than the receive buffer arrives in PUT chunks, written at their offset into
 * a staging buffer of the largest request's size, and is then run by a RUN naming it; an answer
 * larger than the host asked for is held and fetched in GET pieces (el_chunk.c).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "el_board.h"
#include "el_bsp.h"
#include "el_chunk.h"
#include "el_frame.h"
#include "el_protocol.h"
#include "model.h"

#ifndef EL_BUILD_ID
#define EL_BUILD_ID __DATE__ " " __TIME__
#endif

#define EL_APP_MAX(a, b) ((a) > (b) ? (a) : (b))

/** Largest request payload: BENCH carries its header and a whole input sequence. */
#define EL_APP_MAX_REQUEST (EL_PROTO_BENCH_REQ_SIZE + EL_MODEL_INPUT_BYTES)
/** Largest response payload. */
#define EL_APP_MAX_RESPONSE                                                                  \
    EL_APP_MAX(EL_APP_MAX(EL_PROTO_INFO_MAX, EL_PROTO_ERROR_MAX),                            \
               EL_APP_MAX(EL_PROTO_INFER_RES_SIZE + EL_MODEL_OUTPUT_BYTES,                   \
                          EL_APP_MAX(EL_PROTO_BENCH_RES_SIZE, EL_PROTO_STEP_RES_SIZE)))
/** Largest payload of one received frame: a full PUT chunk; a GET piece is built in place. */
#define EL_APP_MAX_FRAME_PAYLOAD                                                             \
    EL_APP_MAX(EL_PROTO_PUT_REQ_SIZE + EL_PROTO_CHUNK_MAX,                                   \
               EL_APP_MAX(EL_PROTO_GET_DATA_SIZE + EL_PROTO_CHUNK_MAX, EL_PROTO_RUN_REQ_SIZE))
/** Replies that must leave the cached response alone: errors, PUT_ACK, HELD. */
#define EL_APP_SIDE_PAYLOAD                                                                  \
    EL_APP_MAX(EL_PROTO_ERROR_MAX, EL_APP_MAX(EL_PROTO_PUT_ACK_SIZE, EL_PROTO_HELD_SIZE))

EL_STATIC_ASSERT(EL_MODEL_INPUT_BYTES == EL_MODEL_TIMESTEPS * EL_MODEL_FEATURES,
                 el_app_input_is_t_times_f);
EL_STATIC_ASSERT(EL_MODEL_INPUT_BYTES > 0 && EL_MODEL_OUTPUT_BYTES > 0, el_app_model_not_empty);
EL_STATIC_ASSERT(EL_APP_MAX_REQUEST <= EL_PROTO_MAX_PAYLOAD, el_app_input_fits_a_frame);
EL_STATIC_ASSERT(EL_APP_MAX_RESPONSE <= EL_PROTO_MAX_PAYLOAD, el_app_output_fits_a_frame);
EL_STATIC_ASSERT(EL_APP_MAX_FRAME_PAYLOAD <= 0xFFFF, el_app_frame_fits_info);
EL_STATIC_ASSERT(EL_MODEL_TIMESTEPS <= 0xFFFF && EL_MODEL_FEATURES <= 0xFFFF,
                 el_app_shape_fits_info);

static uint8_t el_app_rx[EL_PROTO_FRAME_OVERHEAD + EL_APP_MAX_FRAME_PAYLOAD];
static uint8_t el_app_tx[EL_PROTO_FRAME_OVERHEAD + EL_APP_MAX_RESPONSE];
static uint8_t el_app_side[EL_PROTO_FRAME_OVERHEAD + EL_APP_SIDE_PAYLOAD];
static uint8_t el_app_stage_buf[EL_APP_MAX_REQUEST];
static uint32_t el_app_bench[EL_PROTO_BENCH_MAX_RUNS];
static el_stage_t el_app_stage;

/** The last response, kept in el_app_tx, and the request it answered. */
static struct {
    size_t len;    /**< frame bytes in el_app_tx; 0 = nothing cached */
    uint16_t seq;  /**< sequence number of the request */
    uint32_t crc;  /**< CRC of the request frame */
    uint32_t payload_crc; /**< CRC of the response payload (GET pieces and HELD name it) */
    uint8_t held;  /**< answered by HELD: a repeat gets HELD again */
} el_app_last;

static uint32_t el_app_steps;     /**< time steps since the last reset */
static int el_app_init_status;    /**< what el_model_init() returned */

static uint8_t *const el_app_payload = el_app_tx + EL_PROTO_HDR_SIZE;

static void el_put_u16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v & 0xFFu);
    p[1] = (uint8_t)((v >> 8) & 0xFFu);
}

static void el_put_u32(uint8_t *p, uint32_t v)
{
    el_put_u16(p, v & 0xFFFFu);
    el_put_u16(p + 2, v >> 16);
}

static uint32_t el_get_u16(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8); }

static uint32_t el_get_u32(const uint8_t *p) { return el_get_u16(p) | (el_get_u16(p + 2) << 16); }

/** Append a length-prefixed string (truncated to EL_PROTO_MAX_STRING) at @p p. */
static size_t el_put_string(uint8_t *p, const char *s)
{
    size_t n = strlen(s);
    if (n > EL_PROTO_MAX_STRING) {
        n = EL_PROTO_MAX_STRING;
    }
    p[0] = (uint8_t)n;
    memcpy(p + 1, s, n);
    return n + 1;
}

static int el_hex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return 0;
}

/** Build the payload of an ERROR response at @p out; returns its length. */
static size_t el_app_error_at(uint8_t *out, uint8_t code, uint8_t request_type, int32_t aux,
                              const char *detail)
{
    size_t n = strlen(detail);
    if (n > EL_PROTO_MAX_ERROR_TEXT) {
        n = EL_PROTO_MAX_ERROR_TEXT;
    }
    out[EL_PROTO_ERROR_OFF_CODE] = code;
    out[EL_PROTO_ERROR_OFF_REQUEST_TYPE] = request_type;
    el_put_u16(out + EL_PROTO_ERROR_OFF_RESERVED, 0);
    el_put_u32(out + EL_PROTO_ERROR_OFF_AUX, (uint32_t)aux);
    memcpy(out + EL_PROTO_ERROR_SIZE, detail, n);
    return EL_PROTO_ERROR_SIZE + n;
}

/** Build the payload of an ERROR response to the current request. */
static size_t el_app_error(uint8_t code, uint8_t request_type, int32_t aux, const char *detail)
{
    return el_app_error_at(el_app_payload, code, request_type, aux, detail);
}

static size_t el_app_info(void)
{
    uint8_t *p = el_app_payload;
    size_t i;
    size_t n = EL_PROTO_INFO_SIZE;

    p[EL_PROTO_INFO_OFF_VERSION] = (uint8_t)EL_PROTO_VERSION;
    p[EL_PROTO_INFO_OFF_RESERVED] = 0;
    el_put_u16(p + EL_PROTO_INFO_OFF_TIMESTEPS, EL_MODEL_TIMESTEPS);
    el_put_u16(p + EL_PROTO_INFO_OFF_FEATURES, EL_MODEL_FEATURES);
    el_put_u16(p + EL_PROTO_INFO_OFF_OUTPUT_BYTES, EL_MODEL_OUTPUT_BYTES);
    el_put_u16(p + EL_PROTO_INFO_OFF_MAX_REQUEST, EL_APP_MAX_FRAME_PAYLOAD);
    el_put_u16(p + EL_PROTO_INFO_OFF_BENCH_MAX_RUNS, EL_PROTO_BENCH_MAX_RUNS);
    el_put_u32(p + EL_PROTO_INFO_OFF_INPUT_SCALE_BITS, (uint32_t)EL_MODEL_INPUT_SCALE_BITS);
    el_put_u32(p + EL_PROTO_INFO_OFF_INPUT_ZERO_POINT, (uint32_t)(EL_MODEL_INPUT_ZERO_POINT));
    el_put_u32(p + EL_PROTO_INFO_OFF_OUTPUT_SCALE_BITS, (uint32_t)EL_MODEL_OUTPUT_SCALE_BITS);
    el_put_u32(p + EL_PROTO_INFO_OFF_OUTPUT_ZERO_POINT, (uint32_t)(EL_MODEL_OUTPUT_ZERO_POINT));
    el_put_u32(p + EL_PROTO_INFO_OFF_RAM_BYTES, el_model_ram_bytes());
    el_put_u32(p + EL_PROTO_INFO_OFF_CPU_HZ, (uint32_t)EL_BOARD_CPU_HZ);
    for (i = 0; i < 32; ++i) {
        p[EL_PROTO_INFO_OFF_MODEL_SHA256 + i] =
            (uint8_t)((el_hex_digit(el_model_sha256[2 * i]) << 4) |
                      el_hex_digit(el_model_sha256[2 * i + 1]));
    }
    el_put_u16(p + EL_PROTO_INFO_OFF_STAGE_BYTES, EL_APP_MAX_REQUEST);
    el_put_u16(p + EL_PROTO_INFO_OFF_CHUNK_MAX, EL_PROTO_CHUNK_MAX);
    n += el_put_string(p + n, el_model_runtime);
    n += el_put_string(p + n, EL_BOARD_NAME);
    n += el_put_string(p + n, EL_BSP_CYCLE_UNIT);
    n += el_put_string(p + n, EL_BUILD_ID);
    return n;
}

/** Insertion sort: n is at most EL_PROTO_BENCH_MAX_RUNS. */
static void el_app_sort(uint32_t *v, uint32_t n)
{
    uint32_t i;
    for (i = 1; i < n; ++i) {
        uint32_t key = v[i];
        uint32_t j = i;
        while (j > 0 && v[j - 1] > key) {
            v[j] = v[j - 1];
            --j;
        }
        v[j] = key;
    }
}

static size_t el_app_bench_run(const uint8_t *req, uint16_t len)
{
    uint32_t runs;
    uint32_t i;
    uint32_t total_lo = 0;
    uint32_t total_hi = 0;
    int8_t *scratch = (int8_t *)(el_app_payload + EL_PROTO_BENCH_RES_SIZE);

    if (len != EL_PROTO_BENCH_REQ_SIZE + EL_MODEL_INPUT_BYTES) {
        return el_app_error(EL_ERR_BAD_LENGTH, EL_MSG_BENCH, len, "BENCH needs runs + T*F");
    }
    runs = el_get_u16(req + EL_PROTO_BENCH_REQ_OFF_RUNS);
    if (runs == 0 || runs > EL_PROTO_BENCH_MAX_RUNS) {
        return el_app_error(EL_ERR_BAD_ARG, EL_MSG_BENCH, (int32_t)runs, "BENCH runs 1..max");
    }
    for (i = 0; i < runs; ++i) {
        uint32_t start;
        el_bsp_cycles_restart();
        start = el_bsp_cycles();
        int status = el_model_invoke((const int8_t *)(req + EL_PROTO_BENCH_REQ_SIZE), scratch);
        uint32_t cycles = el_bsp_cycles_elapsed(start, el_bsp_cycles());
        if (status != 0) {
            return el_app_error(EL_ERR_MODEL_ERROR, EL_MSG_BENCH, status, "el_model_invoke");
        }
        el_app_bench[i] = cycles;
        total_lo += cycles;
        if (total_lo < cycles) {
            total_hi++;
        }
    }
    el_app_steps = EL_MODEL_TIMESTEPS;
    el_app_sort(el_app_bench, runs);
    el_put_u16(el_app_payload + EL_PROTO_BENCH_RES_OFF_RUNS, runs);
    el_put_u16(el_app_payload + EL_PROTO_BENCH_RES_OFF_RESERVED, 0);
    el_put_u32(el_app_payload + EL_PROTO_BENCH_RES_OFF_MIN, el_app_bench[0]);
    el_put_u32(el_app_payload + EL_PROTO_BENCH_RES_OFF_MEDIAN, el_app_bench[(runs - 1) / 2]);
    el_put_u32(el_app_payload + EL_PROTO_BENCH_RES_OFF_MAX, el_app_bench[runs - 1]);
    el_put_u32(el_app_payload + EL_PROTO_BENCH_RES_OFF_TOTAL, total_lo);
    el_put_u32(el_app_payload + EL_PROTO_BENCH_RES_OFF_TOTAL + 4, total_hi);
    el_put_u32(el_app_payload + EL_PROTO_BENCH_RES_OFF_STACK_USED, el_bsp_stack_used());
    return EL_PROTO_BENCH_RES_SIZE;
}

/** Run one intact request; the response payload goes to el_app_payload. */
static uint8_t el_app_handle(const el_frame_t *req, size_t *payload_len)
{
    uint32_t start;
    int status;
    const uint8_t type = req->type;

    switch (type) {
    case EL_MSG_HELLO:
        *payload_len = el_app_info();
        return EL_MSG_INFO;
    case EL_MSG_RESET:
        el_model_reset();
        el_app_steps = 0;
        *payload_len = 0;
        return EL_MSG_RESET_DONE;
    case EL_MSG_INFER:
        if (req->length != EL_MODEL_INPUT_BYTES) {
            *payload_len = el_app_error(EL_ERR_BAD_LENGTH, type, req->length, "INFER needs T*F");
            return EL_MSG_ERROR;
        }
        el_bsp_cycles_restart();
        start = el_bsp_cycles();
        status = el_model_invoke((const int8_t *)req->payload,
                                 (int8_t *)(el_app_payload + EL_PROTO_INFER_RES_SIZE));
        start = el_bsp_cycles_elapsed(start, el_bsp_cycles());
        el_app_steps = EL_MODEL_TIMESTEPS;
        if (status != 0) {
            *payload_len = el_app_error(EL_ERR_MODEL_ERROR, type, status, "el_model_invoke");
            return EL_MSG_ERROR;
        }
        el_put_u32(el_app_payload + EL_PROTO_INFER_RES_OFF_CYCLES, start);
        *payload_len = EL_PROTO_INFER_RES_SIZE + EL_MODEL_OUTPUT_BYTES;
        return EL_MSG_INFER_RESULT;
    case EL_MSG_STEP:
        if (req->length != EL_MODEL_FEATURES) {
            *payload_len = el_app_error(EL_ERR_BAD_LENGTH, type, req->length, "STEP needs F");
            return EL_MSG_ERROR;
        }
        el_bsp_cycles_restart();
        start = el_bsp_cycles();
        status = el_model_step((const int8_t *)req->payload);
        start = el_bsp_cycles_elapsed(start, el_bsp_cycles());
        if (status != 0) {
            *payload_len = el_app_error(EL_ERR_MODEL_ERROR, type, status, "el_model_step");
            return EL_MSG_ERROR;
        }
        el_app_steps++;
        el_put_u32(el_app_payload + EL_PROTO_STEP_RES_OFF_CYCLES, start);
        el_put_u32(el_app_payload + EL_PROTO_STEP_RES_OFF_STEPS, el_app_steps);
        *payload_len = EL_PROTO_STEP_RES_SIZE;
        return EL_MSG_STEP_DONE;
    case EL_MSG_OUTPUT:
        if (req->length != 0) {
            *payload_len = el_app_error(EL_ERR_BAD_LENGTH, type, req->length, "OUTPUT is empty");
            return EL_MSG_ERROR;
        }
        el_bsp_cycles_restart();
        start = el_bsp_cycles();
        status = el_model_output((int8_t *)(el_app_payload + EL_PROTO_OUTPUT_RES_SIZE));
        start = el_bsp_cycles_elapsed(start, el_bsp_cycles());
        if (status != 0) {
            *payload_len = el_app_error(EL_ERR_MODEL_ERROR, type, status, "el_model_output");
            return EL_MSG_ERROR;
        }
        el_put_u32(el_app_payload + EL_PROTO_OUTPUT_RES_OFF_CYCLES, start);
        *payload_len = EL_PROTO_OUTPUT_RES_SIZE + EL_MODEL_OUTPUT_BYTES;
        return EL_MSG_OUTPUT_RESULT;
    case EL_MSG_BENCH:
        *payload_len = el_app_bench_run(req->payload, req->length);
        return *payload_len == EL_PROTO_BENCH_RES_SIZE ? (uint8_t)EL_MSG_BENCH_RESULT
                                                       : (uint8_t)EL_MSG_ERROR;
    default:
        *payload_len = el_app_error(EL_ERR_UNKNOWN_TYPE, type, 0, "unknown request type");
        return EL_MSG_ERROR;
    }
}

/** Send a reply frame built in el_app_side: it leaves the cached response alone. */
static void el_app_side_reply(uint8_t type, uint16_t seq, size_t payload_len)
{
    size_t n = el_frame_finish(el_app_side, sizeof el_app_side, type, seq, payload_len);
    el_frame_send(el_app_side, n, el_bsp_uart_write);
}

static void el_app_side_error(uint8_t code, uint8_t request_type, uint16_t seq, int32_t aux,
                              const char *detail)
{
    el_app_side_reply(EL_MSG_ERROR, seq,
                      el_app_error_at(el_app_side + EL_PROTO_HDR_SIZE, code, request_type, aux,
                                      detail));
}

/** HELD for the cached response: its type, payload size and payload CRC. */
static void el_app_send_held(uint16_t seq)
{
    uint8_t *p = el_app_side + EL_PROTO_HDR_SIZE;
    p[EL_PROTO_HELD_OFF_TYPE] = el_app_tx[EL_PROTO_HDR_OFF_TYPE];
    p[EL_PROTO_HELD_OFF_RESERVED] = 0;
    el_put_u16(p + EL_PROTO_HELD_OFF_LENGTH,
               (uint32_t)(el_app_last.len - EL_PROTO_FRAME_OVERHEAD));
    el_put_u32(p + EL_PROTO_HELD_OFF_CRC, el_app_last.payload_crc);
    el_app_side_reply(EL_MSG_HELD, seq, EL_PROTO_HELD_SIZE);
}

/** Cache the response in el_app_tx for (seq, crc); send it whole, or HELD when larger than
 * @p max_answer payload bytes. */
static void el_app_reply(uint8_t type, const el_frame_t *req, size_t payload_len,
                         size_t max_answer)
{
    size_t n = el_frame_finish(el_app_tx, sizeof el_app_tx, type, req->seq, payload_len);
    el_app_last.len = n;
    el_app_last.seq = req->seq;
    el_app_last.crc = req->crc;
    el_app_last.payload_crc = el_crc32(0, el_app_payload, payload_len);
    el_app_last.held = (uint8_t)(payload_len > max_answer);
    if (el_app_last.held) {
        el_app_send_held(req->seq);
    } else {
        el_frame_send(el_app_tx, n, el_bsp_uart_write);
    }
}

/** A request the model runs, after the init check (HELLO works even when init failed). */
static uint8_t el_app_execute(const el_frame_t *req, size_t *payload_len)
{
    if (el_app_init_status != 0 && req->type != EL_MSG_HELLO) {
        *payload_len = el_app_error(EL_ERR_MODEL_ERROR, req->type, el_app_init_status,
                                    "el_model_init failed");
        return EL_MSG_ERROR;
    }
    return el_app_handle(req, payload_len);
}

static void el_app_put(const el_frame_t *frame)
{
    el_chunk_status_t st = el_stage_put(&el_app_stage, frame->payload, frame->length,
                                        el_app_side + EL_PROTO_HDR_SIZE);
    if (st.error != 0) {
        el_app_side_error(st.error, EL_MSG_PUT, frame->seq, st.aux, "PUT refused");
        return;
    }
    el_app_side_reply(EL_MSG_PUT_ACK, frame->seq, EL_PROTO_PUT_ACK_SIZE);
}

/** GET: the piece is built in the receive buffer, free until the next byte is parsed. */
static void el_app_get(const el_frame_t *frame)
{
    el_answer_t answer;
    el_chunk_status_t st;
    size_t out_len;
    size_t n;
    uint16_t seq = frame->seq;

    answer.valid = (uint8_t)(el_app_last.len != 0);
    answer.payload = el_app_payload;
    answer.length = (uint16_t)(answer.valid ? el_app_last.len - EL_PROTO_FRAME_OVERHEAD : 0);
    answer.seq = el_app_last.seq;
    answer.crc = el_app_last.payload_crc;
    answer.type = el_app_tx[EL_PROTO_HDR_OFF_TYPE];
    st = el_answer_get(&answer, frame->payload, frame->length, el_app_rx + EL_PROTO_HDR_SIZE,
                       sizeof el_app_rx - EL_PROTO_FRAME_OVERHEAD, &out_len);
    if (st.error != 0) {
        el_app_side_error(st.error, EL_MSG_GET, seq, st.aux, "GET refused");
        return;
    }
    n = el_frame_finish(el_app_rx, sizeof el_app_rx, EL_MSG_GET_DATA, seq, out_len);
    el_frame_send(el_app_rx, n, el_bsp_uart_write);
}

/** RUN: the named request on the staged payload; the answer is cached like any other. */
static void el_app_run(const el_frame_t *frame)
{
    const uint8_t *p = frame->payload;
    el_frame_t inner;
    el_chunk_status_t st;
    size_t payload_len = 0;
    uint8_t type;
    uint16_t length;

    if (frame->length != EL_PROTO_RUN_REQ_SIZE) {
        el_app_reply(EL_MSG_ERROR, frame,
                     el_app_error(EL_ERR_BAD_LENGTH, EL_MSG_RUN, frame->length, "RUN size"),
                     EL_PROTO_MAX_PAYLOAD);
        return;
    }
    inner = *frame;
    inner.type = p[EL_PROTO_RUN_REQ_OFF_TYPE];
    length = (uint16_t)el_get_u16(p + EL_PROTO_RUN_REQ_OFF_LENGTH);
    if (!(EL_PROTO_IS_REQUEST(inner.type)) || inner.type == EL_MSG_RUN ||
        inner.type == EL_MSG_PUT || inner.type == EL_MSG_GET) {
        el_app_reply(EL_MSG_ERROR, frame,
                     el_app_error(EL_ERR_UNKNOWN_TYPE, inner.type, EL_MSG_RUN, "RUN type"),
                     EL_PROTO_MAX_PAYLOAD);
        return;
    }
    st = el_stage_check(&el_app_stage, (uint16_t)el_get_u16(p + EL_PROTO_RUN_REQ_OFF_XFER),
                        length, el_get_u32(p + EL_PROTO_RUN_REQ_OFF_CRC));
    if (st.error != 0) {
        /* Not cached: once the host has staged the payload again, the same RUN must run. */
        el_app_side_error(st.error, inner.type, frame->seq, st.aux, "stage again");
        return;
    }
    inner.length = length;
    inner.payload = el_app_stage.buf;
    type = el_app_execute(&inner, &payload_len);
    el_app_reply(type, frame, payload_len, el_get_u16(p + EL_PROTO_RUN_REQ_OFF_MAX_ANSWER));
}

/** Answer one frame the parser has finished. */
static void el_app_dispatch(el_frame_status_t status, const el_frame_t *frame)
{
    size_t payload_len = 0;
    uint8_t type;

    if (status == EL_FRAME_ERROR && !frame->crc_ok) {
        /* A damaged frame: say so from a buffer of its own, so that the cached response
         * survives for the resend that follows. */
        el_app_side_error(frame->error, frame->type, frame->seq, (int32_t)frame->length,
                          "frame damaged: resend");
        return;
    }
    if (status == EL_FRAME_READY && frame->type == EL_MSG_PUT) {
        el_app_put(frame);
        return;
    }
    if (status == EL_FRAME_READY && frame->type == EL_MSG_GET) {
        el_app_get(frame);
        return;
    }
    if (el_app_last.len != 0 && frame->seq == el_app_last.seq && frame->crc == el_app_last.crc) {
        if (el_app_last.held) {
            el_app_send_held(frame->seq);
        } else {
            el_frame_send(el_app_tx, el_app_last.len, el_bsp_uart_write);
        }
        return;
    }
    if (status == EL_FRAME_ERROR) {
        payload_len = el_app_error(frame->error, frame->type, (int32_t)frame->length,
                                   "request refused");
        type = EL_MSG_ERROR;
    } else if (frame->type == EL_MSG_RUN) {
        el_app_run(frame);
        return;
    } else {
        type = el_app_execute(frame, &payload_len);
    }
    el_app_reply(type, frame, payload_len, EL_PROTO_MAX_PAYLOAD);
}

int main(void)
{
    el_frame_parser_t parser;
    el_frame_t frame;

    el_bsp_init();
    el_frame_parser_init(&parser, el_app_rx, sizeof el_app_rx);
    el_stage_init(&el_app_stage, el_app_stage_buf, sizeof el_app_stage_buf);
    el_app_last.len = 0;
    el_app_last.held = 0;
    el_app_steps = 0;
    /* A failed init still answers HELLO, so the host can tell which board and model it is. */
    el_app_init_status = el_model_init();
    for (;;) {
        int byte = el_bsp_uart_read();
        el_frame_status_t status;
        if (byte < 0) {
            el_bsp_idle();
            continue;
        }
        status = el_frame_parser_feed(&parser, (uint8_t)byte, &frame);
        if (status != EL_FRAME_PENDING) {
            el_app_dispatch(status, &frame);
        }
    }
}
