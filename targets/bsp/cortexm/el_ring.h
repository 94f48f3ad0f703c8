/**
 * @file el_ring.h
 * @brief Single-producer (UART interrupt) / single-consumer (main loop) byte ring buffer.
 */
#ifndef EL_RING_H
#define EL_RING_H

#include <stdint.h>

#define EL_RING_SIZE 1024u /* a power of two */

typedef struct {
    volatile uint8_t buf[EL_RING_SIZE];
    volatile uint32_t head; /* written by the producer only */
    volatile uint32_t tail; /* written by the consumer only */
} el_ring_t;

/**
 * @brief Append a byte; drops it when full (the protocol layer detects the loss by CRC).
 * @param[in,out] r ring
 * @param[in]     b byte
 */
static inline void el_ring_put(el_ring_t *r, uint8_t b)
{
    uint32_t h = r->head;
    if (h - r->tail < EL_RING_SIZE) {
        r->buf[h & (EL_RING_SIZE - 1u)] = b;
        r->head = h + 1u;
    }
}

/**
 * @brief Take the oldest byte.
 * @param[in,out] r ring
 * @return the byte, or -1 when empty
 */
static inline int el_ring_get(el_ring_t *r)
{
    uint32_t t = r->tail;
    int b;
    if (t == r->head) {
        return -1;
    }
    b = r->buf[t & (EL_RING_SIZE - 1u)];
    r->tail = t + 1u;
    return b;
}

#endif /* EL_RING_H */
