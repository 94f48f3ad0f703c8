/**
 * @file el_lstm_units_mve.c
 * @brief The gate dot products of one LSTM unit with Helium (M-profile Vector Extension,
 *        Cortex-M55/M85), int8 weights.
 *
 * A layer's int8 weights hold, per column group of four, the words of the gates i, f, g, o
 * next to each other (bytes w0, w2, w1, w3; see el_lstm_s8_params). Four column groups are
 * 16 words, and VLD40-VLD43 (32-bit elements) de-interleave them: vector g is gate g's four
 * words, 16 int8 weights of 16 columns. The step's input and h(t-1) are copied once per step
 * as raw int8 in the same byte order (el_lstm_pack_s8_mve()), so one VMLADAVA.S8 adds 16
 * products of a gate to its scalar accumulator: 64 MACs take 4 VLD4, one VLDRB and 4
 * VMLADAVA. A last one to three column groups are read by gathers predicated to the words
 * that exist (no read past the unit's weights) against an input predicated to its columns.
 *
 * The products are the int8 x int8 products of the scalar paths, summed exactly in int32
 * (|sum| < 2^31 for any layer the generator accepts), so the accumulators are bit-identical;
 * layers on the short requantization forms take twice the sum (shift 1), which the scalar
 * paths get from doubled inputs.
 */
#include <stdint.h>

#if defined(__GNUC__) && defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include <arm_mve.h>

/**
 * @brief Copy n int8 values as column groups of four in the weights' byte order
 *        (x0, x2, x1, x3), zero-padded to a multiple of four.
 * @param[in]  src  n values
 * @param[in]  n    >= 1
 * @param[out] dst  4 * ceil(n / 4) bytes, word aligned
 */
void el_lstm_pack_s8_mve(const int8_t *src, int32_t n, int8_t *dst)
{
    int32_t k;
    for (k = 0; k + 3 < n; k += 4) {
        dst[k] = src[k];
        dst[k + 1] = src[k + 2];
        dst[k + 2] = src[k + 1];
        dst[k + 3] = src[k + 3];
    }
    if (k < n) {
        dst[k] = src[k];
        dst[k + 1] = (k + 2 < n) ? src[k + 2] : 0;
        dst[k + 2] = (k + 1 < n) ? src[k + 1] : 0;
        dst[k + 3] = 0;
    }
}

/* acc[g] = bias[g] + (dot(weights of gate g, in) << shift) over `groups` column groups;
 * returns the next weights. Inlined: a call per side costs more than a short side's MACs. */
static inline __attribute__((always_inline)) const int32_t *
el_lstm_gates_dot_mve(const int32_t *w, const int8_t *in, int32_t groups, const int32_t *bias,
                      int32_t acc[4], int32_t shift)
{
    int32_t a0 = 0;
    int32_t a1 = 0;
    int32_t a2 = 0;
    int32_t a3 = 0;
    for (; groups >= 4; groups -= 4) {
        const int32x4x4_t v = vld4q_s32(w);
        const int8x16_t x = vldrbq_s8(in);
        a0 = vmladavaq_s8(a0, vreinterpretq_s8_s32(v.val[0]), x);
        a1 = vmladavaq_s8(a1, vreinterpretq_s8_s32(v.val[1]), x);
        a2 = vmladavaq_s8(a2, vreinterpretq_s8_s32(v.val[2]), x);
        a3 = vmladavaq_s8(a3, vreinterpretq_s8_s32(v.val[3]), x);
        w += 16;
        in += 16;
    }
    if (groups > 0) {
        /* word k of gate g sits at 16 k + 4 g bytes */
        const uint32x4_t offsets = vmulq_n_u32(vidupq_n_u32(0, 1), 16);
        const mve_pred16_t words = vctp32q((uint32_t)groups);
        const int8x16_t x = vldrbq_z_s8(in, vctp8q((uint32_t)(4 * groups)));
        const int32x4_t w0 = vldrwq_gather_offset_z_s32(w, offsets, words);
        const int32x4_t w1 = vldrwq_gather_offset_z_s32(w + 1, offsets, words);
        const int32x4_t w2 = vldrwq_gather_offset_z_s32(w + 2, offsets, words);
        const int32x4_t w3 = vldrwq_gather_offset_z_s32(w + 3, offsets, words);
        a0 = vmladavaq_s8(a0, vreinterpretq_s8_s32(w0), x);
        a1 = vmladavaq_s8(a1, vreinterpretq_s8_s32(w1), x);
        a2 = vmladavaq_s8(a2, vreinterpretq_s8_s32(w2), x);
        a3 = vmladavaq_s8(a3, vreinterpretq_s8_s32(w3), x);
        w += 4 * groups;
    }
    acc[0] = bias[0] + (int32_t)((uint32_t)a0 << shift);
    acc[1] = bias[1] + (int32_t)((uint32_t)a1 << shift);
    acc[2] = bias[2] + (int32_t)((uint32_t)a2 << shift);
    acc[3] = bias[3] + (int32_t)((uint32_t)a3 << shift);
    return w;
}

/**
 * @brief The eight accumulators of one unit: acc[0..3] = bias[0..3] + (input side of the
 *        gates i, f, g, o << shift), acc[4..7] = bias[4..7] + (recurrent side << shift).
 * @param[in]  w         the unit's int8 weight words
 * @param[in]  x         the input packed by el_lstm_pack_s8_mve(), x_groups column groups
 * @param[in]  x_groups  >= 1
 * @param[in]  h         h(t-1) packed by el_lstm_pack_s8_mve(), h_groups column groups
 * @param[in]  h_groups  >= 1
 * @param[in]  bias      the unit's eight biases
 * @param[out] acc       the eight accumulators
 * @param[in]  shift     1 for layers on the short requantization forms (doubled biases)
 * @return the next unit's weights
 */
const int32_t *el_lstm_unit_dots_mve(const int32_t *w, const int8_t *x, int32_t x_groups,
                                     const int8_t *h, int32_t h_groups, const int32_t *bias,
                                     int32_t acc[8], int32_t shift)
{
    w = el_lstm_gates_dot_mve(w, x, x_groups, bias, acc, shift);
    return el_lstm_gates_dot_mve(w, h, h_groups, bias + 4, acc + 4, shift);
}

#else
/* Other targets: nothing here (ISO C wants a declaration in every translation unit). */
typedef int el_lstm_units_mve_unused;
#endif
