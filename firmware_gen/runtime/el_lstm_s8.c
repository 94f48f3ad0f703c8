/**
 * @file el_lstm_s8.c
 * @brief One time step of an int8 LSTM layer (int8 x and h, int16 cell state), bit-exact
 *        with TFLite Micro's UNIDIRECTIONAL_SEQUENCE_LSTM (8x8->16).
 *
 * One pass over the weights computes all four gates of a unit: the weight words of the
 * gates i, f, g, o for the same four input columns sit next to each other, so each pair of
 * input words is loaded once and feeds four accumulators. The zero points of x and h are
 * folded into per-gate constants when the model is generated (bias - zp * row sums), so
 * the inner loop is four multiply-accumulates of raw values per weight word: on cores
 * with the DSP extension two SXTB16 and two SMLAD (dual 16-bit MAC). Layers generated with
 * int16 weight storage (weight_bits 16) hold the same values sign-extended, so the loop
 * multiplies each weight word as it is: one SMLAD per two MACs, no unpacking.
 *
 * Once a unit's gates are known its cell and hidden values are final, so no gate buffers
 * are needed: the recurrent products read a widened copy of h(t-1) taken at the start of
 * the step while h(t) is written in place.
 */
#include "el_nnfunctions.h"

#include <stddef.h>

#include "el_fixedpoint.h"
#include "el_sigmoid_tanh.h"

/* The unit dot products of Armv6-M (el_lstm_units_armv6m.c: Thumb-1 assembly) and of
 * Helium (el_lstm_units_mve.c: VMLADAVA on raw int8 inputs packed once per step). */
#if defined(__GNUC__) && defined(__ARM_ARCH_6M__)
#define EL_LSTM_ARMV6M 1
const int32_t *el_lstm_unit_dots_armv6m(const int32_t *w, const int32_t *x, int32_t x_groups,
                                        const int32_t *h, int32_t h_groups, const int32_t *bias,
                                        int32_t acc[8]);
#else
#define EL_LSTM_ARMV6M 0
#endif
#if defined(__GNUC__) && defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#define EL_LSTM_MVE 1
void el_lstm_pack_s8_mve(const int8_t *src, int32_t n, int8_t *dst);
const int32_t *el_lstm_unit_dots_mve(const int32_t *w, const int8_t *x, int32_t x_groups,
                                     const int8_t *h, int32_t h_groups, const int32_t *bias,
                                     int32_t acc[8], int32_t shift);
#else
#define EL_LSTM_MVE 0
#endif

int32_t el_lstm_s8_buffer_size(const el_lstm_s8_params *params)
{
    const int32_t words = 2 * ((params->input_size + 3) >> 2) + 2 * ((params->hidden_size + 3) >> 2);
    return words * (int32_t)sizeof(int32_t);
}

/* Armv7-M and later without the DSP extension (Cortex-M3, or a DSP core built with
 * EL_USE_DSP=0): Thumb-2 has SXTB with a rotation and MLA, so the loop is written for them.
 * Armv6-M (Cortex-M0+) and other targets take the portable C loop. */
#if !EL_USE_DSP && defined(__GNUC__) && defined(__thumb2__)
#define EL_LSTM_V7M_ASM 1
#else
#define EL_LSTM_V7M_ASM 0
#endif

/* The loops' assembly needs 12 registers of its own: the two passes of a unit are kept out
 * of line so that the compiler never inlines them where fewer are free (it did, for
 * Cortex-M7 at -O2). */
#if defined(__GNUC__)
#define EL_NOINLINE static __attribute__((noinline))
#else
#define EL_NOINLINE static
#endif

/* The DSP loop's column group (16 MACs): the input pair with a post-indexed LDRD, then per
 * gate int8 weights (one word, SXTB16 and SXTB16 ROR #8, two SMLAD; two LDRD for the four
 * gates) or int16 weights (two words by LDRD, two SMLAD). */
#define EL_LSTM_GROUP8_DSP                                                                  \
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
#define EL_LSTM_GATE16_DSP(a, off)                                                          \
    "ldrd   %[wa], %[wb], " off "\n\t"                                                      \
    "smlad  %[" a "], %[wa], %[x0], %[" a "]\n\t"                                           \
    "smlad  %[" a "], %[wb], %[x1], %[" a "]\n\t"
#define EL_LSTM_GROUP16_DSP                                                                 \
    "ldrd   %[x0], %[x1], [%[in]], #8\n\t"                                                  \
    EL_LSTM_GATE16_DSP("a0", "[%[w]], #32") EL_LSTM_GATE16_DSP("a1", "[%[w], #-24]")        \
    EL_LSTM_GATE16_DSP("a2", "[%[w], #-16]") EL_LSTM_GATE16_DSP("a3", "[%[w], #-8]")

/* The Armv7-M loop's column group: the widened input read as int16 values (x0..x3, LDRSH),
 * then per gate an int8 word unpacked with SXTB / SXTB ROR #8 / SXTB ROR #16 / ASR #24 (bytes
 * w0, w2, w1, w3) into four MLA, or four int16 weights by LDRSH into four MLA (the first
 * load post-increments the weights by the group's 32 bytes, the others address back). */
