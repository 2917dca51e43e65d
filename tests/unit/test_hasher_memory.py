"""Argon2id's 19 MiB working buffer goes back to the system after each hash (issue 10: RSS per
worker). Without the fixed mmap threshold glibc keeps one such buffer per hashing thread for
good; measured in a fresh interpreter so nothing else in the test run moves the figure."""

from __future__ import annotations

import subprocess
import sys

PROGRAM = """
import asyncio
from otpgate.adapters.passwords import Argon2Hasher

def rss_mib():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024

async def main():
    hasher = Argon2Hasher()
    stored = await hasher.hash("correct horse battery staple")
    before = rss_mib()
    await asyncio.gather(*(hasher.verify(stored, "wrong guess") for _ in range(12)))
    print(rss_mib() - before)
    hasher.close()

asyncio.run(main())
"""


def test_hashing_threads_do_not_keep_their_argon2_buffers() -> None:
    run = subprocess.run(
        [sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=60, check=True
    )
    grown = float(run.stdout.strip())
    # One buffer retained per thread would be >= 19 MiB; a few MiB is allocator noise.
    assert grown < 8, f"RSS grew by {grown:.1f} MiB over 12 verifies"
