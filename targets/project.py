"""Add board support to a firmware folder: bsp/ sources, linker script, el_board.h, Makefile.

Everything generated here is plain text that builds with `make -C DIR` and nothing from
edge-lstm, so a user can take the folder to a machine with only the cross compiler on it.
"""

from __future__ import annotations

import json
import re
import shutil
from fractions import Fraction
from pathlib import Path

from targets.errors import BoardFileError, TargetError
from targets.registry import Board

BSP_ROOT = Path(__file__).parent / "bsp"
UF2_SCRIPT = Path(__file__).parent / "uf2.py"
SOURCE_DIRS = ("model", "runtime", "app", "bsp")

# The firmware's compile and link flags, defined once: the Makefile written here and the CMake,
# PlatformIO and Arduino projects made from the same folder (edge_lstm.project_formats) must
# build the same code the same way.
OPT = "-O2"
C_STD = "-std=c99"
C_WARNINGS = ("-Wall", "-Wextra", "-Werror")
SECTION_FLAGS = ("-ffunction-sections", "-fdata-sections")
#: Bare metal: our own start-up code, newlib-nano, no system calls.
CROSS_LINK_FLAGS = ("-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs")
#: RP2040: the boot ROM copies boot2 (256 bytes) to the top of SRAM and runs it there, so it is
#: assembled and linked alone at that address, then padded and checksummed (el_boot2_pad.py).
BOOT2_ADDRESS = 0x20041F00
BOOT2_FLAGS = (
    "-mcpu=cortex-m0plus",
    "-mthumb",
    "-nostdlib",
    "-Wl,-e,_stage2_boot",
    f"-Wl,--section-start=.text=0x{BOOT2_ADDRESS:08x}",
)


def add_board_support(project_dir: Path, board: Board) -> None:
    """Write bsp/ (family + common sources, linker.ld, el_board.h) and the Makefile.

    An existing bsp/ is replaced so that re-targeting a folder to another board leaves no stale
    sources of the previous family behind.
    """
    project_dir = Path(project_dir)
    bsp = project_dir / "bsp"
    if bsp.exists():
        shutil.rmtree(bsp)
    bsp.mkdir(parents=True)
    folders = ["common", board.family] if board.is_host else ["common", "cortexm", board.family]
    for folder in folders:
        for src in sorted((BSP_ROOT / folder).iterdir()):
            if src.is_file():
                shutil.copy2(src, bsp / src.name)
    if board.family == "rp2040":
        shutil.copy2(UF2_SCRIPT, bsp / "el_uf2.py")
    (bsp / "el_board.h").write_text(board_header(board), encoding="utf-8")
    if not board.is_host:
        (bsp / "linker.ld").write_text(linker_script(board), encoding="utf-8")
    (project_dir / "Makefile").write_text(makefile(board), encoding="utf-8")
    _record_board(project_dir, board)


def _record_board(project_dir: Path, board: Board) -> None:
    """Keep edge_lstm.json's "board" in step with the bsp/ just written."""
    meta_path = project_dir / "edge_lstm.json"
    meta: dict[str, object] = {}
    if meta_path.exists():
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise TargetError(f"{meta_path}: not valid JSON: {exc}") from exc
    meta["board"] = board.name
    meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


def parse_pin(board: Board, text: str) -> tuple[int, int]:
    """(port, pin) from the datasheet spellings used in the TOML files: PA2, P1.03, GP0."""
    for pattern, port_of in (
        (r"P([A-K])(\d+)", lambda s: ord(s) - ord("A")),
        (r"P(\d)\.(\d+)", int),
        (r"GP()(\d+)", lambda s: 0),
    ):
        match = re.fullmatch(pattern, text)
        if match:
            return port_of(match.group(1)), int(match.group(2))
    raise BoardFileError(f"{board.name}.toml: field 'uart.tx_pin/rx_pin': cannot read {text!r}")


#: Sub-instruction resolution of el_bsp_cycles() on emulated boards: 2^-3 instruction.
FRAC_BITS_EMULATED = 3
#: QEMU's -icount shift: one instruction = 2^7 ns of virtual time (targets.qemu passes it),
#: unless the board's SysTick is too slow for that (icount_shift).
ICOUNT_SHIFT = 7


