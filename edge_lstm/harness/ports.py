"""Which serial port is the board: USB VID:PID of the connected ports against the board files.

Each real board's file lists the USB ids of the adapter its console UART reaches the PC through
(``usb_ids``: an ST-LINK, a J-Link OB, a DAPLink, the RP2040's own CDC). One connected port with
one of those ids is the board; several are listed with a request for ``-p``, none is an error
that shows what is connected. Detection only reads ``serial.tools.list_ports``; it never opens a
port, since opening some adapters resets the board behind them.

The debug probes (for ``flash --probe UID``) are listed through pyOCD when it is installed
(``pip install "edge-lstm[flash]"``); without it the list is None, not empty: nothing was asked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from edge_lstm.errors import BadInputError, MissingToolError

#: The source of connected ports: ``serial.tools.list_ports.comports`` (tests pass their own).
Comports = Callable[[], Iterable[Any]]
#: The source of connected debug probes: pyOCD's, or None when pyOCD is not installed.
Probes = Callable[[], "Iterable[Any] | None"]


@dataclass(frozen=True)
class DebugProbe:
    """One debug probe pyOCD sees; ``unique_id`` is what ``flash --probe`` takes."""

    unique_id: str
    description: str
    vendor: str
    product: str

    def as_dict(self) -> dict[str, str]:
        return {
            "unique_id": self.unique_id,
            "description": self.description,
            "vendor": self.vendor,
            "product": self.product,
        }

    def describe(self) -> str:
        return f"{self.unique_id} ({self.description})"


def _pyocd_probes() -> Iterable[Any] | None:
    try:
        from pyocd.core.helpers import ConnectHelper
    except ImportError:
        return None
    return ConnectHelper.get_all_connected_probes(blocking=False, print_wait_message=False)


def debug_probes(probes: Probes | None = None) -> list[DebugProbe] | None:
    """The connected debug probes, sorted by unique id; None when pyOCD is not installed."""
    found = (probes or _pyocd_probes)()
    if found is None:
        return None
    return sorted(
        (
            DebugProbe(
                unique_id=str(probe.unique_id),
                description=str(getattr(probe, "description", "") or "n/a"),
                vendor=str(getattr(probe, "vendor_name", "") or ""),
                product=str(getattr(probe, "product_name", "") or ""),
            )
            for probe in found
        ),
        key=lambda probe: probe.unique_id,
    )


@dataclass(frozen=True)
class SerialPort:
    """One connected serial port and the boards whose usb_ids it matches."""

    device: str
    usb_id: str | None  # "VID:PID", upper-case hex; None for a port without USB ids
    description: str
    serial_number: str | None
    boards: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "usb_id": self.usb_id,
            "description": self.description,
            "serial_number": self.serial_number,
            "boards": list(self.boards),
        }

    def describe(self) -> str:
        usb = self.usb_id or "no USB id"
        boards = f" -> {', '.join(self.boards)}" if self.boards else ""
        return f"{self.device} ({usb}, {self.description}){boards}"


def _system_comports() -> Iterable[Any]:
    from serial.tools import list_ports

    return list_ports.comports()


def usb_id(info: Any) -> str | None:
    """The "VID:PID" of a pyserial ListPortInfo, or None when the port has no USB ids."""
    if getattr(info, "vid", None) is None or getattr(info, "pid", None) is None:
        return None
    return f"{info.vid:04X}:{info.pid:04X}"


def serial_ports(boards: Sequence[Any], comports: Comports | None = None) -> list[SerialPort]:
    """Every connected port (sorted by device), each with the boards whose usb_ids it has."""
    found = []
    for info in (comports or _system_comports)():
        ident = usb_id(info)
        matches = tuple(b.name for b in boards if ident is not None and ident in b.usb_ids)
        found.append(
            SerialPort(
                device=str(info.device),
                usb_id=ident,
                description=str(getattr(info, "description", "") or "n/a"),
                serial_number=getattr(info, "serial_number", None),
                boards=matches,
            )
        )
    return sorted(found, key=lambda port: port.device)


def find_board_port(board: Any, comports: Comports | None = None) -> str:
    """The one connected port whose USB id is in ``board.usb_ids``.

    Several matches: BadInputError listing them (the user picks one with -p). None:
    MissingToolError (exit 3) listing what is connected.
    """
    ports = serial_ports([board], comports)
    matches = [port for port in ports if port.boards]
    if len(matches) == 1:
        return matches[0].device
    if matches:
        listed = "\n".join(port.describe() for port in matches)
        raise BadInputError(
            f"{len(matches)} connected serial ports look like a {board.name}; pick one with "
            f"-p PORT:\n{listed}"
        )
    if not board.usb_ids:
        raise MissingToolError(
            f"{board.name} lists no USB ids to find its serial port by: pass -p PORT"
        )
    seen = "\n".join(port.describe() for port in ports) or "no serial ports at all"
    raise MissingToolError(
        f"no connected serial port has the USB id of a {board.name} "
        f"({', '.join(board.usb_ids)}): is it plugged in? Connected:\n{seen}"
    )
