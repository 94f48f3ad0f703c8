/**
 * @file el_gru_s8.c
 * @brief int8 GRU and SimpleRNN, bit-exact with quantize/gru_reference.py.
 *
 * One step follows docs/integer_gru.md in two parts. First the matrix products: x and h(t-1)
 * are widened to int16 pairs and every row's accumulator is computed, four rows per pass over
 * the inputs (the weights are packed for it, see el_gru_s8.h): on cores with the DSP extension
 * per column group one LDRD of the inputs, two LDRD of the four rows' weight words, eight
 * SXTB16 and eight SMLAD for 16 MACs, the accumulators in registers; on Armv7-M without it
 * SXTB with rotations and MLA; elsewhere portable C. Then per unit the requantizations, the
 * gates and the update, in C. For reset_after=0 the candidate's recurrent product needs r x h
 * of every unit, so r comes first and its rows are a second pass. No intermediate leaves
 * int32: the bounds are in the document's "Overflow" section and are checked when the
 * constants are derived. The state is written in place, the products having read a copy.
 */
#include "el_gru_s8.h"

#include <stddef.h>

#include "el_fixedpoint.h"
#include "el_sigmoid_tanh.h"

#define EL_Q15_ONE 32768

/* The loops' assembly needs 12 registers of its own: the row passes are kept out of line so
 * that the compiler never inlines them where fewer are free. */
#if defined(__GNUC__)
#define EL_GRU_NOINLINE static __attribute__((noinline))
#else
#define EL_GRU_NOINLINE static
#endif

/* Armv7-M and later without the DSP extension (Cortex-M3, or a DSP core built with
 * EL_USE_DSP=0): SXTB with a rotation and MLA. Armv6-M and other targets take portable C. */
#if EL_USE_DSP && defined(__GNUC__)
#define EL_GRU_DSP_ASM 1
#define EL_GRU_V7M_ASM 0
#elif defined(__GNUC__) && defined(__thumb2__)
#define EL_GRU_DSP_ASM 0
#define EL_GRU_V7M_ASM 1
#else
#define EL_GRU_DSP_ASM 0
#define EL_GRU_V7M_ASM 0
#endif

/** Row blocks of a layer's weight matrices: G gates of ceil(H/4) blocks of four rows. */
static int32_t el_gru_gates(const el_gru_s8_params *params)
{
    return params->kind == EL_GRU_KIND_SIMPLE_RNN ? 1 : 3;
}

int32_t el_gru_s8_buffer_size(const el_gru_s8_params *params)
{
    const int32_t h_groups = (params->hidden_size + 3) >> 2;
    const int32_t in_groups = (params->input_size + 3) >> 2;
    /* the accumulators (2 G H4 words), then x, h and r x h as int16 pairs */
    const int32_t words = 2 * el_gru_gates(params) * 4 * h_groups + 2 * in_groups + 4 * h_groups;
    return (int32_t)sizeof(int32_t) * words;
}

void el_gru_s8_reset(const el_gru_s8_params *params, int8_t *hidden)
{
    int32_t j;
    for (j = 0; j < params->hidden_size; j++) {
        hidden[j] = (int8_t)params->hidden_zero_point;
    }
}

#if EL_GRU_DSP_ASM
/* A column group of the four rows (16 MACs): the input pair by a post-indexed LDRD, then per
 * row one weight word, SXTB16 and SXTB16 ROR #8 into two SMLAD. */
