/**
 * @file el_chunk.c
 * @brief Staging of PUT chunks, the RUN check and GET pieces (see el_chunk.h).
 */
#include "el_chunk.h"

#include <string.h>

#include "el_frame.h"

static uint16_t el_chunk_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

static void el_chunk_put_u16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v & 0xFFu);
    p[1] = (uint8_t)((v >> 8) & 0xFFu);
}

static void el_chunk_put_u32(uint8_t *p, uint32_t v)
{
    el_chunk_put_u16(p, v & 0xFFFFu);
    el_chunk_put_u16(p + 2, v >> 16);
}

static el_chunk_status_t el_chunk_result(uint8_t error, int32_t aux)
{
    el_chunk_status_t status;
    status.error = error;
    status.aux = aux;
    return status;
}

void el_stage_init(el_stage_t *stage, uint8_t *buf, size_t cap)
{
    stage->buf = buf;
    stage->cap = cap > 0xFFFFu ? 0xFFFFu : cap;
    stage->xfer = 0;
    stage->total = 0;
    stage->received = 0;
    stage->valid = 0;
}

el_chunk_status_t el_stage_put(el_stage_t *stage, const uint8_t *payload, size_t len,
                               uint8_t *ack)
{
    uint16_t xfer;
    uint16_t offset;
    uint16_t total;
    size_t n;

    if (len <= EL_PROTO_PUT_REQ_SIZE || len - EL_PROTO_PUT_REQ_SIZE > EL_PROTO_CHUNK_MAX) {
        return el_chunk_result(EL_ERR_BAD_LENGTH, (int32_t)len);
    }
    n = len - EL_PROTO_PUT_REQ_SIZE;
    xfer = el_chunk_u16(payload + EL_PROTO_PUT_REQ_OFF_XFER);
    offset = el_chunk_u16(payload + EL_PROTO_PUT_REQ_OFF_OFFSET);
    total = el_chunk_u16(payload + EL_PROTO_PUT_REQ_OFF_TOTAL);
    if (total == 0 || total > stage->cap) {
        return el_chunk_result(EL_ERR_BAD_ARG, (int32_t)total);
    }
    if ((size_t)offset + n > total) {
        return el_chunk_result(EL_ERR_BAD_ARG, (int32_t)offset);
    }
    if (!stage->valid || stage->xfer != xfer || stage->total != total) {
        if (offset == 0) { /* a new transfer replaces whatever was held */
            stage->valid = 1;
            stage->xfer = xfer;
            stage->total = total;
            stage->received = 0;
        }
    }
    if (stage->valid && stage->xfer == xfer && stage->total == total) {
        if (offset <= stage->received) {
            memcpy(stage->buf + offset, payload + EL_PROTO_PUT_REQ_SIZE, n);
            if ((size_t)offset + n > stage->received) {
                stage->received = (uint16_t)(offset + n);
            }
        }
        el_chunk_put_u16(ack + EL_PROTO_PUT_ACK_OFF_RECEIVED, stage->received);
    } else {
        el_chunk_put_u16(ack + EL_PROTO_PUT_ACK_OFF_RECEIVED, 0); /* not held: from the start */
    }
    el_chunk_put_u16(ack + EL_PROTO_PUT_ACK_OFF_XFER, xfer);
    el_chunk_put_u16(ack + EL_PROTO_PUT_ACK_OFF_TOTAL, total);
    el_chunk_put_u16(ack + EL_PROTO_PUT_ACK_OFF_RESERVED, 0);
    return el_chunk_result(0, 0);
}

el_chunk_status_t el_stage_check(el_stage_t *stage, uint16_t xfer, uint16_t length,
                                 uint32_t crc)
{
    if (length == 0) {
        return el_chunk_result(0, 0);
    }
    if (!stage->valid || stage->xfer != xfer || stage->total != length) {
        return el_chunk_result(EL_ERR_NOT_STAGED, 0);
    }
    if (stage->received != length) {
        return el_chunk_result(EL_ERR_NOT_STAGED, (int32_t)stage->received);
    }
    if (el_crc32(0, stage->buf, length) != crc) {
        stage->valid = 0;
        return el_chunk_result(EL_ERR_NOT_STAGED, 0);
    }
    return el_chunk_result(0, 0);
}

el_chunk_status_t el_answer_get(const el_answer_t *answer, const uint8_t *payload, size_t len,
                                uint8_t *out, size_t cap, size_t *out_len)
{
    uint16_t seq;
    uint16_t offset;
    uint16_t want;
    size_t n;

    *out_len = 0;
    if (len != EL_PROTO_GET_REQ_SIZE) {
        return el_chunk_result(EL_ERR_BAD_LENGTH, (int32_t)len);
    }
    seq = el_chunk_u16(payload + EL_PROTO_GET_REQ_OFF_SEQ);
    offset = el_chunk_u16(payload + EL_PROTO_GET_REQ_OFF_OFFSET);
    want = el_chunk_u16(payload + EL_PROTO_GET_REQ_OFF_LENGTH);
    if (!answer->valid || answer->seq != seq) {
        return el_chunk_result(EL_ERR_NOT_HELD, (int32_t)seq);
    }
    if (want == 0) {
        return el_chunk_result(EL_ERR_BAD_ARG, 0);
    }
    if (offset > answer->length) {
        return el_chunk_result(EL_ERR_BAD_ARG, (int32_t)offset);
    }
    if (cap < EL_PROTO_GET_DATA_SIZE) {
        return el_chunk_result(EL_ERR_BAD_LENGTH, (int32_t)cap);
    }
    n = (size_t)(answer->length - offset);
    if (n > want) {
        n = want;
    }
    if (n > EL_PROTO_CHUNK_MAX) {
        n = EL_PROTO_CHUNK_MAX;
    }
    if (n > cap - EL_PROTO_GET_DATA_SIZE) {
        n = cap - EL_PROTO_GET_DATA_SIZE;
    }
    el_chunk_put_u16(out + EL_PROTO_GET_DATA_OFF_SEQ, seq);
    el_chunk_put_u16(out + EL_PROTO_GET_DATA_OFF_OFFSET, offset);
    el_chunk_put_u16(out + EL_PROTO_GET_DATA_OFF_TOTAL, answer->length);
    out[EL_PROTO_GET_DATA_OFF_TYPE] = answer->type;
    out[EL_PROTO_GET_DATA_OFF_RESERVED] = 0;
    el_chunk_put_u32(out + EL_PROTO_GET_DATA_OFF_CRC, answer->crc);
    memmove(out + EL_PROTO_GET_DATA_SIZE, answer->payload + offset, n);
    *out_len = EL_PROTO_GET_DATA_SIZE + n;
    return el_chunk_result(0, 0);
}