#define EL_LSTM_GATE8_V7M(a)                                                                \
    "ldr    %[wv], [%[w]], #4\n\t"                                                           \
    "sxtb   %[t], %[wv]\n\t"                                                                 \
    "mla    %[" a "], %[t], %[x0], %[" a "]\n\t"                                             \
    "sxtb   %[t], %[wv], ror #8\n\t"                                                         \
    "mla    %[" a "], %[t], %[x2], %[" a "]\n\t"                                             \
    "sxtb   %[t], %[wv], ror #16\n\t"                                                        \
    "mla    %[" a "], %[t], %[x1], %[" a "]\n\t"                                             \
    "asr    %[wv], %[wv], #24\n\t"                                                           \
    "mla    %[" a "], %[wv], %[x3], %[" a "]\n\t"
#define EL_LSTM_GATE16_V7M(a, o0, o1, o2, o3)                                               \
    "ldrsh  %[wv], " o0 "\n\t"                                                               \
    "mla    %[" a "], %[wv], %[x0], %[" a "]\n\t"                                             \
    "ldrsh  %[wv], " o1 "\n\t"                                                               \
    "mla    %[" a "], %[wv], %[x1], %[" a "]\n\t"                                             \
    "ldrsh  %[wv], " o2 "\n\t"                                                               \
    "mla    %[" a "], %[wv], %[x2], %[" a "]\n\t"                                             \
    "ldrsh  %[wv], " o3 "\n\t"                                                               \
    "mla    %[" a "], %[wv], %[x3], %[" a "]\n\t"
#define EL_LSTM_INPUT_V7M                                                                   \
    "ldrsh  %[x0], [%[in]], #8\n\t"                                                          \
    "ldrsh  %[x1], [%[in], #-6]\n\t"                                                         \
    "ldrsh  %[x2], [%[in], #-4]\n\t"                                                         \
    "ldrsh  %[x3], [%[in], #-2]\n\t"
#define EL_LSTM_GROUP8_V7M                                                                  \
    EL_LSTM_INPUT_V7M EL_LSTM_GATE8_V7M("a0") EL_LSTM_GATE8_V7M("a1")                       \
    EL_LSTM_GATE8_V7M("a2") EL_LSTM_GATE8_V7M("a3")
#define EL_LSTM_GROUP16_V7M                                                                 \
    EL_LSTM_INPUT_V7M                                                                       \
    EL_LSTM_GATE16_V7M("a0", "[%[w]], #32", "[%[w], #-30]", "[%[w], #-28]", "[%[w], #-26]")  \
    EL_LSTM_GATE16_V7M("a1", "[%[w], #-24]", "[%[w], #-22]", "[%[w], #-20]", "[%[w], #-18]") \
    EL_LSTM_GATE16_V7M("a2", "[%[w], #-16]", "[%[w], #-14]", "[%[w], #-12]", "[%[w], #-10]") \
    EL_LSTM_GATE16_V7M("a3", "[%[w], #-8]", "[%[w], #-6]", "[%[w], #-4]", "[%[w], #-2]")

/* Two column groups per pass; an odd count enters at the second (tests t's bit 0). The DSP
 * loop keeps its end in a register; the Armv7-M loop reads it from the stack (one LDR per
 * two groups) so that 12 registers suffice, as at -O0 where r7 is the frame pointer. Both
 * declare a memory clobber rather than memory operands, which would take registers at -O0. */
#define EL_LSTM_LOOP_DSP(group)                                                             \
    __asm__("tst    %[t], #1\n\t"                                                           \
            "bne    2f\n"                                                                   \
            "1:\n\t" group "2:\n\t" group "cmp    %[in], %[end]\n\t"                        \
            "bne    1b"                                                                     \
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [in] "+r"(in),    \
              [w] "+r"(w), [x0] "=&r"(x0), [x1] "=&r"(x1), [wa] "=&r"(wa), [wb] "=&r"(wb),  \
              [t] "+&r"(t)                                                                  \
            : [end] "r"(end)                                                                \
            : "cc", "memory")
#define EL_LSTM_LOOP_V7M(group)                                                             \
    __asm__("tst    %[t], #1\n\t"                                                           \
            "bne    2f\n"                                                                   \
            "1:\n\t" group "2:\n\t" group "ldr    %[t], %[end]\n\t"                         \
            "cmp    %[in], %[t]\n\t"                                                        \
            "bne    1b"                                                                     \
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [in] "+r"(in),    \
              [w] "+r"(w), [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2), [x3] "=&r"(x3),  \
              [wv] "=&r"(wv), [t] "+&r"(t)                                                  \
            : [end] "m"(end)                                                                \
            : "cc", "memory")

/* acc[g] = init[g] + dot(weights of gate g, input) for the four gates; returns the next
 * weights. wide (a constant at each call) selects the int16 weight storage. groups >= 1. */
