/*
 * Host test driver for a generated native model: reads N whole input sequences
 * (N * EL_MODEL_INPUT_BYTES int8 bytes) from argv[1] and writes for each one
 * el_model_invoke()'s output, then the output of EL_MODEL_TIMESTEPS el_model_step() calls
 * followed by el_model_output(), to argv[2]. Exit status 0 when every call returned 0.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "model.h"

int main(int argc, char **argv)
{
    static int8_t in[EL_MODEL_INPUT_BYTES];
    static int8_t out[EL_MODEL_OUTPUT_BYTES];
    FILE *fin;
    FILE *fout;
    int status = 0;
    long count = 0;

    if (argc != 3) {
        fprintf(stderr, "usage: %s inputs.bin outputs.bin\n", argv[0]);
        return 2;
    }
    fin = fopen(argv[1], "rb");
    fout = fopen(argv[2], "wb");
    if (fin == NULL || fout == NULL) {
        fprintf(stderr, "cannot open files\n");
        return 2;
    }
    if (el_model_init() != 0 || strcmp(el_model_runtime, "native") != 0) {
        fprintf(stderr, "el_model_init failed\n");
        return 3;
    }
    while (fread(in, 1, sizeof(in), fin) == sizeof(in)) {
        int t;
        status |= el_model_invoke(in, out);
        fwrite(out, 1, sizeof(out), fout);
        el_model_reset();
        for (t = 0; t < EL_MODEL_TIMESTEPS; t++) {
            status |= el_model_step(in + t * EL_MODEL_FEATURES);
        }
        status |= el_model_output(out);
        fwrite(out, 1, sizeof(out), fout);
        count++;
    }
    fclose(fin);
    fclose(fout);
    fprintf(stderr, "%ld sequences, ram %lu bytes\n", count, (unsigned long)el_model_ram_bytes());
    return status == 0 ? 0 : 1;
}
