/**
 * @file el_gru_tflm.cc
 * @brief TFLite Micro kernel of edge-lstm's EL_GRU and EL_SIMPLE_RNN custom ops.
 *
 * The op (written by quantize/custom_recurrent.py) has inputs 0 x int8 [1, T, I], 1 W int8
 * [G*H, I] and 2 U int8 [G*H, H] (per-row scales), 3 input bias int32 [G*H], 4 recurrent bias
 * int32 [G*H], 5 the state h int8 [1, H] (a variable tensor: TFLM's Reset() sets it to its zero
 * point, real 0), and output int8 [1, T, H] or [1, H]; its flexbuffer options are version,
 * kind, reset_after, return_sequences and candidate_power.
 *
 * Init parses the options into the op data. Prepare derives the integer constants of
 * docs/integer_gru.md from the tensors' float32 scales, with the same float64 products as
 * quantize/gru_params.py gru_params() (so they are the same integers), into one persistent
 * buffer, and asks for the step function's scratch. Eval runs el_gru_s8_step(), the native
 * engine's C step, once per time step: one copy of the arithmetic for both runtimes.
 *
 * Arena use (quantize/arena.py replays it, in this order): Init, the op data (one persistent
 * buffer); Prepare, the seven tensors as temporaries (inputs 0..5, then the output), released
 * before one persistent buffer of the constants is taken (W and U in el_gru_s8's packed layout,
 * 4 G H4 (ceil(I/4) + ceil(H/4)) bytes with H4 = 4 ceil(H/4), then G H x (2 el_requant + 2
 * int32)), then one scratch request of el_gru_s8_buffer_size() bytes. The packed weights are
 * the price of sharing the step function: TFLM keeps the flatbuffer's row-major weights in
 * flash, the step function reads four rows per pass, so they are repacked into the arena.
 */
#include "el_gru_tflm.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "el_gru_s8.h"
#include "flatbuffers/flexbuffers.h"
#include "tensorflow/lite/c/common.h"
#include "tensorflow/lite/micro/kernels/kernel_util.h"
#include "tensorflow/lite/micro/micro_context.h"