EL_INLINE const int32_t *el_lstm_gates_dot(const int32_t *w, const int32_t *in, int32_t groups,
                                           const int32_t init[4], int32_t acc[4], int32_t wide)
{
    int32_t a0 = init[0];
    int32_t a1 = init[1];
    int32_t a2 = init[2];
    int32_t a3 = init[3];
    const int32_t *const end = in + 2 * groups;
#if EL_USE_DSP && defined(__GNUC__)
    int32_t x0;
    int32_t x1;
    int32_t wa;
    int32_t wb;
    int32_t t = groups;
    if (wide) {
        EL_LSTM_LOOP_DSP(EL_LSTM_GROUP16_DSP);
    } else {
        EL_LSTM_LOOP_DSP(EL_LSTM_GROUP8_DSP);
    }
#elif EL_LSTM_V7M_ASM
    int32_t x0;
    int32_t x1;
    int32_t x2;
    int32_t x3;
    int32_t wv;
    int32_t t = groups;
    if (wide) {
        EL_LSTM_LOOP_V7M(EL_LSTM_GROUP16_V7M);
    } else {
        EL_LSTM_LOOP_V7M(EL_LSTM_GROUP8_V7M);
    }
#else
    while (in != end) {
        const int32_t x01 = in[0];
        const int32_t x23 = in[1];
        in += 2;
        if (wide) {
            a0 = el_mac2_s16(el_mac2_s16(a0, w[0], x01), w[1], x23);
            a1 = el_mac2_s16(el_mac2_s16(a1, w[2], x01), w[3], x23);
            a2 = el_mac2_s16(el_mac2_s16(a2, w[4], x01), w[5], x23);
            a3 = el_mac2_s16(el_mac2_s16(a3, w[6], x01), w[7], x23);
            w += 8;
        } else {
            a0 = el_mac4(a0, w[0], x01, x23);
            a1 = el_mac4(a1, w[1], x01, x23);
            a2 = el_mac4(a2, w[2], x01, x23);
            a3 = el_mac4(a3, w[3], x01, x23);
            w += 4;
        }
    }
#endif
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
    return w;
}

/* The widened inputs of a step and their column groups. */
typedef struct {
    const int32_t *x;
    int32_t x_groups;
    const int32_t *h;
    int32_t h_groups;
} el_lstm_inputs;

/* The accumulators of one unit: acc[0..3] the input side of gates i f g o from bias[0..3],
 * acc[4..7] the recurrent side from bias[4..7]; returns the next unit's weights. */
EL_NOINLINE const int32_t *el_lstm_unit_dots(const int32_t *w, const el_lstm_inputs *in,
                                             const int32_t *bias, int32_t acc[8])
{
#if EL_LSTM_ARMV6M
    return el_lstm_unit_dots_armv6m(w, in->x, in->x_groups, in->h, in->h_groups, bias, acc);
#else
    w = el_lstm_gates_dot(w, in->x, in->x_groups, bias, acc, 0);
    return el_lstm_gates_dot(w, in->h, in->h_groups, bias + 4, acc + 4, 0);
#endif
}

#if EL_LSTM_MVE
/* el_lstm_unit_dots() on Helium: in->x and in->h hold el_lstm_pack_s8_mve() copies; the
 * short forms' doubled accumulators come from the sums doubled (shift 1). */
EL_NOINLINE const int32_t *el_lstm_unit_dots_mve1(const int32_t *w, const el_lstm_inputs *in,
                                                  const int32_t *bias, int32_t acc[8])
{
    return el_lstm_unit_dots_mve(w, (const int8_t *)in->x, in->x_groups, (const int8_t *)in->h,
                                 in->h_groups, bias, acc, 0);
}

EL_NOINLINE const int32_t *el_lstm_unit_dots_mve2(const int32_t *w, const el_lstm_inputs *in,
                                                  const int32_t *bias, int32_t acc[8])
{
    return el_lstm_unit_dots_mve(w, (const int8_t *)in->x, in->x_groups, (const int8_t *)in->h,
                                 in->h_groups, bias, acc, 1);
}
#endif

/* el_lstm_unit_dots() for weights stored as int16 pairs. */
EL_NOINLINE const int32_t *el_lstm_unit_dots16(const int32_t *w, const el_lstm_inputs *in,
                                               const int32_t *bias, int32_t acc[8])
{
    w = el_lstm_gates_dot(w, in->x, in->x_groups, bias, acc, 1);
    return el_lstm_gates_dot(w, in->h, in->h_groups, bias + 4, acc + 4, 1);
}

typedef const int32_t *(*el_lstm_unit_dots_fn)(const int32_t *w, const el_lstm_inputs *in,
                                               const int32_t *bias, int32_t acc[8]);

/* The gate sides' requantization form of a layer on the short forms: every side with a right
 * shift (el_mbqm_fast2()), some side with none (el_mbqm_short(), round_neg read per side), or
 * some side with a left shift (the accumulator shifted first). */
#define EL_LSTM_RQ_RIGHT 0
#define EL_LSTM_RQ_NO_SHIFT 1
#define EL_LSTM_RQ_LEFT 2

static int32_t el_lstm_rq_form(const el_lstm_short_rq *q)
{
    int32_t form = EL_LSTM_RQ_RIGHT;
    int32_t g;
    int32_t side;
    for (g = 0; g < 4; g++) {
        for (side = 0; side < 2; side++) {
            if (q->gate[g][side].left > 0) {
                return EL_LSTM_RQ_LEFT;
            }
            if (q->gate[g][side].right == 0) {
                form = EL_LSTM_RQ_NO_SHIFT;
            }
        }
    }
    return form;
}

/* Cores with the DSP extension, short requantization forms: every unit of a step in one
 * assembly routine (GNU syntax, Thumb-2). It computes what el_lstm_unit_dots() and
 * el_lstm_unit_fast() compute, with the same formulas in the same order of roundings (the
 * tests compare its bytes with TFLM's on QEMU), but a unit's eight accumulators go from the
 * dot products to the requantizations in registers, the constants stream in with LDM, and
 * the MAC loops use all 14 registers: LDM of a column group's four weight words (int8: 18
 * instructions per 16 MACs; int16: two LDM of four words, 11 instructions per 16 MACs). The
 * context is copied to the routine's stack frame so that no register holds its address.
 *
 * What varies from layer to layer is chosen once per step, as the addresses the routine
 * jumps to (LDR PC from its frame): the entry of each MAC loop (int8 or int16 weights; an odd
 * count of column groups enters the two-group loop at its second half) and the
 * requantization block (el_lstm_units_rq3 for right shifts >= 1, el_lstm_units_rq3_sat with
 * the gate saturations, el_lstm_units_rq4 when a gate side has no right shift). These
 * labels are global so that C can take their addresses; they are not functions. */
