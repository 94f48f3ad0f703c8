"""Train an LSTM classifier or regressor with Keras 3: the model a user would bring.

Training is deterministic for a seed (seeded initializers, shuffling and op determinism), so a
demo run or a test reproduces the same weights on the same machine.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edge_lstm.data import Dataset, builtin_dataset, check_output_file, load_data, save_npz
from edge_lstm.errors import BadInputError


@dataclass
class TrainResult:
    model_path: Path
    train_path: Path
    test_path: Path
    float_test_score: dict[str, float]
    epochs: int
    classes: int | None


def split(dataset: Dataset, seed: int, test_fraction: float = 0.2) -> tuple[Dataset, Dataset]:
    order = np.random.default_rng(seed).permutation(len(dataset))
    cut = int(round(len(dataset) * (1 - test_fraction)))
    if cut == 0 or cut == len(dataset):
        raise BadInputError(f"{dataset.source}: too few samples ({len(dataset)}) to split")

    def part(idx: np.ndarray, tag: str) -> Dataset:
        y = None if dataset.y is None else dataset.y[idx]
        return Dataset(dataset.x[idx], y, f"{dataset.source}:{tag}")

    return part(order[:cut], "train"), part(order[cut:], "test")


def load_training_data(name_or_path: str, seed: int) -> tuple[Dataset, Dataset]:
    if Path(name_or_path).suffix in (".npz", ".csv"):
        data = load_data(name_or_path)
        if data.x.dtype != np.float32:
            raise BadInputError(f"{name_or_path}: training needs float x, got {data.x.dtype}")
        if data.y is None:
            raise BadInputError(f"{name_or_path}: training needs targets y")
        return split(data, seed)
    return builtin_dataset(name_or_path, seed=seed)


#: the architectures `train --arch` builds, for trying the supported layers on a dataset
ARCHITECTURES = ("lstm", "conv-lstm", "bilstm", "lstm-pool")
#: the recurrent cells `train --cell` puts in them (GRU and SimpleRNN run as edge-lstm's own
#: integer cells, docs/integer_gru.md)
CELLS = ("lstm", "gru", "rnn")


def check_architecture(arch: str, cell: str) -> None:
    if arch not in ARCHITECTURES:
        raise BadInputError(f"unknown architecture {arch!r}; choose one of {ARCHITECTURES}")
    if cell not in CELLS:
        raise BadInputError(f"unknown cell {cell!r}; choose one of {CELLS}")
    if arch == "bilstm" and cell != "lstm":
        raise BadInputError(
            f"--arch bilstm needs --cell lstm (a bidirectional {cell.upper()} is not supported)"
        )


def build_model(
    timesteps: int,
    features: int,
    hidden: int,
    layers: int,
    outputs: int,
    classify: bool,
    arch: str = "lstm",
    cell: str = "lstm",
) -> Any:
    """A Keras 3 model of one of ARCHITECTURES, compiled for classification or regression.

    ``cell`` picks the recurrent layer (LSTM, GRU or SimpleRNN) of every architecture but bilstm.
    lstm: LSTM x layers -> Dense. conv-lstm: Conv1D(relu) -> MaxPooling1D(2) (when T >= 4) ->
    LSTM x layers -> Dense, the DeepConvLSTM shape of IMU models. bilstm: Bidirectional(LSTM)
    x layers -> Dense. lstm-pool: LSTM x layers (the last with return_sequences) ->
    GlobalAveragePooling1D -> Dense.
    """
    import keras

    check_architecture(arch, cell)
    L = keras.layers
    recurrent = {"lstm": L.LSTM, "gru": L.GRU, "rnn": L.SimpleRNN}[cell]
    model_layers: list[Any] = [keras.Input(shape=(timesteps, features))]
    if arch == "conv-lstm":
        model_layers.append(L.Conv1D(max(8, hidden // 2), 3, padding="same", activation="relu"))
        if timesteps >= 4:
            model_layers.append(L.MaxPooling1D(2))
    for i in range(layers):
        sequences = i < layers - 1 or arch == "lstm-pool"
        lstm = recurrent(hidden, return_sequences=sequences)
        model_layers.append(L.Bidirectional(lstm) if arch == "bilstm" else lstm)
    if arch == "lstm-pool":
        model_layers.append(L.GlobalAveragePooling1D())
    model_layers.append(L.Dense(outputs, activation="softmax" if classify else None))
    model = keras.Sequential(model_layers)
    if classify:
        model.compile(
            optimizer=keras.optimizers.Adam(0.01),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
    else:
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    return model


def train(
    dataset: str,
    output: Path,
    hidden: int = 32,
    layers: int = 1,
    epochs: int = 30,
    seed: int = 0,
    batch_size: int = 32,
    progress: bool = True,
    arch: str = "lstm",
    cell: str = "lstm",
) -> TrainResult:
    from quantize.quiet import import_tensorflow

    # the user's input is checked before TensorFlow loads (seconds) and training runs (minutes)
    if output.suffix != ".keras":
        raise BadInputError(f"output {output} must end in .keras")
    check_architecture(arch, cell)
    check_output_file(output)
    train_set, test_set = load_training_data(dataset, seed)
    import_tensorflow()
    import keras
    import tensorflow as tf

    assert train_set.y is not None and test_set.y is not None
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    classify = train_set.y.ndim == 1
    outputs = int(train_set.y.max()) + 1 if classify else int(train_set.y.shape[1])
    _, timesteps, features = train_set.x.shape
    model = build_model(timesteps, features, hidden, layers, outputs, classify, arch, cell)
    callbacks = [_progress_callback(epochs)] if progress else []
    model.fit(
        train_set.x,
        train_set.y,
        epochs=epochs,
        batch_size=batch_size,
        shuffle=True,
        verbose=0,
        callbacks=callbacks,
    )
    predictions = model.predict(test_set.x, verbose=0)
    from edge_lstm.metrics import score

    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.stem}.tmp.keras")
    model.save(tmp)
    os.replace(tmp, output)
    train_path = output.with_name(f"{output.stem}.train.npz")
    test_path = output.with_name(f"{output.stem}.test.npz")
    save_npz(train_path, x=train_set.x, y=train_set.y)
    save_npz(test_path, x=test_set.x, y=test_set.y)
    return TrainResult(
        model_path=output,
        train_path=train_path,
        test_path=test_path,
        float_test_score=score(predictions, test_set.y),
        epochs=epochs,
        classes=outputs if classify else None,
    )


def _progress_callback(epochs: int) -> Any:
    """One tqdm bar over the epochs, with the loss, instead of Keras' per-batch logging."""
    import keras
    from tqdm import tqdm

    bar = tqdm(total=epochs, desc="train", unit="epoch", leave=False)

    def on_epoch_end(epoch: int, logs: Any = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None:
            bar.set_postfix(loss=f"{loss:.4f}")
        bar.update(1)

    return keras.callbacks.LambdaCallback(
        on_epoch_end=on_epoch_end, on_train_end=lambda logs=None: bar.close()
    )