def icount_shift(board: Board) -> int:
    """The -icount shift for ``board``: ICOUNT_SHIFT, raised while one SysTick tick plus the
    1/8-instruction resolution is not under half an instruction, which tick_scale's rounding
    needs to be exact. Only a slow SysTick raises it: the nRF51's 16 MHz tick (62.5 ns) is 0.49
    instructions at shift 7 and 0.24 at shift 8. The shift sets the virtual time an instruction
    takes; which instructions are counted does not change.
    """
    shift = ICOUNT_SHIFT
    tick_ns = Fraction(10**9, board.clock_hz)
    while tick_ns + Fraction(1 << shift, 1 << FRAC_BITS_EMULATED) >= Fraction(1 << shift, 2):
        shift += 1
    return shift


def tick_scale(board: Board) -> tuple[int, int, int]:
    """(multiplier, shift, fraction bits) taking counter ticks to EL_BSP_CYCLE_UNIT units.

    Under QEMU's ``-icount shift=7`` each instruction takes 128 ns of virtual time, so a SysTick
    tick at clock_hz is (1e9 / clock_hz) / 128 instructions: a fraction. el_bsp_cycles() counts
    in 1/8 instructions and el_bsp_cycles_elapsed() rounds a difference to whole instructions.
    A measurement starts at an arbitrary phase of the tick (it depends on when the host's byte
    arrived), so the raw tick difference jitters by one tick; one tick is under 0.32
    instructions on every emulated board (at icount_shift: 0.24 on the nRF51), and with the 1/8
    resolution the error stays below half an instruction, so the rounded count is exact and
    repeatable.
    """
    if board.cycle_counter != "systick" or board.cycle_unit != "instructions":
        return 1, 0, 0
    unit_ns = Fraction(1 << icount_shift(board), 1 << FRAC_BITS_EMULATED)
    ratio = Fraction(10**9, board.clock_hz) / unit_ns
    shift = ratio.denominator.bit_length() - 1
    if ratio.denominator != 1 << shift:
        raise BoardFileError(
            f"{board.name}.toml: field 'cpu.clock_hz': 1e9/{board.clock_hz} ns per tick is not "
            "a whole number of 1/8 instructions times a power of two"
        )
    return ratio.numerator, shift, FRAC_BITS_EMULATED


def board_header(board: Board) -> str:
    lines = [
        f"/* Generated from the board registry (targets/boards/{board.name}.toml). Do not edit. */",
        "#ifndef EL_BOARD_H",
        "#define EL_BOARD_H",
        "",
        f'#define EL_BOARD_NAME "{board.name}"',
        f'#define EL_BOARD_CPU "{board.cpu}"',
        f'#define EL_BSP_CYCLE_UNIT "{board.cycle_unit}"',
        f"#define EL_BOARD_CPU_HZ {board.clock_hz}u",
        f"#define EL_BOARD_FLASH_BASE 0x{board.flash_base:08X}u",
        f"#define EL_BOARD_FLASH_BYTES {board.flash_bytes}u",
        f"#define EL_BOARD_RAM_BASE 0x{board.ram_base:08X}u",
        f"#define EL_BOARD_RAM_BYTES {board.ram_bytes}u",
        f"#define EL_BOARD_STACK_BYTES {board.stack_bytes}u",
        f"#define EL_BOARD_IRQ_COUNT {board.irq_count}",
        f"#define EL_BOARD_EMULATED {int(board.emulated)}",
        f"#define EL_BOARD_UART_BASE 0x{board.uart.base:08X}u",
        f"#define EL_BOARD_UART_BAUD {board.uart.baud}u",
        f"#define EL_BOARD_UART_IRQ {board.uart.irq}",
        f"#define EL_BOARD_UART_CLOCK_HZ {board.clock_hz}u",
        f"#define EL_BOARD_UART_KIND_{board.uart.kind.upper()} 1",
    ]
    for role, pin in (("TX", board.uart.tx_pin), ("RX", board.uart.rx_pin)):
        if pin is not None:
            port, number = parse_pin(board, pin)
            lines += [
                f"#define EL_BOARD_UART_{role}_PORT {port}u",
                f"#define EL_BOARD_UART_{role}_PIN {number}u",
            ]
    mul, shift, frac_bits = tick_scale(board)
    lines += [
        f"#define EL_BSP_COUNTER_{board.cycle_counter.upper()} 1",
        f"#define EL_BSP_TICK_MUL {mul}u",
        f"#define EL_BSP_TICK_SHIFT {shift}u",
        f"#define EL_BSP_CYCLE_FRAC_BITS {frac_bits}u",
        "",
        "#endif /* EL_BOARD_H */",
        "",
    ]
    return "\n".join(lines)