#if EL_USE_DSP && defined(__GNUC__) && defined(__thumb2__)
#define EL_LSTM_UNITS_ASM 1
#else
#define EL_LSTM_UNITS_ASM 0
#endif

#if EL_LSTM_UNITS_ASM
/* What the routine reads; the offsets are fixed in the assembly (checked below). */
typedef struct {
    const int32_t *w;         /*  0: the next unit's weights (advanced) */
    const int32_t *bias;      /*  4: the next unit's input-side biases (advanced) */
    const int32_t *x;         /*  8: widened input */
    const int32_t *x_end;     /* 12 */
    const int32_t *h;         /* 16: widened h(t-1) */
    const int32_t *h_end;     /* 20 */
    int8_t *hidden;           /* 24: h(t), written unit by unit (advanced) */
    int16_t *cell;            /* 28: c, updated in place (advanced) */
    int8_t *hidden_end;       /* 32 */
    const uint32_t *table;    /* 36: el_sigmoid_table_packed */
    const int32_t *k_first;   /* 40: the layer's el_lstm_short_rq, read as words in order */
    int32_t sigmoid_round;    /* 44: 2^24 + 2^9, see el_sigmoid_s16_in32() */
    void (*x_entry)(void);    /* 48: the input side's MAC loop entry */
    void (*h_entry)(void);    /* 52: the recurrent side's */
    void (*rq_entry)(void);   /* 56: the requantization block */
} el_lstm_units_ctx;

typedef char el_lstm_units_ctx_size[(sizeof(el_lstm_units_ctx) == 60) ? 1 : -1];
typedef char el_lstm_short_rq_size[(sizeof(el_lstm_short_rq) == 55 * 4) ? 1 : -1];
typedef char el_lstm_short_rq_gate[(offsetof(el_lstm_short_rq, gate) == 0) ? 1 : -1];
typedef char el_lstm_gate_rq_size[(sizeof(el_gate_rq) == 5 * 4) ? 1 : -1];
typedef char el_lstm_gate_rq_left[(offsetof(el_gate_rq, left) == 0) ? 1 : -1];
typedef char el_lstm_short_rq_hidden[(offsetof(el_lstm_short_rq, hidden) == 49 * 4) ? 1 : -1];
/* read at 14 words past the gate sides by el_lstm_units_rq4 and el_lstm_units_rq5 */
typedef char el_lstm_short_rq_saturate[(offsetof(el_lstm_short_rq, saturate) == 54 * 4) ? 1 : -1];

void el_lstm_units_dsp(const el_lstm_units_ctx *ctx);
void el_lstm_units_xe8(void);
void el_lstm_units_xo8(void);
void el_lstm_units_xe16(void);
void el_lstm_units_xo16(void);
void el_lstm_units_he8(void);
void el_lstm_units_ho8(void);
void el_lstm_units_he16(void);
void el_lstm_units_ho16(void);
void el_lstm_units_rq3(void);
void el_lstm_units_rq3_sat(void);
void el_lstm_units_rq4(void);
void el_lstm_units_rq5(void);

/* Register use. MAC loops: r1-r4 the gates' accumulators, r5 the input (up to lr), r6 the
 * weights, r7 r8 an input pair group, r9-r12 weight words, r0 an unpacked pair. After them:
 * r5-r8 and r1-r4 the input and recurrent sides (then the gates) of i f g o, lr the
 * constant stream, r9-r12 constants and temporaries. The frame holds the context at sp (sp
 * + 16 while the input side's accumulators are pushed). el_rq3 is el_mbqm_fast2() and
 * el_rq4 el_mbqm_short(), both in place; el_sigmoid is el_sigmoid_s16_in32() (table in r12,
 * 2^24 + 2^9 in r11) and el_tanh_of_r5 el_tanh_s16_in32() of the scaled value in r5. */
