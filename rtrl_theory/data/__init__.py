"""Data processes (Section 2.1 of [P1]): contracting input chains and bounded-noise targets."""

from ._chains import DataProcess, DataStream, ExampleChain, LipschitzTarget, TeacherTarget

__all__ = ["DataProcess", "DataStream", "ExampleChain", "LipschitzTarget", "TeacherTarget"]