#define EL_GRU_GROUP_DSP                                                                    \
    "ldrd   %[x0], %[x1], [%[in]], #8\n\t"                                                  \
    "ldrd   %[wa], %[wb], [%[w]], #16\n\t"                                                  \
    "sxtb16 %[t], %[wa]\n\t"                                                                \
    "smlad  %[a0], %[t], %[x0], %[a0]\n\t"                                                  \
    "sxtb16 %[wa], %[wa], ror #8\n\t"                                                       \
    "smlad  %[a0], %[wa], %[x1], %[a0]\n\t"                                                 \
    "sxtb16 %[t], %[wb]\n\t"                                                                \
    "smlad  %[a1], %[t], %[x0], %[a1]\n\t"                                                  \
    "sxtb16 %[wb], %[wb], ror #8\n\t"                                                       \
    "smlad  %[a1], %[wb], %[x1], %[a1]\n\t"                                                 \
    "ldrd   %[wa], %[wb], [%[w], #-8]\n\t"                                                  \
    "sxtb16 %[t], %[wa]\n\t"                                                                \
    "smlad  %[a2], %[t], %[x0], %[a2]\n\t"                                                  \
    "sxtb16 %[wa], %[wa], ror #8\n\t"                                                       \
    "smlad  %[a2], %[wa], %[x1], %[a2]\n\t"                                                 \
    "sxtb16 %[t], %[wb]\n\t"                                                                \
    "smlad  %[a3], %[t], %[x0], %[a3]\n\t"                                                  \
    "sxtb16 %[wb], %[wb], ror #8\n\t"                                                       \
    "smlad  %[a3], %[wb], %[x1], %[a3]\n\t"
#endif

#if EL_GRU_V7M_ASM
/* A column group on Armv7-M: the four int16 inputs by LDRSH, then per row one weight word
 * unpacked by SXTB, SXTB ROR #8, SXTB ROR #16 and ASR #24 (columns c, c+2, c+1, c+3) into
 * four MLA. */
#define EL_GRU_ROW_V7M(a)                                                                   \
    "ldr    %[wv], [%[w]], #4\n\t"                                                           \
    "sxtb   %[t], %[wv]\n\t"                                                                 \
    "mla    %[" a "], %[t], %[x0], %[" a "]\n\t"                                             \
    "sxtb   %[t], %[wv], ror #8\n\t"                                                         \
    "mla    %[" a "], %[t], %[x2], %[" a "]\n\t"                                             \
    "sxtb   %[t], %[wv], ror #16\n\t"                                                        \
    "mla    %[" a "], %[t], %[x1], %[" a "]\n\t"                                             \
    "asr    %[wv], %[wv], #24\n\t"                                                           \
    "mla    %[" a "], %[wv], %[x3], %[" a "]\n\t"
#define EL_GRU_GROUP_V7M                                                                    \
    "ldrsh  %[x0], [%[in]], #8\n\t"                                                          \
    "ldrsh  %[x1], [%[in], #-6]\n\t"                                                         \
    "ldrsh  %[x2], [%[in], #-4]\n\t"                                                         \
    "ldrsh  %[x3], [%[in], #-2]\n\t"                                                         \
    EL_GRU_ROW_V7M("a0") EL_GRU_ROW_V7M("a1") EL_GRU_ROW_V7M("a2") EL_GRU_ROW_V7M("a3")
#endif

/**
 * acc[4 b .. 4 b + 3] = the products of block b's four rows with the widened vector in, for
 * `blocks` consecutive blocks of `groups` column groups each (groups >= 1). Two column groups
 * per loop pass; an odd count enters at the second.
 */