__asm__(
    ".pushsection .text.el_lstm_units_dsp,\"ax\",%progbits\n"
    ".syntax unified\n"
    ".thumb\n"
    ".p2align 2\n"
    ".macro el_group8\n"
    "  ldrd   r7, r8, [r5], #8\n"
    "  ldm    r6!, {r9, r10, r11, r12}\n"
    "  sxtb16 r0, r9\n"
    "  smlad  r1, r0, r7, r1\n"
    "  sxtb16 r9, r9, ror #8\n"
    "  smlad  r1, r9, r8, r1\n"
    "  sxtb16 r0, r10\n"
    "  smlad  r2, r0, r7, r2\n"
    "  sxtb16 r10, r10, ror #8\n"
    "  smlad  r2, r10, r8, r2\n"
    "  sxtb16 r0, r11\n"
    "  smlad  r3, r0, r7, r3\n"
    "  sxtb16 r11, r11, ror #8\n"
    "  smlad  r3, r11, r8, r3\n"
    "  sxtb16 r0, r12\n"
    "  smlad  r4, r0, r7, r4\n"
    "  sxtb16 r12, r12, ror #8\n"
    "  smlad  r4, r12, r8, r4\n"
    ".endm\n"
    ".macro el_group16\n"
    "  ldrd   r7, r8, [r5], #8\n"
    "  ldm    r6!, {r9, r10, r11, r12}\n"
    "  smlad  r1, r9, r7, r1\n"
    "  smlad  r1, r10, r8, r1\n"
    "  smlad  r2, r11, r7, r2\n"
    "  smlad  r2, r12, r8, r2\n"
    "  ldm    r6!, {r9, r10, r11, r12}\n"
    "  smlad  r3, r9, r7, r3\n"
    "  smlad  r3, r10, r8, r3\n"
    "  smlad  r4, r11, r7, r4\n"
    "  smlad  r4, r12, r8, r4\n"
    ".endm\n"
    ".macro el_rq3 acc\n"
    "  ldm    lr!, {r0, r9, r10, r11, r12}\n"
    "  smmlar r12, \\acc, r9, r10\n"
    "  sub    r12, r12, \\acc, lsr #31\n"
    "  asr    \\acc, r12, r11\n"
    ".endm\n"
    ".macro el_rq4 acc\n"
    "  ldm    lr!, {r0, r9, r10, r11, r12}\n"
    "  smmlar r0, \\acc, r9, r10\n"
    "  and    r12, r12, \\acc, lsr #31\n"
    "  sub    r0, r0, r12\n"
    "  asr    \\acc, r0, r11\n"
    ".endm\n"
    ".macro el_rq5 acc\n"
    "  ldm    lr!, {r0, r9, r10, r11, r12}\n"
    "  lsl    \\acc, \\acc, r0\n"
    "  smmlar r0, \\acc, r9, r10\n"
    "  and    r12, r12, \\acc, lsr #31\n"
    "  sub    r0, r0, r12\n"
    "  asr    \\acc, r0, r11\n"
    ".endm\n"
    ".macro el_sat_sum x, h\n"
    "  ssat   \\x, #16, \\x\n"
    "  ssat   \\h, #16, \\h\n"
    "  add    \\h, \\x, \\h\n"
    "  ssat   \\h, #16, \\h\n"
    ".endm\n"
    ".macro el_sigmoid g\n"
    "  add    r5, \\g, \\g, lsl #1\n"
    "  eor    r6, r5, r5, asr #31\n"
    "  sub    r6, r6, r5, asr #31\n"
    "  lsr    r7, r6, #9\n"
    "  ldr    r7, [r12, r7, lsl #2]\n"
    "  ubfx   r6, r6, #0, #9\n"
    "  orr    r6, r6, #0x2000000\n"
    "  smuad  r7, r7, r6\n"
    "  eor    r7, r7, r5, asr #31\n"
    "  add    r7, r7, r11\n"
    "  asr    \\g, r7, #10\n"
    ".endm\n"
    ".macro el_tanh_of_r5 out\n"
    "  eor    r6, r5, r5, asr #31\n"
    "  sub    r6, r6, r5, asr #31\n"
    "  lsr    r7, r6, #8\n"
    "  usat   r7, #8, r7\n"
    "  ldr    r7, [r12, r7, lsl #2]\n"
    "  uxtb   r6, r6\n"
    "  orr    r6, r6, #0x1000000\n"
    "  smuad  r7, r7, r6\n"
    "  eor    r7, r7, r5, asr #31\n"
    "  add    r7, r7, #128\n"
    "  asr    \\out, r7, #8\n"
    ".endm\n"
    ".macro el_entry name\n"
    ".global \\name\n"
    ".type \\name, %function\n"
    ".thumb_func\n"
    "\\name:\n"
    ".endm\n"
    "  el_entry el_lstm_units_dsp\n"
    "  push   {r4-r11, lr}\n"
    "  add    r1, r0, #48\n"
    "  ldm    r1, {r1, r2, r3}\n"
    "  push   {r1, r2, r3}\n"
    "  ldm    r0, {r1-r12}\n"
    "  push   {r1-r12}\n"
    "0:\n"
    "  ldr    r11, [sp, #4]\n"
    "  ldm    r11!, {r1-r4}\n"
    "  str    r11, [sp, #4]\n"
    "  ldr    r6, [sp, #0]\n"
    "  ldrd   r5, lr, [sp, #8]\n"
    "  ldr    pc, [sp, #48]\n"
    "  el_entry el_lstm_units_xe16\n"
    "  el_group16\n"
    "  el_entry el_lstm_units_xo16\n"
    "  el_group16\n"
    "  cmp    r5, lr\n"
    "  bne    el_lstm_units_xe16\n"
    "  b      1f\n"
    "  el_entry el_lstm_units_xe8\n"
    "  el_group8\n"
    "  el_entry el_lstm_units_xo8\n"
    "  el_group8\n"
    "  cmp    r5, lr\n"
    "  bne    el_lstm_units_xe8\n"
    "1:\n"
    "  push   {r1-r4}\n"
    "  ldr    r11, [sp, #20]\n"
    "  ldm    r11!, {r1-r4}\n"
    "  str    r11, [sp, #20]\n"
    "  ldrd   r5, lr, [sp, #32]\n"
    "  ldr    pc, [sp, #68]\n"
    "  el_entry el_lstm_units_he16\n"
    "  el_group16\n"
    "  el_entry el_lstm_units_ho16\n"
    "  el_group16\n"
    "  cmp    r5, lr\n"
    "  bne    el_lstm_units_he16\n"
    "  b      2f\n"
    "  el_entry el_lstm_units_he8\n"
    "  el_group8\n"
    "  el_entry el_lstm_units_ho8\n"
    "  el_group8\n"
    "  cmp    r5, lr\n"
    "  bne    el_lstm_units_he8\n"
    "2:\n"
    "  str    r6, [sp, #16]\n"
    "  pop    {r5-r8}\n"
    "  ldr    lr, [sp, #40]\n"
    "  ldr    pc, [sp, #56]\n"
    "  el_entry el_lstm_units_rq5\n"
    "  el_rq5 r5\n"
    "  el_rq5 r1\n"
    "  el_rq5 r6\n"
    "  el_rq5 r2\n"
    "  el_rq5 r7\n"
    "  el_rq5 r3\n"
    "  el_rq5 r8\n"
    "  el_rq5 r4\n"
    "  b      7f\n"
    "  el_entry el_lstm_units_rq4\n"
    "  el_rq4 r5\n"
    "  el_rq4 r1\n"
    "  el_rq4 r6\n"
    "  el_rq4 r2\n"
    "  el_rq4 r7\n"
    "  el_rq4 r3\n"
    "  el_rq4 r8\n"
    "  el_rq4 r4\n"
    "7:\n"
    "  ldr    r0, [lr, #56]\n"
    "  cmp    r0, #0\n"
    "  bne    3f\n"
    "  b      4f\n"
    "  el_entry el_lstm_units_rq3_sat\n"
    "  el_rq3 r5\n"
    "  el_rq3 r1\n"
    "  el_rq3 r6\n"
    "  el_rq3 r2\n"
    "  el_rq3 r7\n"
    "  el_rq3 r3\n"
    "  el_rq3 r8\n"
    "  el_rq3 r4\n"
    "3:\n"
    "  el_sat_sum r5, r1\n"
    "  el_sat_sum r6, r2\n"
    "  el_sat_sum r7, r3\n"
    "  el_sat_sum r8, r4\n"
    "  b      5f\n"
    "  el_entry el_lstm_units_rq3\n"
    "  el_rq3 r5\n"
    "  el_rq3 r1\n"
    "  el_rq3 r6\n"
    "  el_rq3 r2\n"
    "  el_rq3 r7\n"
    "  el_rq3 r3\n"
    "  el_rq3 r8\n"
    "  el_rq3 r4\n"
    "4:\n"
    "  add    r1, r5, r1\n"
    "  add    r2, r6, r2\n"
    "  add    r3, r7, r3\n"
    "  add    r4, r8, r4\n"
    "5:\n"
    "  ldr    r12, [sp, #36]\n"
    "  ldr    r11, [sp, #44]\n"
    "  el_sigmoid r1\n"
    "  el_sigmoid r2\n"
    "  el_sigmoid r4\n"
    "  add    r5, r3, r3, lsl #1\n"
    "  el_tanh_of_r5 r3\n"
    "  ldr    r5, [sp, #28]\n"
    "  ldrsh  r6, [r5]\n"
    "  mul    r6, r2, r6\n"
    "  ldm    lr!, {r7, r8, r9, r10}\n"
    "  add    r2, r6, r7\n"
    "  sub    r2, r2, r6, lsr #31\n"
    "  sub    r2, r2, r6, lsr #31\n"
    "  asr    r2, r2, r8\n"
    "  ssat   r2, #16, r2\n"
    "  mul    r6, r1, r3\n"
    "  add    r1, r6, r9\n"
    "  sub    r1, r1, r6, lsr #31\n"
    "  sub    r1, r1, r6, lsr #31\n"
    "  asr    r1, r1, r10\n"
    "  ssat   r1, #16, r1\n"
    "  add    r1, r1, r2\n"
    "  ssat   r1, #16, r1\n"
    "  ldm    lr!, {r7, r8}\n"
    "  cmn    r7, #32768\n"
    "  beq    6f\n"
    "  cmp    r1, r7\n"
    "  it     lt\n"
    "  movlt  r1, r7\n"
    "  cmp    r1, r8\n"
    "  it     gt\n"
    "  movgt  r1, r8\n"
    "6:\n"
    "  strh   r1, [r5], #2\n"
    "  str    r5, [sp, #28]\n"
    "  ldm    lr!, {r7, r8, r9}\n"
    "  mla    r5, r1, r7, r8\n"
    "  asr    r5, r5, r9\n"
    "  el_tanh_of_r5 r7\n"
    "  mul    r4, r4, r7\n"
    "  lsl    r4, r4, #1\n"
    "  ldm    lr!, {r7, r8, r9, r10, r11}\n"
    "  smmlar r5, r4, r7, r8\n"
    "  sub    r5, r5, r4, lsr #31\n"
    "  asr    r5, r5, r9\n"
    "  add    r5, r5, r11\n"
    "  ssat   r5, #8, r5\n"
    "  ldr    r6, [sp, #24]\n"
    "  strb   r5, [r6], #1\n"
    "  str    r6, [sp, #24]\n"
    "  ldr    r7, [sp, #32]\n"
    "  cmp    r6, r7\n"
    "  bne    0b\n"
    "  add    sp, sp, #60\n"
    "  pop    {r4-r11, pc}\n"
    ".size el_lstm_units_dsp, .-el_lstm_units_dsp\n"
    ".popsection\n"
    ".purgem el_group8\n"
    ".purgem el_group16\n"
    ".purgem el_rq3\n"
    ".purgem el_rq4\n"
    ".purgem el_rq5\n"
    ".purgem el_sat_sum\n"
    ".purgem el_sigmoid\n"
    ".purgem el_tanh_of_r5\n"
    ".purgem el_entry\n");

