"""Data through a device vs the host reference: every output byte checked, nothing assumed.

The device is identified first (its model hash must be the model's), then every sample runs as
an independent sequence (INFER resets the state on the device) and its output bytes are compared
with the host reference: the numpy integer reference for the native runtime, the TFLM host
runtime for the TFLM runtime. Several devices share the samples in parallel.
"""

from __future__ import annotations

import contextlib
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edge_lstm.data import Dataset, check_shape, model_input
from edge_lstm.errors import BadInputError, MismatchError, MissingToolError
from edge_lstm.metrics import dequantize, score


class ModelHashMismatch(MismatchError):
    """The device runs another model than the one given: validating would prove nothing."""


@dataclass
class ValidationReport:
    samples: int
    mismatched_samples: int
    mismatched_bytes: int
    max_abs_lsb: int
    tolerance_lsb: int
    device_accuracy: float | None
    float_accuracy: float | None
    int8_accuracy: float | None
    cycles: dict[str, int]
    cycle_unit: str
    retries: int
    link: dict[str, int]
    samples_per_second: float
    seconds: float
    board: str
    runtime: str
    model_sha256: str
    ram_bytes: int
    stack_used_bytes: int  # stack high-water mark measured on the (first) device; 0: unknown
    devices: int
    reference: str
    mismatch_indices: list[int] = field(default_factory=list)
    device_score: dict[str, float] = field(default_factory=dict)
    int8_score: dict[str, float] = field(default_factory=dict)
    float_score: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.max_abs_lsb <= self.tolerance_lsb

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["mismatch_indices"] = self.mismatch_indices[:100]
        data["passed"] = self.passed
        return data


@contextlib.contextmanager
def open_ports(
    board_name: str, ports: list[str], elf: Path | None, comports: Any = None
) -> Iterator[list[str]]:
    """Yield serial URLs: the given ports, the pty of an emulated (or host) board started from
    ``elf``, or the one connected port with a real board's USB id (``comports``: a stand-in
    for ``serial.tools.list_ports.comports``)."""
    if ports:
        yield ports
        return
    from targets.registry import get_board

    board = get_board(board_name)
    if not board.emulated and not board.is_host:
        from edge_lstm.harness.ports import find_board_port

        yield [find_board_port(board, comports)]
        return
    if elf is None:
        raise BadInputError("give --port PORT (a connected board) or --elf ELF (emulated/host)")
    if board.is_host:
        from targets.host_run import HostBoard

        with HostBoard(elf) as host:
            yield [host.port]
    else:
        from targets.qemu import QemuBoard

        with QemuBoard(Path(elf), board) as qemu:
            yield [qemu.port]


