"""SCons glue: environments, builders and targets.

Used from the SConstruct (`microforge.build.main.configure` and `.build`); the modules that
do not import SCons (`model_c`, `elf`, `size`, `runners`, `output`, `listing`) are usable
from plain Python too.
"""