/* Fills the routine's context for one step and runs it. */
static void el_lstm_units_run(const el_lstm_s8_params *params, const el_lstm_inputs *in,
                              int8_t *hidden, int16_t *cell)
{
    const el_lstm_short_rq *q = params->short_rq;
    const int32_t wide = (params->weight_bits == 16);
    const int32_t x_odd = in->x_groups & 1;
    const int32_t h_odd = in->h_groups & 1;
    const int32_t form = el_lstm_rq_form(q);
    el_lstm_units_ctx ctx;
    ctx.w = params->weights;
    ctx.bias = params->bias;
    ctx.x = in->x;
    ctx.x_end = in->x + 2 * in->x_groups;
    ctx.h = in->h;
    ctx.h_end = in->h + 2 * in->h_groups;
    ctx.hidden = hidden;
    ctx.cell = cell;
    ctx.hidden_end = hidden + params->hidden_size;
    ctx.table = el_sigmoid_table_packed;
    ctx.k_first = &q->gate[0][0].left;
    ctx.sigmoid_round = (1 << 24) + (1 << 9);
    if (wide) {
        ctx.x_entry = x_odd ? el_lstm_units_xo16 : el_lstm_units_xe16;
        ctx.h_entry = h_odd ? el_lstm_units_ho16 : el_lstm_units_he16;
    } else {
        ctx.x_entry = x_odd ? el_lstm_units_xo8 : el_lstm_units_xe8;
        ctx.h_entry = h_odd ? el_lstm_units_ho8 : el_lstm_units_he8;
    }
    ctx.rq_entry = (form == EL_LSTM_RQ_LEFT)       ? el_lstm_units_rq5
                   : (form == EL_LSTM_RQ_NO_SHIFT) ? el_lstm_units_rq4
                   : (q->saturate ? el_lstm_units_rq3_sat : el_lstm_units_rq3);
    el_lstm_units_dsp(&ctx);
}
#endif

