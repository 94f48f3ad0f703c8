"""The numpy kernels of the non-recurrent ops equal TFLite Micro's int8 kernels on every byte.

Each model is a tiny tf_keras network around the layers a Keras front end or head uses
(convolutions, pooling, global reductions, merges of two branches, standalone activations,
Bidirectional LSTMs), converted by the real TFLite converter to full int8 and cached by a hash of
its builder's source. Golden values come from the TFLM runtime on the host, which keeps every
tensor (kPreserveAllTensors), so each op's output is compared byte for byte, not only what
survives the later ops to the model's output. Inputs are 150 float samples 3x wider than the
calibration data (quantized as a user's data is, so saturation happens) plus 150 raw int8
samples over the whole range.
"""

from __future__ import annotations

import hashlib
import inspect
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from model_zoo import cached_model

from quantize.ir import Model
from quantize.kernels.common import Env
from quantize.ops import OPS
from quantize.reference import quantize_input, run_reference
from quantize.tflite_ir import parse_model

SAMPLES = 300


@dataclass(frozen=True)
class KernelModel:
    name: str
    timesteps: int
    features: int
    build: Callable[[Any, Any], Any]  # (tf_keras, input tensor) -> output tensor
    layers: str  # the Keras layers and options, as docs/supported_models.md lists them
    seed: int = 0
    output_type: str = "int8"  # "float32": the converter ends the model with a DEQUANTIZE
    per_channel: bool = True  # False: per-tensor convolution weights (another multiplier path)

    @property
    def key(self) -> str:
        text = f"{self.name}|{self.timesteps}|{self.features}|{self.seed}|"
        text += inspect.getsource(self.build)
        if self.output_type != "int8":
            text += f"|{self.output_type}"
        if not self.per_channel:
            text += "|per-tensor"
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def _conv_pool(k: Any, x: Any) -> Any:
    x = k.layers.Conv1D(8, 3, padding="valid", activation="relu")(x)
    x = k.layers.MaxPooling1D(2)(x)
    x = k.layers.Flatten()(x)
    return k.layers.Dense(4)(x)


def _conv_same_gap(k: Any, x: Any) -> Any:
    x = k.layers.Conv1D(6, 3, padding="same", strides=2)(x)
    x = k.layers.BatchNormalization()(x)
    x = k.layers.GlobalAveragePooling1D()(x)
    return k.layers.Dense(1, activation="sigmoid")(x)


def _conv_dilated_gmp(k: Any, x: Any) -> Any:
    x = k.layers.Conv1D(5, 3, padding="same", dilation_rate=2, activation="relu6")(x)
    x = k.layers.GlobalMaxPooling1D()(x)
    return k.layers.Dense(3)(x)


def _conv_causal_avgpool(k: Any, x: Any) -> Any:
    x = k.layers.Conv1D(4, 3, padding="causal", activation="tanh")(x)
    x = k.layers.AveragePooling1D(3, strides=2, padding="same")(x)
    x = k.layers.Flatten()(x)
    return k.layers.Dense(3)(x)


def _depthwise_separable(k: Any, x: Any) -> Any:
    x = k.layers.DepthwiseConv1D(3, depth_multiplier=2, activation="relu")(x)
    x = k.layers.SeparableConv1D(6, 3, padding="same")(x)
    x = k.layers.AveragePooling1D(2)(x)
    x = k.layers.Flatten()(x)
    return k.layers.Dense(3)(x)


def _dense_tanh_sigmoid(k: Any, x: Any) -> Any:
    x = k.layers.Flatten()(x)
    x = k.layers.Dense(8, activation="tanh")(x)
    return k.layers.Dense(4, activation="sigmoid")(x)


def _branches(k: Any, x: Any) -> Any:
    a = k.layers.Dense(6)(x)
    b = k.layers.Dense(6, activation="relu")(x)
    added = k.layers.Add()([a, b])
    sub = k.layers.Subtract()([a, b])
    mul = k.layers.Multiply()([a, b])
    x = k.layers.Concatenate()([added, sub, mul, x])
    x = k.layers.Reshape((-1,))(x)
    return k.layers.Dense(3)(x)


