/**
 * @file el_frame.h
 * @brief Frames of the edge-lstm serial protocol: CRC-32, an incremental COBS frame parser and
 *        a streaming COBS frame writer. See docs/protocol.md for the frame layout.
 *
 * The parser is fed one byte at a time and decodes into a buffer that the caller owns (static
 * storage on a microcontroller). Whatever bytes arrive, it never reads or writes outside that
 * buffer; a damaged frame ends at the next 0x00 delimiter and is reported with the protocol
 * error code that the app sends back, after which the parser is in step again.
 */
#ifndef EL_FRAME_H
#define EL_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "el_protocol.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What el_frame_parser_feed() found after one byte. */
typedef enum {
    EL_FRAME_PENDING = 0, /**< no complete frame yet */
    EL_FRAME_READY = 1,   /**< a valid request frame: see el_frame_t */
    EL_FRAME_ERROR = 2    /**< a frame ended but failed a check: el_frame_t.error says which */
} el_frame_status_t;

/** Parser state; initialise with el_frame_parser_init(), then treat as opaque. */
typedef struct {
    uint8_t *buf;         /**< caller's storage for one decoded frame */
    size_t cap;           /**< its size in bytes */
    size_t len;           /**< decoded bytes so far */
    uint8_t remaining;    /**< data bytes left in the current COBS block; 0 = next is a code */
    uint8_t zero_pending; /**< the last block implies a 0x00 before the next block's data */
    uint8_t overflow;     /**< the frame outgrew buf: skip to the delimiter */
    uint8_t active;       /**< a byte other than the delimiter arrived since the last one */
} el_frame_parser_t;

/** One frame as the parser reports it; payload points into the parser's buffer. */
typedef struct {
    uint8_t version;        /**< protocol version byte */
    uint8_t type;           /**< message type (EL_MSG_*) */
    uint16_t seq;           /**< sequence number (valid when has_header) */
    uint16_t length;        /**< payload length in bytes */
    const uint8_t *payload; /**< payload bytes (valid until the next feed) */
    uint32_t crc;           /**< the frame's CRC-32 (valid when crc_ok) */
    uint8_t error;          /**< EL_ERR_* when the status is EL_FRAME_ERROR, else 0 */
    uint8_t has_header;     /**< the frame was long enough for its header to be read */
    uint8_t crc_ok;         /**< the CRC matched: the frame is what the sender sent */
} el_frame_t;

/** Writer of encoded bytes: el_bsp_uart_write() on a board. */
typedef void (*el_frame_write_fn)(const uint8_t *data, size_t n);

/**
 * @brief CRC-32 (IEEE 802.3, as zlib's crc32()): pass 0 to start, a previous result to continue.
 * @param[in] crc   0, or the CRC of the bytes before @p data
 * @param[in] data  bytes
 * @param[in] n     number of bytes
 * @return CRC-32 of everything so far ("123456789" gives 0xCBF43926)
 */
uint32_t el_crc32(uint32_t crc, const uint8_t *data, size_t n);

/**
 * @brief Prepare a parser that decodes into @p buf.
 * @param[out] parser  parser state
 * @param[in]  buf     storage for one decoded frame (header, payload, CRC)
 * @param[in]  cap     size of @p buf in bytes; frames larger than this end in EL_ERR_TOO_LONG
 */
void el_frame_parser_init(el_frame_parser_t *parser, uint8_t *buf, size_t cap);

/**
 * @brief Feed one received byte.
 * @param[in,out] parser  parser state
 * @param[in]     byte    the byte
 * @param[out]    frame   filled when the result is EL_FRAME_READY or EL_FRAME_ERROR
 * @return EL_FRAME_PENDING, EL_FRAME_READY (a well-formed request of a known type), or
 *         EL_FRAME_ERROR (frame->error: EL_ERR_TOO_LONG, _BAD_COBS, _TOO_SHORT, _BAD_CRC,
 *         _BAD_VERSION, _BAD_LENGTH, _UNKNOWN_TYPE, checked in that order)
 */
el_frame_status_t el_frame_parser_feed(el_frame_parser_t *parser, uint8_t byte,
                                       el_frame_t *frame);

/**
 * @brief Finish a frame in place: header before the payload, CRC after it.
 * @param[in,out] buf          the payload is already at buf + EL_PROTO_HDR_SIZE
 * @param[in]     cap          size of @p buf
 * @param[in]     type         message type
 * @param[in]     seq          sequence number
 * @param[in]     payload_len  payload bytes
 * @return total frame bytes (header + payload + CRC), or 0 when it does not fit @p cap or
 *         the payload exceeds EL_PROTO_MAX_PAYLOAD
 */
size_t el_frame_finish(uint8_t *buf, size_t cap, uint8_t type, uint16_t seq,
                       size_t payload_len);

/**
 * @brief COBS-encode a finished frame and write it, then the delimiter, through @p write.
 * @param[in] raw    frame bytes from el_frame_finish()
 * @param[in] n      their number
 * @param[in] write  byte sink
 */
void el_frame_send(const uint8_t *raw, size_t n, el_frame_write_fn write);

#ifdef __cplusplus
}
#endif

#endif /* EL_FRAME_H */
