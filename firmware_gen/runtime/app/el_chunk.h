/**
 * @file el_chunk.h
 * @brief The device side of the chunked exchange (docs/protocol.md): PUT chunks written into a
 *        staging buffer at their offset, the check a RUN makes before using it, and the GET
 *        pieces of a held answer.
 *
 * Kept apart from el_app.c (no model, no board) so that a fuzzer can drive it with arbitrary
 * payloads. Every function checks its payload's size and fields against the buffers it is
 * given and never reads or writes outside them.
 */
#ifndef EL_CHUNK_H
#define EL_CHUNK_H

#include <stddef.h>
#include <stdint.h>

#include "el_protocol.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A staging buffer and the transfer it holds (bytes 0..received, contiguous). */
typedef struct {
    uint8_t *buf;      /**< caller's storage: the largest staged request payload */
    size_t cap;        /**< its size in bytes (at most 0xFFFF) */
    uint16_t xfer;     /**< transfer id chosen by the host */
    uint16_t total;    /**< payload bytes of that transfer */
    uint16_t received; /**< bytes 0..received are held */
    uint8_t valid;     /**< a transfer is held (0 after init: a reset forgets it) */
} el_stage_t;

/** The answer the app keeps for its last request, as GET serves it. */
typedef struct {
    const uint8_t *payload; /**< answer payload (in the app's transmit buffer) */
    uint16_t length;        /**< its bytes */
    uint16_t seq;           /**< sequence number of the request it answers */
    uint32_t crc;           /**< CRC-32 of the payload */
    uint8_t type;           /**< its message type */
    uint8_t valid;          /**< an answer is held */
} el_answer_t;

/** What a chunk operation reports besides its output bytes. */
typedef struct {
    uint8_t error; /**< 0, or an EL_ERR_* code for an ERROR reply */
    int32_t aux;   /**< the ERROR's aux value */
} el_chunk_status_t;

/**
 * @brief Forget any transfer and use @p buf for the next one.
 * @param[out] stage  staging state
 * @param[in]  buf    storage
 * @param[in]  cap    its size (clamped to 0xFFFF)
 */
void el_stage_init(el_stage_t *stage, uint8_t *buf, size_t cap);

/**
 * @brief Apply one PUT payload and write the PUT_ACK record.
 *
 * A chunk of the held transfer at an offset not past @c received is written (a repeat writes
 * the same bytes again); offset 0 of another transfer starts it; any other chunk is ignored and
 * the acknowledgement tells the host where to resume.
 * @param[in,out] stage    staging state
 * @param[in]     payload  PUT payload: EL_PROTO_PUT_REQ record then the data
 * @param[in]     len      its bytes
 * @param[out]    ack      EL_PROTO_PUT_ACK_SIZE bytes, written when the status has no error
 * @return error 0, or EL_ERR_BAD_LENGTH (no record or no data or more than CHUNK_MAX; aux: len)
 *         or EL_ERR_BAD_ARG (total 0 or over the buffer, or the chunk past total; aux: the value)
 */
el_chunk_status_t el_stage_put(el_stage_t *stage, const uint8_t *payload, size_t len,
                               uint8_t *ack);

/**
 * @brief Check that the staged payload is exactly the one a RUN names.
 *
 * A complete transfer whose CRC differs is forgotten, so that the host's next offset-0 chunk
 * starts it again rather than being acknowledged as already held.
 * @param[in,out] stage   staging state
 * @param[in]     xfer    transfer id
 * @param[in]     length  payload bytes (0: nothing staged is needed; always passes)
 * @param[in]     crc     CRC-32 of the payload
 * @return error 0, or EL_ERR_NOT_STAGED with aux = bytes of that transfer held (resume there)
 */
el_chunk_status_t el_stage_check(el_stage_t *stage, uint16_t xfer, uint16_t length,
                                 uint32_t crc);

/**
 * @brief Build a GET_DATA payload: a piece of the held answer.
 * @param[in]  answer   the held answer
 * @param[in]  payload  GET payload (EL_PROTO_GET_REQ record)
 * @param[in]  len      its bytes
 * @param[out] out      GET_DATA record then the piece
 * @param[in]  cap      size of @p out (at least EL_PROTO_GET_DATA_SIZE)
 * @param[out] out_len  bytes written to @p out
 * @return error 0, or EL_ERR_BAD_LENGTH (aux: len), EL_ERR_NOT_HELD (no answer to that seq;
 *         aux: the seq) or EL_ERR_BAD_ARG (length 0 or offset past the answer; aux: the value)
 */
el_chunk_status_t el_answer_get(const el_answer_t *answer, const uint8_t *payload, size_t len,
                                uint8_t *out, size_t cap, size_t *out_len);

#ifdef __cplusplus
}
#endif

#endif /* EL_CHUNK_H */