def _activations(k: Any, x: Any) -> Any:
    a = k.layers.Dense(6)(x)
    b = k.layers.Dense(6)(x)
    s = k.layers.Add()([a, b])
    t = k.layers.Activation("tanh")(s)
    g = k.layers.Activation("sigmoid")(s)
    r = k.layers.ReLU()(s)
    r6 = k.layers.ReLU(max_value=6.0)(s)
    x = k.layers.Concatenate()([t, g, r, r6])
    x = k.layers.ZeroPadding1D((1, 2))(x)
    x = k.layers.GlobalAveragePooling1D()(x)
    return k.layers.Dense(2)(x)


def _normalized(k: Any, x: Any) -> Any:
    norm = k.layers.Normalization(axis=-1)
    rng = np.random.default_rng(7)
    norm.adapt(rng.standard_normal((64, 12, 3)).astype(np.float32) * 2.0 + 1.0)
    x = norm(x)
    x = k.layers.Conv1D(4, 5, padding="same", activation="relu6")(x)
    x = k.layers.Flatten()(x)
    return k.layers.Dense(2)(x)


def _strided(k: Any, x: Any) -> Any:
    x = k.layers.Conv1D(6, 4, strides=3, padding="valid", activation="relu")(x)
    x = k.layers.DepthwiseConv1D(2, dilation_rate=2, padding="same")(x)
    x = k.layers.MaxPooling1D(3, strides=2, padding="same")(x)
    x = k.layers.Flatten()(x)
    return k.layers.Dense(3)(x)


def _fused(k: Any, x: Any) -> Any:
    a = k.layers.Dense(6)(x)
    b = k.layers.Dense(6)(x)
    s = k.layers.ReLU()(k.layers.Add()([a, b]))
    m = k.layers.ReLU(max_value=6.0)(k.layers.Multiply()([s, b]))
    d = k.layers.ReLU()(k.layers.Subtract()([m, a]))
    x = k.layers.GlobalAveragePooling1D()(d)
    return k.layers.Dense(2)(x)


def _reshaping(k: Any, x: Any) -> Any:
    a = k.layers.Dense(4)(x)
    b = k.layers.Dense(4)(x)
    m = k.layers.Maximum()([a, b])
    n = k.layers.Minimum()([a, b])
    x = k.layers.LeakyReLU(alpha=0.2)(k.layers.Average()([m, n]))
    x = k.layers.UpSampling1D(2)(x)
    x = k.layers.Permute((2, 1))(x)
    x = k.layers.Cropping1D((1, 1))(x)
    x = k.layers.Activation("swish")(x)
    x = k.layers.Flatten()(x)
    return k.layers.Dense(3)(x)


def _bidirectional_sequences(k: Any, x: Any) -> Any:
    x = k.layers.Bidirectional(k.layers.LSTM(6, return_sequences=True))(x)
    x = k.layers.GlobalMaxPooling1D()(x)
    return k.layers.Dense(3)(x)


def _bidirectional(mode: str) -> Callable[[Any, Any], Any]:
    def build(k: Any, x: Any) -> Any:
        x = k.layers.Bidirectional(k.layers.LSTM(8), merge_mode=mode)(x)
        return k.layers.Dense(3)(x)

    return build  # one source for every mode: the key hashes the name too


def _lstm_gap(k: Any, x: Any) -> Any:
    x = k.layers.LSTM(8, return_sequences=True)(x)
    x = k.layers.GlobalAveragePooling1D()(x)
    return k.layers.Dense(3, activation="softmax")(x)


