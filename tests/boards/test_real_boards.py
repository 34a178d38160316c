"""Images for the real boards match their memory maps: vector table, entry, load address."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from board_firmware import (
    FIRMWARE,
    REAL_BOARDS,
    check_vector_table,
    compile_firmware,
    load_board,
    load_segments,
    objcopy,
    symbols,
)

LOAD_ADDRESSES = {"sparkfun_edge": 0xC000, "disco_f746ng": 0x08000000}


@pytest.fixture(scope="module", params=REAL_BOARDS)
def image(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    board = request.param
    out = tmp_path_factory.mktemp(board)
    elf = compile_firmware(board, [FIRMWARE / "console.c"], out, "console").elf
    return board, elf


def test_load_address_is_the_boards(image: tuple[str, Path]) -> None:
    board, elf = image
    data = load_board(board)
    flash = data["memory"]["flash"]
    assert flash["origin"] == LOAD_ADDRESSES[board]
    assert data["flash"]["load_address"] == LOAD_ADDRESSES[board]
    segments = load_segments(elf)
    assert min(address for address, _ in segments) == LOAD_ADDRESSES[board]
    for address, size in segments:
        assert flash["origin"] <= address and address + size <= flash["origin"] + flash["size"]


def test_vector_table_matches_memory_map(image: tuple[str, Path]) -> None:
    board, elf = image
    check_vector_table(board, elf)


def test_disco_hex_image_matches_the_binary(tmp_path: Path) -> None:
    elf = compile_firmware("disco_f746ng", [FIRMWARE / "console.c"], tmp_path, "console").elf
    binary = objcopy("disco_f746ng", elf, "binary").read_bytes()
    memory: dict[int, int] = {}
    upper = 0
    for line in objcopy("disco_f746ng", elf, "ihex").read_text().splitlines():
        raw = bytes.fromhex(line[1:])
        assert sum(raw) % 256 == 0, f"bad checksum in {line}"
        count, offset, kind = raw[0], int.from_bytes(raw[1:3], "big"), raw[3]
        payload = raw[4:4 + count]
        if kind == 0x04:
            upper = int.from_bytes(payload, "big") << 16
        elif kind == 0x00:
            for i, byte in enumerate(payload):
                memory[upper + offset + i] = byte
    start = min(memory)
    assert start == 0x08000000
    assert bytes(memory[start + i] for i in range(len(binary))) == binary
    assert "hex" in load_board("disco_f746ng")["images"]


def test_disco_stack_and_small_arena_sit_in_dtcm(tmp_path: Path) -> None:
    main = tmp_path / "arena_main.c"
    main.write_text(
        '#include <stdint.h>\n#include "mf_board.h"\n'
        "volatile uint8_t tensor_arena[16384] __attribute__((aligned(16)));\n"
        "volatile uint32_t other_state[4];\n"
        "int main(void) {\n  mf_board_init();\n  tensor_arena[1] = 1;\n  other_state[0] = 2;\n"
        "  return tensor_arena[1] + (int)other_state[0];\n}\n"
    )
    elf = compile_firmware("disco_f746ng", [main], tmp_path, "arena").elf
    syms = symbols(elf)
    dtcm_end = 0x20010000
    assert syms["__stack_top"] <= dtcm_end
    assert syms["__stack_guard_start"] == 0x20000000
    assert syms["tensor_arena"] % 16 == 0
    assert syms["tensor_arena"] + 16384 <= dtcm_end
    assert syms["other_state"] >= syms["tensor_arena"] + 16384


def test_edge_links_for_the_svl_at_0x10000(tmp_path: Path) -> None:
    elf = compile_firmware("sparkfun_edge", [FIRMWARE / "console.c"], tmp_path, "svl",
                           extra_ldflags=("-Wl,--defsym=MF_APP_ORIGIN=0x10000",)).elf
    assert min(address for address, _ in load_segments(elf)) == 0x10000
    assert symbols(elf)["mf_vector_table"] == 0x10000
    assert load_board("sparkfun_edge")["flash"]["svl_load_address"] == 0x10000


def test_edge_rejects_an_origin_no_bootloader_uses(tmp_path: Path) -> None:
    result = compile_firmware("sparkfun_edge", [FIRMWARE / "console.c"], tmp_path, "bad",
                              extra_ldflags=("-Wl,--defsym=MF_APP_ORIGIN=0x8000",), check=False)
    assert result.returncode != 0
    assert "MF_APP_ORIGIN must be 0xC000" in result.output


@pytest.mark.parametrize("board", REAL_BOARDS)
def test_too_much_static_ram_fails_the_link(board: str, tmp_path: Path) -> None:
    ram = load_board(board)["memory"]["ram"]
    result = compile_firmware(board, [FIRMWARE / "oversize.c"], tmp_path, "too_big",
                              defines=(f"OVERSIZE_RAM={ram['size']}",), check=False)
    assert result.returncode != 0
    match = re.search(r"region `RAM' overflowed by (\d+) bytes", result.output)
    assert match, result.output
    assert int(match.group(1)) > 16 * 1024  # at least the stack that no longer fits


@pytest.mark.parametrize("board", REAL_BOARDS)
def test_too_large_image_fails_the_link(board: str, tmp_path: Path) -> None:
    flash = load_board(board)["memory"]["flash"]
    result = compile_firmware(board, [FIRMWARE / "oversize.c"], tmp_path, "too_big",
                              defines=(f"OVERSIZE_FLASH={flash['size']}",), check=False)
    assert result.returncode != 0
    match = re.search(r"region `FLASH' overflowed by (\d+) bytes", result.output)
    assert match, result.output
    assert int(match.group(1)) > 0
