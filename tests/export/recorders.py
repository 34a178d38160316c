"""Vendor CMake functions as recorders, for `cmake -P` runs of exported ESP-IDF and Mbed
projects (neither SDK exists here). Each recorder appends one line per call to a file:
the command name and its arguments, tab-separated. The tests then assert the calls."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from export_support import run

RECORDER_COMMON = r"""
function(mf_record)
  list(JOIN ARGN "\t" line)
  file(APPEND "${MF_RECORD_FILE}" "${line}\n")
endfunction()
foreach(mf_command IN ITEMS target_compile_options target_compile_definitions
        target_include_directories target_link_libraries target_link_options add_subdirectory
        add_executable add_library set_target_properties)
  cmake_language(EVAL CODE "
    function(${mf_command})
      mf_record(${mf_command} \${ARGN})
    endfunction()")
endforeach()
"""

# ESP-IDF's tools/cmake/project.cmake, recording. project() then does what idf.py's build does
# with components: sets COMPONENT_NAME/COMPONENT_DIR and includes each component's
# CMakeLists.txt (components/*, then main).
IDF_PROJECT = RECORDER_COMMON + r"""
function(idf_component_register)
  mf_record(idf_component_register "${COMPONENT_NAME}" ${ARGN})
  set(COMPONENT_LIB "__idf_${COMPONENT_NAME}" PARENT_SCOPE)
endfunction()
macro(project name)
  mf_record(project ${name} ${ARGN})
  file(GLOB mf_components LIST_DIRECTORIES true "${CMAKE_CURRENT_LIST_DIR}/components/*")
  list(SORT mf_components)
  foreach(COMPONENT_DIR IN LISTS mf_components ITEMS "${CMAKE_CURRENT_LIST_DIR}/main")
    get_filename_component(COMPONENT_NAME "${COMPONENT_DIR}" NAME)
    include("${COMPONENT_DIR}/CMakeLists.txt")
  endforeach()
endmacro()
"""

# Mbed CE's mbed-os/tools/cmake/mbed_toolchain_setup.cmake and mbed_project_setup.cmake.
MBED_TOOLCHAIN_SETUP = RECORDER_COMMON + r"""
mf_record(include mbed_toolchain_setup "MBED_TARGET=${MBED_TARGET}"
          "MBED_APP_JSON_PATH=${MBED_APP_JSON_PATH}")
list(APPEND CMAKE_MODULE_PATH "${CMAKE_CURRENT_LIST_DIR}")
set(MBED_CONFIG_DEFINITIONS "")
function(project)
  mf_record(project ${ARGN})
endfunction()
function(mbed_set_post_build)
  mf_record(mbed_set_post_build ${ARGN})
endfunction()
"""
MBED_PROJECT_SETUP = r"""
mf_record(include mbed_project_setup)
"""


@dataclass
class Call:
    command: str
    args: list[str]


def read_calls(path: Path) -> list[Call]:
    calls = []
    for line in path.read_text().splitlines():
        words = line.split("\t")
        calls.append(Call(words[0], words[1:]))
    return calls


def record_idf(project: Path, work: Path) -> list[Call]:
    idf = work / "idf"
    (idf / "tools" / "cmake").mkdir(parents=True)
    (idf / "tools" / "cmake" / "project.cmake").write_text(IDF_PROJECT)
    record = work / "idf-calls.txt"
    env = {"IDF_PATH": str(idf), "PATH": "/usr/bin:/bin"}
    run(["cmake", f"-DMF_RECORD_FILE={record}", "-P", project / "CMakeLists.txt"],
        cwd=project, env=env, timeout=60)
    return read_calls(record)


def record_mbed(project: Path, work: Path) -> list[Call]:
    """Runs the Mbed CE CMakeLists.txt with a recording stand-in for ./mbed-os."""
    tools = project / "mbed-os" / "tools" / "cmake"
    tools.mkdir(parents=True, exist_ok=True)
    (tools / "mbed_toolchain_setup.cmake").write_text(MBED_TOOLCHAIN_SETUP)
    (tools / "mbed_project_setup.cmake").write_text(MBED_PROJECT_SETUP)
    record = work / "mbed-calls.txt"
    run(["cmake", f"-DMF_RECORD_FILE={record}", "-P", project / "CMakeLists.txt"],
        cwd=project, env={"PATH": "/usr/bin:/bin"}, timeout=60)
    return read_calls(record)


def keyword_lists(args: list[str], keywords: tuple[str, ...]) -> dict[str, list[str]]:
    """SRCS a b INCLUDE_DIRS c -> {"SRCS": [a, b], "INCLUDE_DIRS": [c]}."""
    result: dict[str, list[str]] = {}
    current = None
    for word in args:
        if word in keywords:
            current = word
            result.setdefault(word, [])
        elif current is None:
            raise AssertionError(f"argument {word!r} before any of {keywords}")
        else:
            result[current].append(word)
    return result