/* The gates, cell and hidden value of one unit with the short requantization forms, from
 * doubled accumulators (see el_mbqm_fast2()). sat and form are constants at each call:
 * sat 0 for layers whose gate sides and sums provably stay in the int16 range
 * (gates_in_range), where the three saturations of a gate change nothing; form
 * EL_LSTM_RQ_NO_SHIFT when a gate side has no right shift (el_mbqm_short()'s round_neg is
 * then read per side), EL_LSTM_RQ_LEFT when one has a left shift (the doubled accumulator is
 * shifted first; the generator proved it fits). */
EL_INLINE int32_t el_lstm_unit_fast(const el_lstm_short_rq *q, const int32_t accx[4],
                                    const int32_t acch[4], int16_t *cell, int32_t sat,
                                    int32_t form)
{
    int32_t gate[4];
    int32_t c;
    int32_t h;
#define EL_LSTM_SIDE(acc, rq)                                                               \
    el_mbqm_short((form == EL_LSTM_RQ_LEFT) ? (int32_t)((uint32_t)(acc) << (rq).left) : (acc),   \
                  (rq).multiplier, (rq).half, (rq).right,                                   \
                  (form != EL_LSTM_RQ_RIGHT) ? (rq).round_neg : 1)
#define EL_LSTM_GATE(g)                                                                     \
    do {                                                                                    \
        const int32_t sx = EL_LSTM_SIDE(accx[g], q->gate[g][0]);                            \
        const int32_t sh = EL_LSTM_SIDE(acch[g], q->gate[g][1]);                            \
        gate[g] = sat ? el_sat16(el_sat16(sx) + el_sat16(sh)) : sx + sh;                     \
    } while (0)
    EL_LSTM_GATE(0);
    EL_LSTM_GATE(1);
    EL_LSTM_GATE(2);
    EL_LSTM_GATE(3);
#undef EL_LSTM_GATE
    {
        const int32_t gi = el_sigmoid_s16_in32(gate[0]);
        const int32_t gf = el_sigmoid_s16_in32(gate[1]);
        const int32_t gg = el_tanh_s16_in32(gate[2], 3, 0, 0);
        const int32_t go = el_sigmoid_s16_in32(gate[3]);
        const int32_t kept = el_sat16(el_mbqm_pow2(gf * *cell, q->kept_add, q->kept_s1));
        const int32_t added = el_sat16(el_mbqm_pow2(gi * gg, q->added_add, q->added_s1));
        c = el_clamp(el_sat16(kept + added), q->cell_lo, q->cell_hi);
        *cell = (int16_t)c;
        h = el_tanh_s16_in32(c, q->tanh_multiplier, q->tanh_shift, q->tanh_round);
        h = q->hidden_zero_point + el_mbqm_fast2(el_shl(h * go, 1), q->hidden.multiplier,
                                                 q->hidden.right, q->hidden.half);
        return el_sat8(h);
    }
#undef EL_LSTM_SIDE
}