MODELS: dict[str, KernelModel] = {
    m.name: m
    for m in [
        KernelModel(
            "conv_pool", 16, 3, _conv_pool,
            "Conv1D(valid, relu) -> MaxPooling1D -> Flatten -> Dense",
        ),
        KernelModel(
            "conv_same_gap", 16, 3, _conv_same_gap,
            "Conv1D(same, strides 2) -> BatchNormalization -> GlobalAveragePooling1D "
            "-> Dense(sigmoid)",
        ),
        KernelModel(
            "conv_dilated_gmp", 16, 3, _conv_dilated_gmp,
            "Conv1D(same, dilation 2, relu6) -> GlobalMaxPooling1D -> Dense",
        ),
        KernelModel(
            "conv_causal_avgpool", 12, 3, _conv_causal_avgpool,
            "Conv1D(causal, tanh) -> AveragePooling1D(3, strides 2, same) -> Flatten -> Dense",
        ),
        KernelModel(
            "depthwise_separable", 12, 4, _depthwise_separable,
            "DepthwiseConv1D(depth_multiplier 2, relu) -> SeparableConv1D(same) "
            "-> AveragePooling1D -> Flatten -> Dense",
        ),
        KernelModel(
            "dense_tanh_sigmoid", 6, 5, _dense_tanh_sigmoid,
            "Flatten -> Dense(tanh) -> Dense(sigmoid)",
        ),
        KernelModel(
            "branches", 8, 4, _branches,
            "Dense, Dense(relu) -> Add, Subtract, Multiply, Concatenate(with the input) "
            "-> Reshape -> Dense",
        ),
        KernelModel(
            "activations", 8, 4, _activations,
            "Add -> Activation(tanh), Activation(sigmoid), ReLU, ReLU(max_value 6) "
            "-> Concatenate -> ZeroPadding1D -> GlobalAveragePooling1D -> Dense",
        ),
        KernelModel(
            "normalized", 12, 3, _normalized,
            "Normalization(adapted) -> Conv1D(same, relu6) -> Flatten -> Dense",
        ),
        KernelModel(
            "strided", 24, 3, _strided,
            "Conv1D(valid, strides 3, relu) -> DepthwiseConv1D(same, dilation 2) "
            "-> MaxPooling1D(3, strides 2, same) -> Flatten -> Dense",
        ),
        KernelModel(
            "reshaping", 4, 3, _reshaping,  # T <= 5: UpSampling1D's CONCATENATION has <= 10 inputs
            "Dense, Dense -> Maximum, Minimum -> Average -> LeakyReLU(0.2) -> UpSampling1D(2) "
            "-> Permute((2, 1)) -> Cropping1D((1, 1)) -> Activation(swish) -> Flatten -> Dense",
        ),
        KernelModel(
            "per_tensor", 12, 4, _depthwise_separable,
            "DepthwiseConv1D -> SeparableConv1D -> AveragePooling1D -> Flatten -> Dense, "
            "per-tensor weights",
            per_channel=False,
        ),
        KernelModel(
            "float_output", 6, 5, _dense_tanh_sigmoid,
            "Flatten -> Dense(tanh) -> Dense(sigmoid), float32 output",
            output_type="float32",
        ),
        KernelModel(
            "fused", 8, 4, _fused,
            "Add -> ReLU, Multiply -> ReLU(max_value 6), Subtract -> ReLU "
            "-> GlobalAveragePooling1D -> Dense",
        ),
        *(
            KernelModel(
                f"bilstm_{mode}", 10, 3, _bidirectional(mode),
                f"Bidirectional(LSTM(8), merge_mode {mode}) -> Dense",
            )
            for mode in ("concat", "sum", "ave", "mul")
        ),
        KernelModel(
            "bilstm_sequences", 10, 3, _bidirectional_sequences,
            "Bidirectional(LSTM(6, return_sequences), merge_mode concat) "
            "-> GlobalMaxPooling1D -> Dense",
        ),
        KernelModel(
            "lstm_gap", 10, 3, _lstm_gap,
            "LSTM(8, return_sequences) -> GlobalAveragePooling1D -> Dense(softmax)",
        ),
    ]
}  # fmt: skip


def calibration_data(m: KernelModel, count: int = 64) -> np.ndarray:
    rng = np.random.default_rng(m.seed + 100)
    return rng.standard_normal((count, m.timesteps, m.features)).astype(np.float32)


