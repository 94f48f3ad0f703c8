/*
 * The streaming contract of a whole-sequence model (el_graph.h), on the host: el_model_output()
 * before EL_MODEL_TIMESTEPS steps returns -3, a step past them -2, and once all steps are in
 * the output equals el_model_invoke()'s, also when asked twice. Reads one input sequence from
 * argv[1]; prints "ok" and exits 0, or names the broken rule and exits 1.
 */
#include <stdio.h>
#include <string.h>

#include "model.h"

int main(int argc, char **argv)
{
    static int8_t in[EL_MODEL_INPUT_BYTES];
    static int8_t want[EL_MODEL_OUTPUT_BYTES];
    static int8_t got[EL_MODEL_OUTPUT_BYTES];
    FILE *fin;
    int t;

    if (argc != 2 || (fin = fopen(argv[1], "rb")) == NULL ||
        fread(in, 1, sizeof(in), fin) != sizeof(in)) {
        fprintf(stderr, "usage: %s one_sequence.bin\n", argv[0]);
        return 2;
    }
    fclose(fin);
    if (el_model_init() != 0 || el_model_invoke(in, want) != 0) {
        puts("init or invoke failed");
        return 1;
    }
    el_model_reset();
    if (el_model_output(got) != -3) {
        puts("output before any step is not -3");
        return 1;
    }
    for (t = 0; t < EL_MODEL_TIMESTEPS; t++) {
        if (t == EL_MODEL_TIMESTEPS - 1 && el_model_output(got) != -3) {
            puts("output one step short is not -3");
            return 1;
        }
        if (el_model_step(in + t * EL_MODEL_FEATURES) != 0) {
            puts("a step failed");
            return 1;
        }
    }
    if (el_model_step(in) != -2) {
        puts("a step past EL_MODEL_TIMESTEPS is not -2");
        return 1;
    }
    if (el_model_output(got) != 0 || memcmp(got, want, sizeof(want)) != 0) {
        puts("the streamed output differs from invoke's");
        return 1;
    }
    memset(got, 0, sizeof(got));
    if (el_model_output(got) != 0 || memcmp(got, want, sizeof(want)) != 0) {
        puts("a second output differs");
        return 1;
    }
    puts("ok");
    return 0;
}
