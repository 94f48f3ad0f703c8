/*
 * Runs the generated model on EL_TEST_COUNT embedded input sequences (inputs.h, written by
 * the test), prints each output as one line of hex on UART0, then "TICKS <n>": timer ticks
 * of the first el_model_invoke() (under QEMU -icount shift=0 one tick is 40 instructions).
 */
#include <stdint.h>

#include "inputs.h"
#include "model.h"
#include "mps2.h"

int main(void)
{
    static int8_t out[EL_MODEL_OUTPUT_BYTES];
    uint32_t first_ticks = 0u;
    int i;
    int j;

    if (el_model_init() != 0) {
        return 3;
    }
    for (i = 0; i < EL_TEST_COUNT; i++) {
        const uint32_t t0 = MPS2_TIMER0_VALUE;
        const int status = el_model_invoke(el_test_inputs[i], out);
        const uint32_t t1 = MPS2_TIMER0_VALUE;
        if (status != 0) {
            return 4;
        }
        if (i == 0) {
            first_ticks = t0 - t1;
        }
        for (j = 0; j < EL_MODEL_OUTPUT_BYTES; j++) {
            mps2_put_hex8((uint8_t)out[j]);
        }
        mps2_putc('\n');
    }
    mps2_puts("TICKS ");
    mps2_put_u32(first_ticks);
    mps2_putc('\n');
    return 0;
}
