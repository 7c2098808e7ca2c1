"""JSON records: re-exported from the I/O leaf :mod:`rtrl_theory._outputs` (their home)."""

from rtrl_theory._outputs import atomic_path, environment_info, to_jsonable, write_json_atomic

__all__ = ["atomic_path", "write_json_atomic", "environment_info", "to_jsonable"]
