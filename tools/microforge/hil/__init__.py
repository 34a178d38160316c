"""Hardware-in-the-loop: protocol, results, farm and nightly runs.

- ``protocol``: the board output protocol (MF-SYNC, MF-CASE, MF-BENCH, MF-SUMMARY, MF-FAULT,
  MF-EXIT, TFLM's verdict lines), parsed from raw console bytes.
- ``result``: the outcome taxonomy (pass, assertion, crash, timeout, no_output, flash_error) and
  the result record every run produces (board identity, log path, cases, benches, fault).
- ``dut``: a board under test: flash, expect, results; ``open_emulated_dut`` and ``open_dut``.
- ``fault``: the MF-FAULT decoder (addr2line on the ELF).
"""
