/**
 * @file el_lstm_units_armv6m.c
 * @brief The gate dot products of one LSTM unit on Armv6-M (Cortex-M0/M0+), int8 weights.
 *
 * Armv6-M has neither SMLAD nor SXTB16 nor a 32 x 32 -> 64 multiply, and Thumb-1 data
 * processing reaches only r0-r7. The portable C loop spends about 13 instructions per MAC
 * there (the compiler spills the accumulators and re-extends every input). This routine
 * keeps the four gate accumulators in r8-r11, which ADD reaches from a low register, so
 * that the eight low registers hold exactly what the inner loop touches: the weight and
 * input pointers, the four unpacked inputs of a column group, the weight word and one
 * product. A column group of one gate (four MACs) is then one LDM, six byte extractions
 * (SXTB and ASRS #8 down the word), four MULS and four ADD: 15 instructions, plus 5 per
 * group to unpack the inputs for all four gates.
 *
 * Weights are the layer's int8 words (bytes w0, w2, w1, w3 of four columns, see
 * el_lstm_s8_params); the inputs are the int16 pairs (x0, x1), (x2, x3) that
 * el_lstm_s8_step() widens once per step. The sums are exact int32 sums of the same products
 * as the C loop (integer addition is associative), so the results are bit-identical.
 */
#include <stdint.h>

#if defined(__GNUC__) && defined(__ARM_ARCH_6M__)

/**
 * @brief acc[g] += dot(weights of gate g, input columns) for the gates i, f, g, o.
 * @param[in]     w    the unit's weight words for these columns (4 per column group)
 * @param[in]     in   widened inputs, 2 words per column group
 * @param[in]     end  in + 2 * groups, groups >= 1
 * @param[in,out] acc  the four accumulators (initialised by the caller)
 * @return the weights after these column groups
 */
const int32_t *el_lstm_gates_dot_armv6m(const int32_t *w, const int32_t *in,
                                        const int32_t *end, int32_t acc[4]);

/* Register use in the loop: r0 weights, r1 inputs (up to r12), r2-r5 the inputs x0, x1, x2,
 * x3 of a column group, r6 the weight word (shifted down byte by byte), r7 a product,
 * r8-r11 the accumulators of gates i, f, g, o. Byte k of the word is column 0, 2, 1, 3. */
__asm__(".pushsection .text.el_lstm_gates_dot_armv6m,\"ax\",%progbits\n"
        ".syntax unified\n"
        ".thumb\n"
        ".p2align 2\n"
        ".macro el_gate6m acc\n"
        "  ldm    r0!, {r6}\n"
        "  sxtb   r7, r6\n"
        "  muls   r7, r2, r7\n"
        "  add    \\acc, r7\n"
        "  asrs   r6, r6, #8\n"
        "  sxtb   r7, r6\n"
        "  muls   r7, r4, r7\n"
        "  add    \\acc, r7\n"
        "  asrs   r6, r6, #8\n"
        "  sxtb   r7, r6\n"
        "  muls   r7, r3, r7\n"
        "  add    \\acc, r7\n"
        "  asrs   r6, r6, #8\n"
        "  muls   r6, r5, r6\n"
        "  add    \\acc, r6\n"
        ".endm\n"
        ".global el_lstm_gates_dot_armv6m\n"
        ".type el_lstm_gates_dot_armv6m, %function\n"
        ".thumb_func\n"
        "el_lstm_gates_dot_armv6m:\n"
        "  push   {r4-r7, lr}\n"
        "  mov    r4, r8\n"
        "  mov    r5, r9\n"
        "  mov    r6, r10\n"
        "  mov    r7, r11\n"
        "  push   {r3-r7}\n"
        "  mov    r12, r2\n"
        "  ldm    r3!, {r4-r7}\n"
        "  mov    r8, r4\n"
        "  mov    r9, r5\n"
        "  mov    r10, r6\n"
        "  mov    r11, r7\n"
        "1:\n"
        "  ldm    r1!, {r3, r5}\n"
        "  sxth   r2, r3\n"
        "  asrs   r3, r3, #16\n"
        "  sxth   r4, r5\n"
        "  asrs   r5, r5, #16\n"
        "  el_gate6m r8\n"
        "  el_gate6m r9\n"
        "  el_gate6m r10\n"
        "  el_gate6m r11\n"
        "  cmp    r1, r12\n"
        "  bne    1b\n"
        "  pop    {r3}\n"
        "  mov    r4, r8\n"
        "  mov    r5, r9\n"
        "  mov    r6, r10\n"
        "  mov    r7, r11\n"
        "  stm    r3!, {r4-r7}\n"
        "  pop    {r4-r7}\n"
        "  mov    r8, r4\n"
        "  mov    r9, r5\n"
        "  mov    r10, r6\n"
        "  mov    r11, r7\n"
        "  pop    {r4-r7, pc}\n"
        ".size el_lstm_gates_dot_armv6m, .-el_lstm_gates_dot_armv6m\n"
        ".purgem el_gate6m\n"
        ".popsection\n");

/**
 * @brief The eight accumulators of one unit: acc[0..3] = bias[0..3] + the input side of the
 *        gates i, f, g, o, acc[4..7] = bias[4..7] + the recurrent side.
 * @param[in]  w         the unit's weight words
 * @param[in]  x         widened input, x_groups column groups
 * @param[in]  x_groups  >= 1
 * @param[in]  h         widened h(t-1), h_groups column groups
 * @param[in]  h_groups  >= 1
 * @param[in]  bias      the unit's eight biases
 * @param[out] acc       the eight accumulators
 * @return the next unit's weights
 */
const int32_t *el_lstm_unit_dots_armv6m(const int32_t *w, const int32_t *x, int32_t x_groups,
                                        const int32_t *h, int32_t h_groups, const int32_t *bias,
                                        int32_t acc[8])
{
    int32_t k;
    for (k = 0; k < 8; k++) {
        acc[k] = bias[k];
    }
    w = el_lstm_gates_dot_armv6m(w, x, x + 2 * x_groups, acc);
    return el_lstm_gates_dot_armv6m(w, h, h + 2 * h_groups, acc + 4);
}

#else
/* Other targets: nothing here (ISO C wants a declaration in every translation unit). */
typedef int el_lstm_units_armv6m_unused;
#endif
