"""The board registry: one TOML file per board in targets/boards/, validated on load.

Board facts (memory map, UART, clocks) are written once, as data, and everything else (linker
script, el_board.h, Makefile flags, flashing) is generated from them, so adding a board means adding
a file, and a wrong fact is fixed in one place.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from targets.errors import BoardFileError, UnknownBoardError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

BOARDS_DIR = Path(__file__).parent / "boards"
DEFAULT_BOARD = "qemu-cortex-m4"

FAMILIES = ("cmsdk", "stm32", "nrf51", "nrf52", "rp2040", "host")
FLOAT_ABIS = ("soft", "softfp", "hard")
UART_KINDS = ("cmsdk", "stm32f4", "stm32l4", "nrf51_uart", "nrf52_uarte", "pl011", "pty")
CYCLE_COUNTERS = ("dwt", "systick", "none", "clock")
CYCLE_UNITS = ("cycles", "instructions", "ns")
FLASHERS = ("qemu", "pyocd", "openocd", "uf2", "bossac", "host")
BOOT2_KINDS = ("generic_03h", "w25q080")
_USB_ID = re.compile(r"^[0-9A-Fa-f]{4}:[0-9A-Fa-f]{4}$")


@dataclass(frozen=True)
class Uart:
    """The console UART: what the BSP drives and the harness talks to."""

    kind: str
    base: int
    baud: int
    irq: int
    tx_pin: str | None = None
    rx_pin: str | None = None


@dataclass(frozen=True)
class Board:
    name: str
    description: str
    family: str
    cpu: str
    fpu: str
    float_abi: str
    dsp: bool
    mve: bool
    flash_base: int
    flash_bytes: int
    ram_base: int
    ram_bytes: int
    stack_bytes: int
    clock_hz: int
    irq_count: int
    uart: Uart
    cycle_counter: str
    cycle_unit: str
    flasher: str
    emulated: bool
    qemu_machine: str | None = None
    pyocd_target: str | None = None
    openocd_config: str | None = None
    uf2_family_id: int | None = None
    boot2: str | None = None
    #: USB "VID:PID" (upper-case hex) of the adapter the console UART reaches the PC through,
    #: so that validate can find the board's serial port without -p.
    usb_ids: tuple[str, ...] = ()
    source: Path | None = None

    @property
    def is_host(self) -> bool:
        return self.family == "host"

    def gcc_arch_flags(self) -> list[str]:
        """The -mcpu/-mthumb/-mfloat-abi/-mfpu flags that select the right newlib multilib."""
        if self.is_host:
            return []
        flags = [f"-mcpu={self.cpu}", "-mthumb", f"-mfloat-abi={self.float_abi}"]
        if self.fpu != "none":
            flags.append(f"-mfpu={self.fpu}")
        return flags


class _Fields:
    """Typed access to one TOML table; every error names the file and the dotted field."""

    def __init__(self, path: Path, table: Mapping[str, Any], prefix: str = "") -> None:
        self.path = path
        self.table = table
        self.prefix = prefix
        self.used: set[str] = set()

    def _fail(self, key: str, why: str) -> BoardFileError:
        return BoardFileError(f"{self.path.name}: field '{self.prefix}{key}': {why}")

    def _get(self, key: str, required: bool) -> Any:
        self.used.add(key)
        if key not in self.table:
            if required:
                raise self._fail(key, "missing")
            return None
        return self.table[key]

    def string(
        self, key: str, choices: tuple[str, ...] | None = None, required: bool = True
    ) -> str | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            raise self._fail(key, f"expected a non-empty string, got {value!r}")
        if choices is not None and value not in choices:
            raise self._fail(key, f"{value!r} is not one of {', '.join(choices)}")
        return value

    def req_string(self, key: str, choices: tuple[str, ...] | None = None) -> str:
        value = self.string(key, choices)
        assert value is not None
        return value

    def integer(self, key: str, minimum: int = 0, required: bool = True) -> int | None:
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._fail(key, f"expected an integer, got {value!r}")
        if value < minimum:
            raise self._fail(key, f"must be >= {minimum}, got {value}")
        return value

    def req_integer(self, key: str, minimum: int = 0) -> int:
        value = self.integer(key, minimum)
        assert value is not None
        return value

    def usb_ids(self, key: str) -> tuple[str, ...]:
        value = self._get(key, False)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(
            isinstance(v, str) and _USB_ID.match(v) for v in value
        ):
            raise self._fail(key, f'expected a list of "VID:PID" hex strings, got {value!r}')
        return tuple(v.upper() for v in value)

    def boolean(self, key: str) -> bool:
        value = self._get(key, True)
        if not isinstance(value, bool):
            raise self._fail(key, f"expected true or false, got {value!r}")
        return value

    def sub(self, key: str) -> _Fields:
        value = self._get(key, True)
        if not isinstance(value, Mapping):
            raise self._fail(key, "expected a table")
        return _Fields(self.path, value, f"{self.prefix}{key}.")

    def reject_unknown(self) -> None:
        extra = sorted(set(self.table) - self.used)
        if extra:
            raise self._fail(extra[0], "unknown field (a typo?)")


def parse_board(path: Path) -> Board:
    """Read and validate one board file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BoardFileError(f"{path.name}: cannot read: {exc}") from exc
    top = _Fields(path, data)
    name = top.req_string("name")
    if name != path.stem:
        raise BoardFileError(f"{path.name}: field 'name': {name!r} must equal the file name")
    description = top.req_string("description")
    family = top.req_string("family", FAMILIES)
    emulated = top.boolean("emulated")

    cpu_t = top.sub("cpu")
    cpu = cpu_t.req_string("core")
    fpu = cpu_t.req_string("fpu")
    float_abi = cpu_t.req_string("float_abi", FLOAT_ABIS)
    dsp = cpu_t.boolean("dsp")
    mve = cpu_t.boolean("mve")
    clock_hz = cpu_t.req_integer("clock_hz", 1)
    irq_count = cpu_t.req_integer("irq_count")
    cpu_t.reject_unknown()
    if fpu == "none" and float_abi == "hard":
        raise BoardFileError(f"{path.name}: field 'cpu.float_abi': 'hard' needs an fpu")

    mem = top.sub("memory")
    flash_base = mem.req_integer("flash_base")
    flash_bytes = mem.req_integer("flash_bytes")
    ram_base = mem.req_integer("ram_base")
    ram_bytes = mem.req_integer("ram_bytes")
    stack_bytes = mem.req_integer("stack_bytes")
    mem.reject_unknown()
    if family != "host":
        for key, value in (
            ("flash_bytes", flash_bytes),
            ("ram_bytes", ram_bytes),
            ("stack_bytes", stack_bytes),
        ):
            if value == 0:
                raise BoardFileError(f"{path.name}: field 'memory.{key}': must be > 0")
        if stack_bytes >= ram_bytes:
            raise BoardFileError(f"{path.name}: field 'memory.stack_bytes': larger than the RAM")
        if stack_bytes % 8:
            raise BoardFileError(f"{path.name}: field 'memory.stack_bytes': not a multiple of 8")

    uart_t = top.sub("uart")
    uart = Uart(
        kind=uart_t.req_string("kind", UART_KINDS),
        base=uart_t.req_integer("base"),
        baud=uart_t.req_integer("baud", 1),
        irq=uart_t.req_integer("irq"),
        tx_pin=uart_t.string("tx_pin", required=False),
        rx_pin=uart_t.string("rx_pin", required=False),
    )
    uart_t.reject_unknown()
    if family != "host" and uart.irq >= irq_count:
        raise BoardFileError(f"{path.name}: field 'uart.irq': {uart.irq} >= cpu.irq_count")

    cyc = top.sub("cycles")
    counter = cyc.req_string("counter", CYCLE_COUNTERS)
    unit = cyc.req_string("unit", CYCLE_UNITS)
    cyc.reject_unknown()

    fl = top.sub("flash")
    flasher = fl.req_string("tool", FLASHERS)
    qemu_machine = fl.string("qemu_machine", required=False)
    pyocd_target = fl.string("pyocd_target", required=False)
    openocd_config = fl.string("openocd_config", required=False)
    uf2_family_id = fl.integer("uf2_family_id", required=False)
    fl.reject_unknown()
    if flasher == "qemu" and qemu_machine is None:
        raise BoardFileError(f"{path.name}: field 'flash.qemu_machine': missing")
    if flasher == "uf2" and uf2_family_id is None:
        raise BoardFileError(f"{path.name}: field 'flash.uf2_family_id': missing")
    if emulated != (flasher == "qemu"):
        raise BoardFileError(f"{path.name}: field 'emulated': emulated boards flash with qemu")

    usb_ids = top.usb_ids("usb_ids")
    boot2 = top.string("boot2", BOOT2_KINDS, required=False)
    if family == "rp2040" and boot2 is None:
        raise BoardFileError(f"{path.name}: field 'boot2': an RP2040 needs a boot2 stage")
    top.reject_unknown()

    return Board(
        name=name,
        description=description,
        family=family,
        cpu=cpu,
        fpu=fpu,
        float_abi=float_abi,
        dsp=dsp,
        mve=mve,
        flash_base=flash_base,
        flash_bytes=flash_bytes,
        ram_base=ram_base,
        ram_bytes=ram_bytes,
        stack_bytes=stack_bytes,
        clock_hz=clock_hz,
        irq_count=irq_count,
        uart=uart,
        cycle_counter=counter,
        cycle_unit=unit,
        flasher=flasher,
        emulated=emulated,
        qemu_machine=qemu_machine,
        pyocd_target=pyocd_target,
        openocd_config=openocd_config,
        uf2_family_id=uf2_family_id,
        boot2=boot2,
        usb_ids=usb_ids,
        source=path,
    )


def load_boards(directory: Path | None = None) -> dict[str, Board]:
    """All boards in ``directory`` (default: the packaged registry), sorted by name."""
    if directory is None:
        return dict(_packaged_boards())
    return {p.stem: parse_board(p) for p in sorted(directory.glob("*.toml"))}


@lru_cache(maxsize=1)
def _packaged_boards() -> tuple[tuple[str, Board], ...]:
    return tuple((p.stem, parse_board(p)) for p in sorted(BOARDS_DIR.glob("*.toml")))


def get_board(name: str) -> Board:
    boards = load_boards()
    if name not in boards:
        raise UnknownBoardError(f"unknown board {name!r}; known boards: {', '.join(boards)}")
    return boards[name]