def _convert(m: KernelModel) -> bytes:
    """The real converter, full int8 with int8 I/O, as quantize.convert configures it."""
    from quantize.quiet import import_tensorflow, native_stderr_captured

    import_tensorflow()
    import tensorflow as tf
    import tf_keras

    tf_keras.utils.set_random_seed(m.seed)
    inputs = tf_keras.Input(shape=(m.timesteps, m.features), batch_size=1)
    keras_model = tf_keras.Model(inputs, m.build(tf_keras, inputs))
    calib = calibration_data(m)

    def representative() -> Iterator[list[np.ndarray]]:
        for i in range(len(calib)):
            yield [calib[i : i + 1]]

    converter = tf.lite.TFLiteConverter.from_keras_model(keras_model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = getattr(tf, m.output_type)
    converter._experimental_disable_per_channel = not m.per_channel
    with warnings.catch_warnings(), native_stderr_captured():
        warnings.simplefilter("ignore")
        return bytes(converter.convert())


def tflite_bytes(name: str) -> bytes:
    """The converted model, converted on first use and cached by its configuration's hash."""
    m = MODELS[name]
    return cached_model(
        "models", f"kernels-{m.name}-{m.key}.tflite", lambda: _convert(m)
    ).read_bytes()


def inputs(m: KernelModel, model: Model, count: int = SAMPLES) -> np.ndarray:
    """Half float data 3x wider than the calibration data, half raw int8 over the whole range."""
    rng = np.random.default_rng(m.seed + 200)
    shape = (count // 2, m.timesteps, m.features)
    wide = (rng.standard_normal(shape) * 3).astype(np.float32)
    raw = rng.integers(-128, 128, size=(count - count // 2, m.timesteps, m.features))
    return np.concatenate([quantize_input(wide, model.input), raw.astype(np.int8)])


def _ops(model: Model) -> str:
    return " ".join(dict.fromkeys(model.opcodes))


def tflm_tensors(data: bytes, x: np.ndarray, indices: list[int]) -> dict[int, np.ndarray]:
    """Every listed tensor as the real TFLM runtime leaves it, one sample at a time, state reset
    before each: the interpreter keeps all tensors (kPreserveAllTensors) so each op's output is
    compared, not only what reaches the model's output through later ops."""
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(
        data, intrepreter_config=runtime.InterpreterConfig.kPreserveAllTensors
    )
    values: dict[int, list[np.ndarray]] = {i: [] for i in indices}
    for sample in x:
        interpreter.reset()
        interpreter.set_input(sample[None, ...], 0)
        interpreter.invoke()
        for i in indices:
            t = interpreter.GetTensor(i, 0)
            values[i].append(np.asarray(t["tensor_data"]).reshape(tuple(t["shape"])))
    return {i: np.stack(v) for i, v in values.items()}


def reference_tensors(model: Model, x: np.ndarray) -> Env:
    """Every tensor the reference computes: run_reference's loop, keeping the environment."""
    env: Env = {model.input.index: x.reshape((x.shape[0], *model.input.shape))}
    for op in model.operators:
        kernel = OPS[op.opcode].reference
        assert kernel is not None, op.opcode
        kernel(model, op, env, "tflm")
    return env


def _edit(data: bytes, change: Callable[[Any, Any, dict[int, str]], None]) -> bytes:
    """The flatbuffer with ``change(schema, model object, opcode names)`` applied."""
    import flatbuffers
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

    fb = schema.ModelT.InitFromPackedBuf(bytearray(data), 0)
    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    opcodes = {}
    for i, op in enumerate(fb.subgraphs[0].operators):
        code = fb.operatorCodes[op.opcodeIndex]
        opcodes[i] = names[max(code.builtinCode, code.deprecatedBuiltinCode)]
    change(schema, fb, opcodes)
    builder = flatbuffers.Builder(len(data))
    builder.Finish(fb.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def mean_at_input_scale(data: bytes) -> bytes:
    """The model with every MEAN's output quantized like its input.

    The converter gives GlobalAveragePooling1D's output a scale of its own (the requantizing
    path); this edit makes the multiplier exactly 1 (2^30 with shift 1), the case older TFLM
    versions and other runtimes compute separately. TFLM still computes the golden values.
    """

    def change(schema: Any, fb: Any, opcodes: dict[int, str]) -> None:
        graph = fb.subgraphs[0]
        for i, op in enumerate(graph.operators):
            if opcodes[i] == "MEAN":
                x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
                y.quantization.scale = list(x.quantization.scale)
                y.quantization.zeroPoint = list(x.quantization.zeroPoint)

    return _edit(data, change)


# ops whose int8 kernels move bytes: their inputs and output keep one scale and zero point
_SAME_SCALE = {
    "MAX_POOL_2D", "AVERAGE_POOL_2D", "REDUCE_MAX", "CONCATENATION", "PAD", "REVERSE_V2",
    "RESHAPE", "SQUEEZE", "EXPAND_DIMS", "STRIDED_SLICE", "RELU6", "SPLIT", "TRANSPOSE",
    "MAXIMUM", "MINIMUM",
}  # fmt: skip
# fixed output quantization of TFLM's int8 kernels
_FIXED_OUTPUT = {"LOGISTIC", "TANH", "SOFTMAX"}


def perturbed_quantization(seed: int) -> Callable[[bytes], bytes]:
    """An edit moving every activation's scale by a random factor in [2^-4, 2^4] and its
    zero point by up to +-20, tensors tied through byte-moving ops moved together.

    The converter picks scales from the calibration data, so its models reach only some
    multiplier and shift regimes; these edits reach others (ADD and SUB inputs whose scales
    differ by up to 2^5, MEAN, RELU and QUANTIZE multipliers above 1, LOGISTIC and TANH input
    shifts from 19 to 24). Bias scales follow the new
    input scales, as TFLM's per-tensor check of them requires.
    """

    def change(schema: Any, fb: Any, opcodes: dict[int, str]) -> None:
        rng = np.random.default_rng(seed)
        graph = fb.subgraphs[0]
        parent = list(range(len(graph.tensors)))

        def root(i: int) -> int:
            while parent[i] != i:
                i = parent[i]
            return i

        fixed: set[int] = set()
        for i, op in enumerate(graph.operators):
            if opcodes[i] in _SAME_SCALE:
                data_inputs = {
                    "CONCATENATION": op.inputs, "MAXIMUM": op.inputs, "MINIMUM": op.inputs,
                    "SPLIT": op.inputs[1:],
                }.get(opcodes[i], op.inputs[:1])  # fmt: skip
                for t in (*data_inputs, *op.outputs):
                    parent[root(t)] = root(op.outputs[0])
            if opcodes[i] in _FIXED_OUTPUT or opcodes[i].startswith("UNIDIRECTIONAL"):
                fixed.add(op.outputs[0])
        fixed_roots = {root(t) for t in fixed}
        moves: dict[int, tuple[float, int]] = {}
        for index, t in enumerate(graph.tensors):
            buffer = fb.buffers[t.buffer] if t.buffer < len(fb.buffers) else None
            constant = buffer is not None and buffer.data is not None and len(buffer.data) > 0
            if t.type != schema.TensorType.INT8 or constant or t.quantization is None:
                continue
            r = root(index)
            if r in fixed_roots:
                continue
            if r not in moves:
                moves[r] = (2.0 ** rng.uniform(-4.0, 4.0), int(rng.integers(-20, 21)))
            factor, shift = moves[r]
            t.quantization.scale = [float(np.float32(v * factor)) for v in t.quantization.scale]
            t.quantization.zeroPoint = [
                int(np.clip(z + shift, -128, 127)) for z in t.quantization.zeroPoint
            ]
        for i, op in enumerate(graph.operators):
            has_bias = len(op.inputs) > 2 and op.inputs[2] >= 0
            if opcodes[i] in ("FULLY_CONNECTED", "CONV_2D", "DEPTHWISE_CONV_2D") and has_bias:
                s_in = np.float32(graph.tensors[op.inputs[0]].quantization.scale[0])
                w_scales = np.asarray(graph.tensors[op.inputs[1]].quantization.scale, np.float32)
                bias = graph.tensors[op.inputs[2]]
                bias.quantization.scale = [float(v) for v in (s_in * w_scales)]

    return lambda data: _edit(data, change)


def check_model(
    name: str, edit: Callable[[bytes], bytes] | None = None
) -> dict[str, tuple[int, int]]:
    """Per op type: (mismatching bytes, bytes compared) over SAMPLES inputs; prints both."""
    data = tflite_bytes(name)
    if edit is not None:
        data = edit(data)
    model = parse_model(data)
    print(f"{name}: {MODELS[name].layers} -> {_ops(model)}")
    x = inputs(MODELS[name], model)
    outputs = [t for op in model.operators for t in op.outputs]
    expected = tflm_tensors(data, x, outputs)
    start = time.perf_counter()
    env = reference_tensors(model, x)
    seconds = time.perf_counter() - start
    counts: dict[str, tuple[int, int]] = {}
    for op in model.operators:
        for t in op.outputs:  # all of them: SPLIT has one per part
            want, have = expected[t], env[t]
            assert have.dtype == want.dtype, (op.opcode, have.dtype, want.dtype)
            assert have.shape == want.shape, (op.opcode, have.shape, want.shape)
            bad, total = counts.get(op.opcode, (0, 0))
            # bytes, not values: a float32 DEQUANTIZE output must match bit for bit too
            differ = int((have.view(np.uint8) != want.view(np.uint8)).sum())
            counts[op.opcode] = (bad + differ, total + want.nbytes)
    if model.output.dtype == "int8":  # the public entry point, on the model's output
        got = run_reference(model, x, activations="tflm")
        final = expected[model.output.index].reshape(got.shape)
        counts["(model output)"] = (int((got != final).sum()), final.size)
    for opcode, (bad, total) in counts.items():
        print(f"  {opcode}: {bad} mismatching bytes of {total} vs TFLM ({len(x)} inputs)")
    print(f"  reference: {seconds:.2f} s for {len(x)} inputs")
    return counts


FAST = [n for n in MODELS if not n.startswith(("bilstm", "lstm"))]
SLOW = [n for n in MODELS if n not in FAST]


@pytest.mark.parametrize(
    "name",
    [pytest.param(n) for n in FAST] + [pytest.param(n, marks=pytest.mark.slow) for n in SLOW],
)
def test_every_op_output_equals_tflm(name: str) -> None:
    counts = check_model(name)
    assert all(bad == 0 for bad, _ in counts.values()), counts


@pytest.mark.parametrize("seed", [1, 2, 10])  # 10: a QUANTIZE with a multiplier above 1
@pytest.mark.parametrize("name", [n for n in FAST if n != "float_output"])
def test_every_op_output_equals_tflm_at_other_scales(name: str, seed: int) -> None:
    counts = check_model(name, perturbed_quantization(seed))
    assert all(bad == 0 for bad, _ in counts.values()), counts


@pytest.mark.parametrize("name", ["conv_same_gap", "activations"])
def test_mean_at_the_input_scale_equals_tflm(name: str) -> None:
    model = parse_model(mean_at_input_scale(tflite_bytes(name)))
    means = [op for op in model.operators if op.opcode == "MEAN"]
    assert means
    for op in means:
        x, y = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
        assert (x.scale, x.zero_point) == (y.scale, y.zero_point)
    counts = check_model(name, mean_at_input_scale)
    assert all(bad == 0 for bad, _ in counts.values()), counts


if __name__ == "__main__":  # docs/supported_models.md's table (converting what is not cached)
    for key, m in MODELS.items():
        print(f"| {m.layers} | {', '.join(parse_model(tflite_bytes(key)).opcodes)} |", flush=True)