namespace {

/* Operator input slots (quantize/custom_recurrent.py). */
constexpr int kInput = 0;
constexpr int kInputWeights = 1;
constexpr int kRecurrentWeights = 2;
constexpr int kInputBias = 3;
constexpr int kRecurrentBias = 4;
constexpr int kState = 5;
constexpr int kInputCount = 6;
constexpr int kOptionsVersion = 1;
/* Gate pre-activations are Q3.12, sigmoid and tanh outputs Q0.15 (docs/integer_gru.md). */
constexpr int kPreactPower = -12;
constexpr int kGateOutPower = -15;

/** What Init parsed and Prepare derived; the op's user data. */
struct ElRecurrentOpData {
    el_gru_s8_params params;
    int32_t options_ok;       /* 1 when the options are of this kernel's version and kind */
    int32_t return_sequences; /* 1: output every step ([1, T, H]), 0: the last ([1, H]) */
    int32_t candidate_power;  /* p: the n rows' recurrent part at 2^p (reset_after GRU) */
    int scratch_index;        /* el_gru_s8_step()'s scratch, requested in Prepare */
};

/**
 * QuantizeMultiplier written from its definition (docs/integer_gru.md notation): real =
 * multiplier x 2^(shift - 31), multiplier in [2^30, 2^31), rounding half away from zero;
 * 0 for 0 and for values below 2^-32. quantize/fixedpoint.py quantize_multiplier() is the
 * same function on the same float64 input.
 */
el_requant QuantizeReal(double real)
{
    el_requant rq = {0, 0};
    if (real == 0.0) {
        return rq;
    }
    int exponent = 0;
    const double fraction = frexp(real, &exponent);
    int64_t fixed = (int64_t)round(fraction * 2147483648.0);
    if (fixed == ((int64_t)1 << 31)) {
        fixed /= 2;
        exponent += 1;
    }
    if (exponent < -31) {
        return rq;
    }
    rq.multiplier = (int32_t)fixed;
    rq.shift = exponent;
    return rq;
}

/** The scale of row j of a per-row (or per-tensor) quantized tensor. */
float RowScale(const TfLiteTensor *t, int j)
{
    const TfLiteAffineQuantization *q =
        static_cast<const TfLiteAffineQuantization *>(t->quantization.params);
    if (q == nullptr || q->scale == nullptr || q->scale->size == 0) {
        return 0.0f;
    }
    return q->scale->data[q->scale->size == 1 ? 0 : j];
}

void *Init(TfLiteContext *context, const char *buffer, size_t length, const char *kind)
{
    void *data = context->AllocatePersistentBuffer(context, sizeof(ElRecurrentOpData));
    if (data == nullptr) {
        return nullptr;
    }
    ElRecurrentOpData *op = static_cast<ElRecurrentOpData *>(data);
    memset(op, 0, sizeof(*op));
    if (buffer == nullptr || length == 0) {
        return op; /* options_ok stays 0: Prepare refuses the op */
    }
    const flexbuffers::Map m =
        flexbuffers::GetRoot(reinterpret_cast<const uint8_t *>(buffer), length).AsMap();
    const int version = m["version"].AsInt32();
    const bool same_kind = strcmp(m["kind"].AsString().c_str(), kind) == 0;
    op->options_ok = version == kOptionsVersion && same_kind;
    op->params.kind = strcmp(kind, "gru") == 0 ? EL_GRU_KIND_GRU : EL_GRU_KIND_SIMPLE_RNN;
    op->params.reset_after = m["reset_after"].AsBool() ? 1 : 0;
    op->return_sequences = m["return_sequences"].AsBool() ? 1 : 0;
    op->candidate_power = m["candidate_power"].IsNull() ? kPreactPower
                                                        : m["candidate_power"].AsInt32();
    return op;
}

void *InitGru(TfLiteContext *context, const char *buffer, size_t length)
{
    return Init(context, buffer, length, "gru");
}

void *InitSimpleRnn(TfLiteContext *context, const char *buffer, size_t length)
{
    return Init(context, buffer, length, "simple_rnn");
}

int32_t Elements(const TfLiteTensor *t)
{
    int32_t n = 1;
    for (int i = 0; i < t->dims->size; i++) {
        n *= t->dims->data[i];
    }
    return n;
}

/** Words of a matrix packed for el_gru_s8: rows padded to H4 per gate, columns to groups of 4. */
size_t PackedWords(int32_t gates, int32_t hidden, int32_t columns)
{
    return static_cast<size_t>(gates) * 4 * ((hidden + 3) / 4) * ((columns + 3) / 4);
}

/**
 * A row-major int8 [gates * hidden][columns] matrix in el_gru_s8's packed layout (el_gru_s8.h):
 * per block of four rows of a gate and per group of four columns, one word per row holding
 * the weights of columns c, c+2, c+1, c+3 in bytes 0..3; padding rows and columns are zero.
 */
void Pack(const int8_t *w, int32_t gates, int32_t hidden, int32_t columns, int32_t *out)
{
    const int32_t blocks = (hidden + 3) / 4;
    const int32_t groups = (columns + 3) / 4;
    static const int kByteOfColumn[4] = {0, 2, 1, 3}; /* column c + k goes to byte kByte[k] */
    for (int32_t g = 0; g < gates; g++) {
        for (int32_t b = 0; b < blocks; b++) {
            for (int32_t c = 0; c < groups; c++) {
                for (int32_t r = 0; r < 4; r++) {
                    const int32_t row = 4 * b + r;
                    uint32_t word = 0;
                    for (int32_t k = 0; k < 4; k++) {
                        const int32_t col = 4 * c + k;
                        if (row < hidden && col < columns) {
                            const uint8_t v =
                                static_cast<uint8_t>(w[(g * hidden + row) * columns + col]);
                            word |= static_cast<uint32_t>(v) << (8 * kByteOfColumn[k]);
                        }
                    }
                    const size_t at = ((static_cast<size_t>(g) * blocks + b) * groups + c) * 4 + r;
                    memcpy(&out[at], &word, sizeof(word));
                }
            }
        }
    }
}

/** The figures Prepare reads from the temporary tensors before releasing them. */
struct Shapes {
    int32_t steps, inputs, hidden, rows;
    float input_scale, hidden_scale, output_scale;
    int32_t input_zp, hidden_zp, output_zp;
};

TfLiteStatus Prepare(TfLiteContext *context, TfLiteNode *node)
{
    ElRecurrentOpData *op = static_cast<ElRecurrentOpData *>(node->user_data);
    TF_LITE_ENSURE(context, op != nullptr && op->options_ok);
    TF_LITE_ENSURE_EQ(context, node->inputs->size, kInputCount);
    TF_LITE_ENSURE_EQ(context, node->outputs->size, 1);
    tflite::MicroContext *micro = tflite::GetMicroContext(context);

    TfLiteTensor *t[kInputCount + 1];
    for (int i = 0; i < kInputCount; i++) {
        t[i] = micro->AllocateTempInputTensor(node, i);
        TF_LITE_ENSURE(context, t[i] != nullptr);
    }
    t[kInputCount] = micro->AllocateTempOutputTensor(node, 0);
    TF_LITE_ENSURE(context, t[kInputCount] != nullptr);
    const TfLiteTensor *x = t[kInput];
    const TfLiteTensor *w = t[kInputWeights];
    const TfLiteTensor *u = t[kRecurrentWeights];
    const TfLiteTensor *h = t[kState];
    const TfLiteTensor *y = t[kInputCount];

    const int gates = op->params.kind == EL_GRU_KIND_GRU ? 3 : 1;
    TF_LITE_ENSURE_EQ(context, x->type, kTfLiteInt8);
    TF_LITE_ENSURE_EQ(context, w->type, kTfLiteInt8);
    TF_LITE_ENSURE_EQ(context, u->type, kTfLiteInt8);
    TF_LITE_ENSURE_EQ(context, t[kInputBias]->type, kTfLiteInt32);
    TF_LITE_ENSURE_EQ(context, t[kRecurrentBias]->type, kTfLiteInt32);
    TF_LITE_ENSURE_EQ(context, h->type, kTfLiteInt8);
    TF_LITE_ENSURE_EQ(context, y->type, kTfLiteInt8);
    TF_LITE_ENSURE_EQ(context, x->dims->size, 3);
    TF_LITE_ENSURE_EQ(context, u->dims->size, 2);
    Shapes s;
    s.steps = x->dims->data[1];
    s.inputs = x->dims->data[2];
    s.hidden = u->dims->data[1];
    s.rows = gates * s.hidden;
    TF_LITE_ENSURE_EQ(context, w->dims->data[0], s.rows);
    TF_LITE_ENSURE_EQ(context, w->dims->data[1], s.inputs);
    TF_LITE_ENSURE_EQ(context, u->dims->data[0], s.rows);
    TF_LITE_ENSURE_EQ(context, Elements(t[kInputBias]), s.rows);
    TF_LITE_ENSURE_EQ(context, Elements(t[kRecurrentBias]), s.rows);
    TF_LITE_ENSURE_EQ(context, Elements(h), s.hidden);
    TF_LITE_ENSURE_EQ(context, Elements(y), (op->return_sequences ? s.steps : 1) * s.hidden);
    s.input_scale = x->params.scale;
    s.input_zp = x->params.zero_point;
    s.hidden_scale = h->params.scale;
    s.hidden_zp = h->params.zero_point;
    s.output_scale = y->params.scale;
    s.output_zp = y->params.zero_point;

    /* Everything above is in locals (the per-row scales point into the flatbuffer): the
     * temporaries go before the persistent buffer is taken from the other end. */
    const float *w_scales = nullptr;
    const float *u_scales = nullptr;
    float w_scale0 = RowScale(w, 0);
    float u_scale0 = RowScale(u, 0);
    const TfLiteAffineQuantization *wq =
        static_cast<const TfLiteAffineQuantization *>(w->quantization.params);
    const TfLiteAffineQuantization *uq =
        static_cast<const TfLiteAffineQuantization *>(u->quantization.params);
    TF_LITE_ENSURE(context, wq != nullptr && uq != nullptr);
    if (wq->scale->size > 1) {
        TF_LITE_ENSURE_EQ(context, wq->scale->size, s.rows);
        w_scales = wq->scale->data;
    }
    if (uq->scale->size > 1) {
        TF_LITE_ENSURE_EQ(context, uq->scale->size, s.rows);
        u_scales = uq->scale->data;
    }
    for (int i = 0; i <= kInputCount; i++) {
        micro->DeallocateTempTfLiteTensor(t[i]);
    }

    TF_LITE_ENSURE(context, s.hidden_scale >= ldexpf(1.0f, -14));
    TF_LITE_ENSURE(context, op->candidate_power >= -12 && op->candidate_power <= 0);
    const TfLiteEvalTensor *w_eval = tflite::micro::GetEvalInput(context, node, kInputWeights);
    const TfLiteEvalTensor *u_eval =
        tflite::micro::GetEvalInput(context, node, kRecurrentWeights);
    const TfLiteEvalTensor *bx_eval = tflite::micro::GetEvalInput(context, node, kInputBias);
    const TfLiteEvalTensor *bh_eval = tflite::micro::GetEvalInput(context, node, kRecurrentBias);
    const int8_t *w_x = tflite::micro::GetTensorData<int8_t>(w_eval);
    const int8_t *w_h = tflite::micro::GetTensorData<int8_t>(u_eval);
    const int32_t *b_x = tflite::micro::GetTensorData<int32_t>(bx_eval);
    const int32_t *b_h = tflite::micro::GetTensorData<int32_t>(bh_eval);
    TF_LITE_ENSURE(context, w_x != nullptr && w_h != nullptr && b_x != nullptr && b_h != nullptr);

    /* One persistent buffer: both matrices in the step function's packed layout (the
     * flatbuffer holds them row-major), the input and recurrent requantizations of every row,
     * and the input and recurrent biases with the zero points folded in. */
    const size_t rows = static_cast<size_t>(s.rows);
    const size_t words_x = PackedWords(gates, s.hidden, s.inputs);
    const size_t words_h = PackedWords(gates, s.hidden, s.hidden);
    void *constants = micro->AllocatePersistentBuffer(
        (words_x + words_h) * sizeof(int32_t) +
        rows * (2 * sizeof(el_requant) + 2 * sizeof(int32_t)));
    TF_LITE_ENSURE(context, constants != nullptr);
    int32_t *packed_x = static_cast<int32_t *>(constants);
    int32_t *packed_h = packed_x + words_x;
    el_requant *input_rq = reinterpret_cast<el_requant *>(packed_h + words_h);
    el_requant *recurrent_rq = input_rq + rows;
    int32_t *input_bias = reinterpret_cast<int32_t *>(recurrent_rq + rows);
    int32_t *recurrent_bias = input_bias + rows;
    Pack(w_x, gates, s.hidden, s.inputs, packed_x);
    Pack(w_h, gates, s.hidden, s.hidden, packed_h);

    const double s_x = static_cast<double>(s.input_scale);
    const double s_h = static_cast<double>(s.hidden_scale);
    const double preact = ldexp(1.0, kPreactPower);
    const bool candidate_rows = op->params.kind == EL_GRU_KIND_GRU && op->params.reset_after;
    for (int32_t j = 0; j < s.rows; j++) {
        int64_t sum_w = 0;
        int64_t sum_u = 0;
        for (int32_t k = 0; k < s.inputs; k++) {
            sum_w += w_x[j * s.inputs + k];
        }
        for (int32_t k = 0; k < s.hidden; k++) {
            sum_u += w_h[j * s.hidden + k];
        }
        input_bias[j] = static_cast<int32_t>(b_x[j] - int64_t{s.input_zp} * sum_w);
        recurrent_bias[j] = static_cast<int32_t>(b_h[j] - int64_t{s.hidden_zp} * sum_u);
        const double sw = static_cast<double>(w_scales != nullptr ? w_scales[j] : w_scale0);
        const double su = static_cast<double>(u_scales != nullptr ? u_scales[j] : u_scale0);
        const double den =
            candidate_rows && j >= 2 * s.hidden ? ldexp(1.0, op->candidate_power) : preact;
        input_rq[j] = QuantizeReal(s_x * sw / preact);
        recurrent_rq[j] = QuantizeReal(s_h * su / den);
    }

    el_gru_s8_params *p = &op->params;
    p->input_size = s.inputs;
    p->hidden_size = s.hidden;
    p->w_x = packed_x;
    p->w_h = packed_h;
    p->input_bias = input_bias;
    p->recurrent_bias = recurrent_bias;
    p->input_rq = input_rq;
    p->recurrent_rq = recurrent_rq;
    p->candidate_shift = 3 - op->candidate_power;
    p->hidden_rq = QuantizeReal(ldexp(1.0, kGateOutPower) / s_h);
    p->hidden_zero_point = s.hidden_zp;
    if (s.output_scale == s.hidden_scale && s.output_zp == s.hidden_zp) {
        p->output_rq.multiplier = 0;
        p->output_rq.shift = 0;
    } else {
        p->output_rq = QuantizeReal(s_h / static_cast<double>(s.output_scale));
        TF_LITE_ENSURE(context, p->output_rq.shift <= 23);
    }
    p->output_zero_point = s.output_zp;
    return micro->RequestScratchBufferInArena(
        static_cast<size_t>(el_gru_s8_buffer_size(p)), &op->scratch_index);
}

TfLiteStatus Eval(TfLiteContext *context, TfLiteNode *node)
{
    const ElRecurrentOpData *op = static_cast<const ElRecurrentOpData *>(node->user_data);
    const TfLiteEvalTensor *x = tflite::micro::GetEvalInput(context, node, kInput);
    TfLiteEvalTensor *h = tflite::micro::GetMutableEvalInput(context, node, kState);
    TfLiteEvalTensor *y = tflite::micro::GetEvalOutput(context, node, 0);
    int32_t *scratch = static_cast<int32_t *>(context->GetScratchBuffer(context, op->scratch_index));
    TF_LITE_ENSURE(context, h != nullptr && scratch != nullptr);
    const int8_t *in = tflite::micro::GetTensorData<int8_t>(x);
    int8_t *hidden = tflite::micro::GetTensorData<int8_t>(h);
    int8_t *out = tflite::micro::GetTensorData<int8_t>(y);
    const int32_t steps = x->dims->data[1];
    const int32_t in_n = op->params.input_size;
    const int32_t h_n = op->params.hidden_size;
    for (int32_t step = 0; step < steps; step++) {
        int8_t *out_t = nullptr;
        if (op->return_sequences) {
            out_t = out + step * h_n;
        } else if (step == steps - 1) {
            out_t = out;
        }
        if (el_gru_s8_step(&op->params, in + step * in_n, hidden, out_t, scratch) !=
            EL_STATUS_SUCCESS) {
            return kTfLiteError;
        }
    }
    return kTfLiteOk;
}

}  // namespace

TFLMRegistration el_tflm_register_gru()
{
    return tflite::micro::RegisterOp(InitGru, Prepare, Eval);
}

TFLMRegistration el_tflm_register_simple_rnn()
{
    return tflite::micro::RegisterOp(InitSimpleRnn, Prepare, Eval);
}