def linker_script(board: Board) -> str:
    """GNU ld script from the board's memory map.

    The stack sits at the bottom of RAM so that an overflow runs off the start of RAM and faults
    instead of silently overwriting .data/.bss.
    """
    boot2 = ""
    if board.boot2 is not None:
        boot2 = """
    .boot2 : {
        __el_boot2_start = .;
        KEEP(*(.boot2))
        ASSERT(. - __el_boot2_start == 256, "boot2 must be exactly 256 bytes");
    } > FLASH
"""
    return f"""/* Generated from targets/boards/{board.name}.toml. Do not edit. */
ENTRY(Reset_Handler)

MEMORY
{{
    FLASH (rx)  : ORIGIN = 0x{board.flash_base:08X}, LENGTH = {board.flash_bytes}
    RAM   (rwx) : ORIGIN = 0x{board.ram_base:08X}, LENGTH = {board.ram_bytes}
}}

__el_stack_size = {board.stack_bytes};

SECTIONS
{{{boot2}
    .isr_vector : ALIGN(4) {{
        KEEP(*(.isr_vector))
    }} > FLASH

    .text : ALIGN(4) {{
        *(.text .text.*)
        *(.glue_7) *(.glue_7t) *(.vfp11_veneer) *(.v4_bx)
        KEEP(*(.init)) KEEP(*(.fini))
    }} > FLASH

    .rodata : ALIGN(4) {{
        KEEP(*(.el_board_info))
        *(.rodata .rodata.*)
        . = ALIGN(4);
    }} > FLASH

    .ARM.extab : {{ *(.ARM.extab* .gnu.linkonce.armextab.*) }} > FLASH
    .ARM.exidx : {{
        __exidx_start = .;
        *(.ARM.exidx* .gnu.linkonce.armexidx.*)
        __exidx_end = .;
    }} > FLASH

    .preinit_array : ALIGN(4) {{
        PROVIDE_HIDDEN(__preinit_array_start = .);
        KEEP(*(.preinit_array*))
        PROVIDE_HIDDEN(__preinit_array_end = .);
    }} > FLASH
    .init_array : ALIGN(4) {{
        PROVIDE_HIDDEN(__init_array_start = .);
        KEEP(*(SORT(.init_array.*)))
        KEEP(*(.init_array*))
        PROVIDE_HIDDEN(__init_array_end = .);
    }} > FLASH
    .fini_array : ALIGN(4) {{
        PROVIDE_HIDDEN(__fini_array_start = .);
        KEEP(*(SORT(.fini_array.*)))
        KEEP(*(.fini_array*))
        PROVIDE_HIDDEN(__fini_array_end = .);
    }} > FLASH

    .stack (NOLOAD) : ALIGN(8) {{
        __el_stack_bottom = .;
        . = . + __el_stack_size;
        __el_stack_top = .;
    }} > RAM

    .data : ALIGN(4) {{
        __el_data_start = .;
        *(.data .data.*)
        . = ALIGN(4);
        __el_data_end = .;
    }} > RAM AT > FLASH
    __el_data_load = LOADADDR(.data);

    .bss (NOLOAD) : ALIGN(4) {{
        __el_bss_start = .;
        *(.bss .bss.*)
        *(COMMON)
        . = ALIGN(4);
        __el_bss_end = .;
    }} > RAM

    /* newlib's _sbrk (nosys) grows the heap from `end` up to the end of RAM. */
    end = .;
    PROVIDE(_end = .);
    __el_heap_limit = ORIGIN(RAM) + LENGTH(RAM);

    /DISCARD/ : {{ *(.ARM.attributes.discard) }}
}}
"""