def validate(
    model_path: Path,
    data: Dataset,
    ports: list[str],
    tolerance: int = 0,
    float_outputs: np.ndarray | None = None,
    trace: Callable[[str], None] | None = None,
    progress: bool = True,
    skip_hash_check: bool = False,
    retries: int = 5,
    baud: int | None = None,
) -> tuple[ValidationReport, np.ndarray]:
    from edge_lstm.harness.device import Device
    from edge_lstm.harness.link import DEFAULT_BAUD
    from quantize.tflite_ir import read_model

    model = read_model(model_path)
    tflite = Path(model_path).read_bytes()
    input_t, output_t = model.input, model.output
    check_shape(data, input_t.shape[1], input_t.shape[2])
    x_int8 = model_input(data.x, input_t)

    devices = [Device(url, baud or DEFAULT_BAUD, trace=trace, retries=retries) for url in ports]
    try:
        infos = [device.hello() for device in devices]
        for url, info in zip(ports, infos, strict=True):
            if info.model_sha256 != model.sha256 and not skip_hash_check:
                raise ModelHashMismatch(
                    f"the device on {url} runs model {info.model_sha256[:16]}..., not "
                    f"{Path(model_path).name} ({model.sha256[:16]}...): export, build and flash "
                    "this model first"
                )
            if (info.timesteps, info.features) != (input_t.shape[1], input_t.shape[2]):
                raise ModelHashMismatch(
                    f"the device on {url} expects [{info.timesteps}, {info.features}] inputs"
                )
        runtime = infos[0].runtime
        if runtime == "tflm":
            from edge_lstm.engines import tflm_outputs

            reference_name = "tflm-host-runtime"
            expected = tflm_outputs(tflite, x_int8)
        else:
            from edge_lstm.engines import reference_outputs

            reference_name = "numpy-reference"
            expected = reference_outputs(tflite, x_int8)
        expected = expected.reshape(len(x_int8), -1)

        started = time.monotonic()
        outputs, cycles = _run_all(devices, x_int8, progress)
        seconds = time.monotonic() - started
        stack_used = devices[0].bench(1, x_int8[0]).stack_used
    finally:
        for device in devices:
            device.close()

    diff = np.abs(outputs.astype(np.int16) - expected.astype(np.int16))
    bad_samples = np.flatnonzero(np.any(diff > 0, axis=1))
    out_shape = (len(x_int8), *output_t.shape[1:])
    device_float = dequantize(outputs.reshape(out_shape), output_t.scale, output_t.zero_point)
    int8_float = dequantize(expected.reshape(out_shape), output_t.scale, output_t.zero_point)
    device_score = score(device_float, data.y)
    int8_score = score(int8_float, data.y)
    float_score = score(float_outputs, data.y) if float_outputs is not None else {}
    stats: dict[str, int] = {}
    for device in devices:
        for key, value in device.stats.as_dict().items():
            stats[key] = stats.get(key, 0) + value
    report = ValidationReport(
        samples=len(x_int8),
        mismatched_samples=int(len(bad_samples)),
        mismatched_bytes=int(np.count_nonzero(diff)),
        max_abs_lsb=int(diff.max(initial=0)),
        tolerance_lsb=tolerance,
        device_accuracy=device_score.get("accuracy"),
        float_accuracy=float_score.get("accuracy"),
        int8_accuracy=int8_score.get("accuracy"),
        cycles={
            "min": int(min(cycles)),
            "median": int(statistics.median(cycles)),
            "max": int(max(cycles)),
        },
        cycle_unit=infos[0].cycle_unit,
        retries=stats.get("retries", 0),
        link=stats,
        samples_per_second=round(len(x_int8) / seconds, 1) if seconds > 0 else 0.0,
        seconds=round(seconds, 2),
        board=infos[0].board,
        runtime=runtime,
        model_sha256=model.sha256,
        ram_bytes=infos[0].ram_bytes,
        stack_used_bytes=int(stack_used),
        devices=len(devices),
        reference=reference_name,
        mismatch_indices=[int(i) for i in bad_samples],
        device_score=device_score,
        int8_score=int8_score,
        float_score=float_score,
    )
    return report, outputs.reshape(out_shape)


def _run_all(devices: list, x_int8: np.ndarray, progress: bool) -> tuple[np.ndarray, list[int]]:
    """Shard the samples across the devices, one thread each; results in sample order."""
    from tqdm import tqdm

    outputs: list[np.ndarray | None] = [None] * len(x_int8)
    cycles: list[int] = [0] * len(x_int8)
    errors: list[BaseException] = []
    bar = tqdm(total=len(x_int8), desc="validate", unit="sample", disable=not progress, leave=False)
    lock = threading.Lock()

    def worker(device: Any, indices: range) -> None:
        try:
            for i in indices:
                out, count = device.infer(x_int8[i])
                outputs[i], cycles[i] = out, count
                with lock:
                    bar.update(1)
        except BaseException as exc:  # re-raised in the main thread
            errors.append(exc)

    shards = [range(k, len(x_int8), len(devices)) for k in range(len(devices))]
    threads = [
        threading.Thread(target=worker, args=(device, shard), daemon=True)
        for device, shard in zip(devices, shards, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bar.close()
    if errors:
        raise errors[0]
    if any(o is None for o in outputs):
        raise MissingToolError("a device stopped answering before every sample was checked")
    return np.stack([o for o in outputs if o is not None]), cycles