EL_GRU_NOINLINE void el_gru_rows_dot(const int32_t *w, const int32_t *in, int32_t groups,
                                     int32_t blocks, int32_t *acc)
{
    const int32_t *const end = in + 2 * groups;
    int32_t b;
    for (b = 0; b < blocks; b++, acc += 4) {
        int32_t a0 = 0;
        int32_t a1 = 0;
        int32_t a2 = 0;
        int32_t a3 = 0;
        const int32_t *v = in;
#if EL_GRU_DSP_ASM
        int32_t x0;
        int32_t x1;
        int32_t wa;
        int32_t wb;
        int32_t t = groups;
        __asm__("tst    %[t], #1\n\t"
                "bne    2f\n"
                "1:\n\t" EL_GRU_GROUP_DSP "2:\n\t" EL_GRU_GROUP_DSP "cmp    %[in], %[end]\n\t"
                "bne    1b"
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [in] "+r"(v),
                  [w] "+r"(w), [x0] "=&r"(x0), [x1] "=&r"(x1), [wa] "=&r"(wa), [wb] "=&r"(wb),
                  [t] "+&r"(t)
                : [end] "r"(end)
                : "cc", "memory");
#elif EL_GRU_V7M_ASM
        int32_t x0;
        int32_t x1;
        int32_t x2;
        int32_t x3;
        int32_t wv;
        int32_t t = groups;
        __asm__("tst    %[t], #1\n\t"
                "bne    2f\n"
                "1:\n\t" EL_GRU_GROUP_V7M "2:\n\t" EL_GRU_GROUP_V7M "ldr    %[t], %[end]\n\t"
                "cmp    %[in], %[t]\n\t"
                "bne    1b"
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [in] "+r"(v),
                  [w] "+r"(w), [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2), [x3] "=&r"(x3),
                  [wv] "=&r"(wv), [t] "+&r"(t)
                : [end] "m"(end)
                : "cc", "memory");
#else
        while (v != end) {
            const int32_t x01 = v[0];
            const int32_t x23 = v[1];
            v += 2;
            a0 = el_mac4(a0, w[0], x01, x23);
            a1 = el_mac4(a1, w[1], x01, x23);
            a2 = el_mac4(a2, w[2], x01, x23);
            a3 = el_mac4(a3, w[3], x01, x23);
            w += 4;
        }
#endif
        acc[0] = a0;
        acc[1] = a1;
        acc[2] = a2;
        acc[3] = a3;
    }
}

/**
 * el_mbqm() for |x| shifted left by max(shift, 0) below 2^30 (el_mbqm_short() with the
 * left shift folded into the doubling): a right shift r >= 1 rounds by 2^(r - 1) and the
 * sign, no right shift needs neither.
 */
EL_INLINE int32_t el_gru_rq_short(int32_t x, int32_t multiplier, int32_t shift)
{
    const int32_t right = shift > 0 ? 0 : -shift;
    const int32_t x2 = el_shl(x, (shift > 0 ? shift : 0) + 1);
    return el_mbqm_short(x2, multiplier, (1 << right) >> 1, right, right != 0);
}

/** The general form out of line: layers that need it are rare, so it is kept small. */
EL_GRU_NOINLINE int32_t el_gru_part_general(int32_t x, const el_requant *rq)
{
    return el_sat16(el_mbqm(x, rq->multiplier, rq->shift));
}

/** A row's accumulator plus its bias, requantized and saturated to int16; fast (a constant at
 *  each call) selects the short form. */
EL_INLINE int32_t el_gru_part(int32_t acc, int32_t bias, const el_requant *rq, int32_t fast)
{
    if (fast) {
        return el_sat16(el_gru_rq_short(acc + bias, rq->multiplier, rq->shift));
    }
    return el_gru_part_general(acc + bias, rq);
}

/** Q3.12 tanh: TFLite Micro's input scaling by 3, no shift. */
EL_INLINE int32_t el_gru_tanh(int32_t x)
{
    return el_tanh_s16_in32(x, 3, 0, 0);
}

/**
 * The row products after x's, and per unit the gates and the new state, written in place
 * (the products read h(t-1) widened in the scratch). fast (a constant at each call) selects the
 * short requantizations of the rows. The update's requantization takes the short form always:
 * |(1 - z) n| < 2^30 and 2^-15 / s_h <= 1/2 (docs/integer_gru.md, "Overflow").
 */
