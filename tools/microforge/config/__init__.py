"""Boards, toolchains, TFLM spellings and kernel variants, read from data."""
