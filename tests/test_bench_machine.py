"""The bench's line on the host its figures come from (bench/bench_build.py `machine`)."""

from __future__ import annotations

from bench.bench_build import cpu_model

X86 = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 1
model name\t: AMD EPYC 7B13
flags\t\t: fpu vme sha_ni

processor\t: 1
model name\t: AMD EPYC 7B13
"""

ARM_SERVER = """processor\t: 0
BogoMIPS\t: 50.00
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32
CPU implementer\t: 0x41
"""


def test_the_processor_is_named_from_cpuinfo() -> None:
    assert cpu_model(X86) == "AMD EPYC 7B13"  # "model" (a number) is not "model name"


def test_a_cpuinfo_without_a_name_gives_a_question_mark() -> None:
    assert cpu_model(ARM_SERVER) == "?"
    assert cpu_model("") == "?"