el_status el_lstm_s8_step(const el_lstm_s8_params *params, const int8_t *input, int8_t *hidden,
                          int16_t *cell, int32_t *scratch)
{
    const int32_t in_groups = (params->input_size + 3) >> 2;
    const int32_t rec_groups = (params->hidden_size + 3) >> 2;
    int32_t *const x_wide = scratch;
    int32_t *const h_wide = scratch + 2 * in_groups;
    const int32_t *w = params->weights;
    const int32_t *bias = params->bias;
    const int32_t zp_h = params->hidden_zero_point;
    const int32_t clip = params->cell_clip;
    el_lstm_unit_dots_fn unit_dots =
        (params->weight_bits == 16) ? el_lstm_unit_dots16 : el_lstm_unit_dots;
    el_lstm_inputs in;
    int32_t j;

    if (params->input_size <= 0 || params->hidden_size <= 0 ||
        (params->weight_bits != 8 && params->weight_bits != 16) ||
        (params->shift_only && params->short_rq == 0)) {
        return EL_STATUS_ARG_ERROR;
    }
    /* The short forms take twice the accumulator: doubled inputs (and biases, doubled by
     * the generator) give it without a shift per gate. */
#if EL_LSTM_MVE
    if (params->weight_bits == 8) {
        el_lstm_pack_s8_mve(input, params->input_size, (int8_t *)x_wide);
        el_lstm_pack_s8_mve(hidden, params->hidden_size, (int8_t *)h_wide);
        unit_dots = params->shift_only ? el_lstm_unit_dots_mve2 : el_lstm_unit_dots_mve1;
    } else
#endif
    {
        el_widen_s8_shl(input, params->input_size, x_wide, params->shift_only);
        el_widen_s8_shl(hidden, params->hidden_size, h_wide, params->shift_only);
    }
    in.x = x_wide;
    in.x_groups = in_groups;
    in.h = h_wide;
    in.h_groups = rec_groups;

    if (params->shift_only) {
#if EL_LSTM_UNITS_ASM
        if (!EL_LSTM_MVE || params->weight_bits != 8) {
            el_lstm_units_run(params, &in, hidden, cell);
            return EL_STATUS_SUCCESS;
        }
#endif
#if !EL_LSTM_UNITS_ASM || EL_LSTM_MVE
        const el_lstm_short_rq *q = params->short_rq;
        const int32_t form = el_lstm_rq_form(q);
        /* saturating is exact with or without the gate range proof */
        if (form == EL_LSTM_RQ_LEFT) {
            for (j = 0; j < params->hidden_size; j++, bias += 8) {
                int32_t acc[8];
                w = unit_dots(w, &in, bias, acc);
                hidden[j] = (int8_t)el_lstm_unit_fast(q, acc, acc + 4, &cell[j], 1, EL_LSTM_RQ_LEFT);
            }
            return EL_STATUS_SUCCESS;
        }
        if (form == EL_LSTM_RQ_NO_SHIFT) {
            for (j = 0; j < params->hidden_size; j++, bias += 8) {
                int32_t acc[8];
                w = unit_dots(w, &in, bias, acc);
                hidden[j] =
                    (int8_t)el_lstm_unit_fast(q, acc, acc + 4, &cell[j], 1, EL_LSTM_RQ_NO_SHIFT);
            }
            return EL_STATUS_SUCCESS;
        }
        if (q->saturate == 0) {
            for (j = 0; j < params->hidden_size; j++, bias += 8) {
                int32_t acc[8];
                w = unit_dots(w, &in, bias, acc);
                hidden[j] = (int8_t)el_lstm_unit_fast(q, acc, acc + 4, &cell[j], 0, EL_LSTM_RQ_RIGHT);
            }
            return EL_STATUS_SUCCESS;
        }
        for (j = 0; j < params->hidden_size; j++, bias += 8) {
            int32_t acc[8];
            w = unit_dots(w, &in, bias, acc);
            hidden[j] = (int8_t)el_lstm_unit_fast(q, acc, acc + 4, &cell[j], 1, EL_LSTM_RQ_RIGHT);
        }
        return EL_STATUS_SUCCESS;
#endif
    }

    for (j = 0; j < params->hidden_size; j++, bias += 8) {
        int32_t acc[8];
        int32_t gate[4];
        int32_t g;
        int32_t c;
        int32_t h;

        w = unit_dots(w, &in, bias, acc);
        for (g = 0; g < 4; g++) {
            gate[g] = el_sat16(el_mbqm(acc[g], params->input_rq[g].multiplier,
                                       params->input_rq[g].shift));
        }
        for (g = 0; g < 4; g++) {
            gate[g] = el_sat16(gate[g] + el_sat16(el_mbqm(acc[g + 4], params->recurrent_rq[g].multiplier,
                                                          params->recurrent_rq[g].shift)));
        }

        {
            const int32_t gi = el_sigmoid_s16_one((int16_t)gate[0]);
            const int32_t gf = el_sigmoid_s16_one((int16_t)gate[1]);
            const int32_t gg = el_tanh_s16_one((int16_t)gate[2], 3, 0);
            const int32_t go = el_sigmoid_s16_one((int16_t)gate[3]);
            const int32_t kept = el_sat16(el_mbqm(gf * cell[j], params->forget_cell_rq.multiplier,
                                                  params->forget_cell_rq.shift));
            const int32_t added = el_sat16(el_mbqm(gi * gg, params->input_gate_rq.multiplier,
                                                   params->input_gate_rq.shift));
            c = el_sat16(kept + added);
            if (clip >= 0) {
                c = el_clamp(c, -clip, clip);
            }
            cell[j] = (int16_t)c;
            h = el_tanh_s16_one((int16_t)c, params->cell_tanh_multiplier, params->cell_tanh_shift);
            h = zp_h + el_mbqm(h * go, params->hidden_rq.multiplier, params->hidden_rq.shift);
            hidden[j] = (int8_t)el_clamp(h, -128, 127);
        }
    }
    return EL_STATUS_SUCCESS;
}