# Runtime tflm: model/tflm.mk (firmware_gen.tflm) names the TFLM tree, its sources and flags.
# The library is compiled with them alone (TFLM's own warnings are not ours to fail on) into
# $(BUILD)/libtflm.a (objects in $(TFLM_BUILD), which folders built with the same tree, board and
# OPT may share); linking against the archive keeps only the objects the interpreter and
# the registered kernels use. The generated glue (model/*.cc) gets the same TFLM defines, which
# must match the library's. A change of TFLM_ARENA_BYTES (make TFLM_ARENA_BYTES=N, to measure
# the arena minimum) rebuilds the glue through a stamp file holding the value.
_TFLM_VARS = """\
ifneq ($(wildcard model/tflm.mk),)
include model/tflm.mk
CXXFLAGS += $(TFLM_CXXFLAGS) $(TFLM_APP_DEFINES)
TFLM_BUILD ?= $(BUILD)/tflm
TFLM_OBJS := $(patsubst $(TFLM_DIR)/%.cc,$(TFLM_BUILD)/%.o,$(TFLM_SRCS)) \\
             $(patsubst $(TFLM_DIR)/%.c,$(TFLM_BUILD)/%.o,$(TFLM_CSRCS))
TFLM_LIB := $(BUILD)/libtflm.a
TFLM_ARENA_STAMP := $(BUILD)/tflm_arena_bytes
$(shell mkdir -p $(BUILD) && (echo '$(strip $(TFLM_ARENA_BYTES))' | \\
    cmp -s - $(TFLM_ARENA_STAMP) || echo '$(strip $(TFLM_ARENA_BYTES))' > $(TFLM_ARENA_STAMP)))
endif
"""

_TFLM_RULES = """\
ifneq ($(TFLM_LIB),)
$(TFLM_BUILD)/%.o: $(TFLM_DIR)/%.cc
\t@mkdir -p $(dir $@)
\t$(CXX) $(ARCH) $(OPT) -g $(TFLM_CXXFLAGS) -c $< -o $@

$(TFLM_BUILD)/%.o: $(TFLM_DIR)/%.c
\t@mkdir -p $(dir $@)
\t$(CC) $(ARCH) $(OPT) -g $(TFLM_CFLAGS) -c $< -o $@

$(TFLM_LIB): $(TFLM_OBJS)
\trm -f $@
\t$(AR) rcs $@ $(TFLM_OBJS)

$(patsubst %.cc,$(BUILD)/obj/%.o,$(wildcard model/*.cc)): $(TFLM_ARENA_STAMP)
endif

"""

_COMMON_VARS = (
    f"""\
OPT      ?= {OPT}
BUILD    ?= build
DIRS     := model runtime app bsp
INCLUDES := $(foreach d,$(DIRS),-I$(d))
SRCS_C   := $(shell find $(DIRS) -name '*.c' 2>/dev/null | sort)
SRCS_CC  := $(shell find $(DIRS) -name '*.cc' 2>/dev/null | sort)
OBJS     := $(patsubst %.c,$(BUILD)/obj/%.o,$(SRCS_C)) \\
            $(patsubst %.cc,$(BUILD)/obj/%.o,$(SRCS_CC))
CWARN    ?= {" ".join(C_WARNINGS)}
CXXWARN  ?= -Wall -Wextra -Wno-unused-parameter
CFLAGS   += $(ARCH) $(OPT) -g {C_STD} $(CWARN) {" ".join(SECTION_FLAGS)} \\
            $(INCLUDES) -MMD -MP
CXXFLAGS += $(ARCH) $(OPT) -g -std=c++17 $(CXXWARN) -fno-exceptions -fno-rtti \\
            -fno-threadsafe-statics {" ".join(SECTION_FLAGS)} $(INCLUDES) -MMD -MP
LINKER   := $(if $(SRCS_CC),$(CXX),$(CC))
TFLM_LIB :=
"""
    + _TFLM_VARS
)