EL_INLINE void el_gru_units(const el_gru_s8_params *params, int8_t *hidden, int32_t *scratch,
                             int32_t fast)
{
    const int32_t in_n = params->input_size;
    const int32_t h_n = params->hidden_size;
    const int32_t zp = params->hidden_zero_point;
    const int32_t h_groups = (h_n + 3) >> 2;
    const int32_t h4 = 4 * h_groups;
    const int32_t gates = el_gru_gates(params);
    int32_t *const acc_x = scratch;
    int32_t *const acc_h = acc_x + gates * h4;
    int32_t *const h_wide = acc_h + gates * h4 + 2 * ((in_n + 3) >> 2);
    int32_t *const rh_wide = h_wide + 2 * h_groups;
    const int32_t *const ib = params->input_bias;
    const int32_t *const rb = params->recurrent_bias;
    const el_requant *const irq = params->input_rq;
    const el_requant *const rrq = params->recurrent_rq;
    /* read once: the int8 stores to hidden may alias anything */
    const int32_t hidden_multiplier = params->hidden_rq.multiplier;
    const int32_t hidden_shift = params->hidden_rq.shift;
    const int32_t candidate_shift = params->candidate_shift;
    const int32_t reset_after = params->reset_after;
    int32_t j;

    if (params->kind == EL_GRU_KIND_SIMPLE_RNN) {
        el_gru_rows_dot(params->w_h, h_wide, h_groups, h_groups, acc_h);
        for (j = 0; j < h_n; j++) {
            const int32_t gx = el_gru_part(acc_x[j], ib[j], &irq[j], fast);
            const int32_t gh = el_gru_part(acc_h[j], rb[j], &rrq[j], fast);
            const int32_t t = el_gru_tanh(el_sat16(gx + gh));
            const int32_t v = el_gru_rq_short(t, hidden_multiplier, hidden_shift);
            hidden[j] = (int8_t)el_sat8(v + zp);
        }
    } else {
        if (reset_after) {
            el_gru_rows_dot(params->w_h, h_wide, h_groups, 3 * h_groups, acc_h);
        } else {
            /* z and r rows from h(t-1); then r x h in h's own quantization (|r (h - zp)| <
             * |h - zp|, never saturates), widened, for the candidate rows */
            el_gru_rows_dot(params->w_h, h_wide, h_groups, 2 * h_groups, acc_h);
            for (j = 0; j < h4; j += 2) {
                int32_t rh[2] = {0, 0};
                int32_t k;
                for (k = 0; k < 2 && j + k < h_n; k++) {
                    const int32_t row = h_n + j + k;
                    const int32_t r = el_sigmoid_s16_in32(
                        el_sat16(el_gru_part(acc_x[h4 + j + k], ib[row], &irq[row], fast) +
                                 el_gru_part(acc_h[h4 + j + k], rb[row], &rrq[row], fast)));
                    rh[k] = el_sat8(el_rdbp(r * ((int32_t)hidden[j + k] - zp), 15) + zp);
                }
                rh_wide[j >> 1] = el_pack_s16x2(rh[0], rh[1]);
            }
            el_gru_rows_dot(params->w_h + 2 * h_groups * 4 * h_groups, rh_wide, h_groups,
                            h_groups, acc_h + 2 * h4);
        }
        for (j = 0; j < h_n; j++) {
            const int32_t zr = j;
            const int32_t rr = h_n + j;
            const int32_t nr = 2 * h_n + j;
            const int32_t z =
                el_sigmoid_s16_in32(el_sat16(el_gru_part(acc_x[j], ib[zr], &irq[zr], fast) +
                                             el_gru_part(acc_h[j], rb[zr], &rrq[zr], fast)));
            const int32_t gx = el_gru_part(acc_x[2 * h4 + j], ib[nr], &irq[nr], fast);
            const int32_t ghn = el_gru_part(acc_h[2 * h4 + j], rb[nr], &rrq[nr], fast);
            const int32_t d = (int32_t)hidden[j] - zp;
            int32_t pre;
            int32_t acc;
            if (reset_after) {
                const int32_t r =
                    el_sigmoid_s16_in32(el_sat16(el_gru_part(acc_x[h4 + j], ib[rr], &irq[rr], fast) +
                                                 el_gru_part(acc_h[h4 + j], rb[rr], &rrq[rr], fast)));
                pre = el_sat16(gx + el_rdbp(r * ghn, candidate_shift));
            } else {
                pre = el_sat16(gx + ghn);
            }
            /* h' = z h + (1 - z) n in units of s_h 2^-15, one rounding shift to int8 */
            acc = z * d + el_gru_rq_short((EL_Q15_ONE - z) * el_gru_tanh(pre), hidden_multiplier,
                                          hidden_shift);
            hidden[j] = (int8_t)el_sat8(el_rdbp(acc, 15) + zp);
        }
    }
}