_COMMON_RULES = (
    _TFLM_RULES
    + """\
$(BUILD)/obj/%.o: %.c
\t@mkdir -p $(dir $@)
\t$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: %.cc
\t@mkdir -p $(dir $@)
\t$(CXX) $(CXXFLAGS) -c $< -o $@

clean:
\trm -rf $(BUILD)

-include $(OBJS:.o=.d)
"""
)


def makefile(board: Board) -> str:
    header = (
        f"# Generated for board {board.name} (targets/boards/{board.name}.toml).\n"
        "# Builds standalone: make -C <this folder> [OPT=-O3]\n\n"
    )
    if board.is_host:
        return header + _host_makefile()
    arch = " ".join(board.gcc_arch_flags())
    extra_objs = ""
    extra_rules = ""
    outputs = "$(BUILD)/firmware.elf $(BUILD)/firmware.bin $(BUILD)/firmware.hex"
    if board.boot2 is not None:
        extra_objs = "$(BUILD)/boot2/boot2_padded.o"
        extra_rules = f"""
# boot2: assembled and linked alone at the SRAM address the boot ROM copies it to, then padded
# to 252 bytes plus the CRC32 the boot ROM checks.
$(BUILD)/boot2/boot2.elf: bsp/el_boot2_{board.boot2}.S
\t@mkdir -p $(dir $@)
\t$(CC) {" ".join(BOOT2_FLAGS)} $< -o $@

$(BUILD)/boot2/boot2.bin: $(BUILD)/boot2/boot2.elf
\t$(OBJCOPY) -O binary $< $@

$(BUILD)/boot2/boot2_padded.S: $(BUILD)/boot2/boot2.bin bsp/el_boot2_pad.py
\t$(PYTHON) bsp/el_boot2_pad.py $< $@

$(BUILD)/boot2/boot2_padded.o: $(BUILD)/boot2/boot2_padded.S
\t$(CC) $(ARCH) -c $< -o $@

$(BUILD)/firmware.uf2: $(BUILD)/firmware.bin bsp/el_uf2.py
\t$(PYTHON) bsp/el_uf2.py $< $@ --base 0x{board.flash_base:08x} \
--family 0x{board.uf2_family_id or 0:08x}
"""
        outputs += " $(BUILD)/firmware.uf2"
    return (
        header
        + f"""\
CROSS   ?= arm-none-eabi-
CC      := $(CROSS)gcc
CXX     := $(CROSS)g++
OBJCOPY := $(CROSS)objcopy
AR      := $(CROSS)ar
SIZE    := $(CROSS)size
PYTHON  ?= python3
ARCH    := {arch}
LDFLAGS += $(ARCH) -T bsp/linker.ld {" ".join(CROSS_LINK_FLAGS)} \\
           -Wl,--gc-sections -Wl,-Map=$(BUILD)/firmware.map -Wl,--print-memory-usage
LDLIBS  += -lm

{_COMMON_VARS}
all: {outputs}
.PHONY: all clean

{_COMMON_RULES}
$(BUILD)/firmware.elf: $(OBJS) {extra_objs} $(TFLM_LIB) bsp/linker.ld
\t$(LINKER) $(LDFLAGS) $(OBJS) {extra_objs} $(TFLM_LIB) $(LDLIBS) -o $@

$(BUILD)/firmware.bin: $(BUILD)/firmware.elf
\t$(OBJCOPY) -O binary $< $@

$(BUILD)/firmware.hex: $(BUILD)/firmware.elf
\t$(OBJCOPY) -O ihex $< $@
{extra_rules}"""
    )


def _host_makefile() -> str:
    return f"""\
CC      ?= cc
CXX     ?= c++
ARCH    :=
SANITIZE ?= 0
ifeq ($(SANITIZE),1)
ARCH    += -fsanitize=address,undefined -fno-omit-frame-pointer
endif
LDFLAGS += $(ARCH) -Wl,--gc-sections
LDLIBS  += -lm

{_COMMON_VARS}
all: $(BUILD)/firmware.elf
.PHONY: all clean

{_COMMON_RULES}
$(BUILD)/firmware.elf: $(OBJS) $(TFLM_LIB)
\t$(LINKER) $(LDFLAGS) $(OBJS) $(TFLM_LIB) $(LDLIBS) -o $@
"""