/* el_gru_units() with the short requantizations, and with the general ones. */
EL_GRU_NOINLINE void el_gru_units_short(const el_gru_s8_params *params, int8_t *hidden,
                                        int32_t *scratch)
{
    el_gru_units(params, hidden, scratch, 1);
}

EL_GRU_NOINLINE void el_gru_units_general(const el_gru_s8_params *params, int8_t *hidden,
                                          int32_t *scratch)
{
    el_gru_units(params, hidden, scratch, 0);
}

el_status el_gru_s8_step(const el_gru_s8_params *params, const int8_t *input, int8_t *hidden,
                         int8_t *output, int32_t *scratch)
{
    const int32_t in_n = params->input_size;
    const int32_t h_n = params->hidden_size;
    const int32_t zp = params->hidden_zero_point;
    const int32_t in_groups = (in_n + 3) >> 2;
    const int32_t h_groups = (h_n + 3) >> 2;
    const int32_t h4 = 4 * h_groups;
    const int32_t gates = el_gru_gates(params);
    int32_t *const x_wide = scratch + 2 * gates * h4;
    int32_t *const h_wide = x_wide + 2 * in_groups;
    int32_t j;

    if (in_n <= 0 || h_n <= 0 ||
        (params->kind != EL_GRU_KIND_GRU && params->kind != EL_GRU_KIND_SIMPLE_RNN)) {
        return EL_STATUS_ARG_ERROR;
    }
    el_widen_s8(input, in_n, x_wide);
    el_widen_s8(hidden, h_n, h_wide);
    el_gru_rows_dot(params->w_x, x_wide, in_groups, gates * h_groups, scratch);

    if (params->short_rq) {
        el_gru_units_short(params, hidden, scratch);
    } else {
        el_gru_units_general(params, hidden, scratch);
    }
    if (output != NULL) {
        if (params->output_rq.multiplier == 0) {
            for (j = 0; j < h_n; j++) {
                output[j] = hidden[j];
            }
        } else {
            for (j = 0; j < h_n; j++) {
                const int32_t v = el_mbqm((int32_t)hidden[j] - zp, params->output_rq.multiplier,
                                          params->output_rq.shift);
                output[j] = (int8_t)el_sat8(v + params->output_zero_point);
            }
        }
    }
    return EL_STATUS_SUCCESS;
}

el_status el_gru_s8(const el_gru_s8_params *params, const int8_t *input, int32_t time_steps,
                    int32_t return_sequences, int8_t *hidden, int8_t *output,
                    int32_t *scratch)
{
    int32_t t;
    if (time_steps <= 0) {
        return EL_STATUS_ARG_ERROR;
    }
    for (t = 0; t < time_steps; t++) {
        int8_t *out = NULL;
        el_status status;
        if (return_sequences) {
            out = output + t * params->hidden_size;
        } else if (t == time_steps - 1) {
            out = output;
        }
        status = el_gru_s8_step(params, input + t * params->input_size, hidden, out, scratch);
        if (status != EL_STATUS_SUCCESS) {
            return status;
        }
    }
    return EL_STATUS_SUCCESS;
}
