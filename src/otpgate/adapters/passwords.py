"""Argon2id password hashing (argon2-cffi), run off the event loop on a bounded pool."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import os
import secrets
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter


def _return_big_buffers_to_the_system() -> None:
    """Each Argon2id call mallocs its whole memory cost (19 MiB) and frees it again. glibc
    raises its mmap threshold after the first such free, so later buffers come from the heap
    and stay resident: +19 MiB per hashing thread, for good. A fixed threshold keeps every
    buffer of 1 MiB and more mmapped, so it goes back to the system when the hash is done."""
    name = ctypes.util.find_library("c")
    if name is None:
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(name).mallopt(M_MMAP_THRESHOLD, 1024 * 1024)


class Argon2Hasher:
    """Implements the ``PasswordHasher`` port.

    The pool is as wide as the machine: each hash takes ~20 MiB and a core for tens of
    milliseconds, so more threads would only queue inside the CPU and the memory.
    """

    def __init__(
        self, *, time_cost: int = 2, memory_kib: int = 19456, parallelism: int = 1
    ) -> None:
        _return_big_buffers_to_the_system()
        self._hasher = PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_kib,
            parallelism=parallelism,
            hash_len=32,
            salt_len=16,
            type=Type.ID,
        )
        self._pool = ThreadPoolExecutor(
            max_workers=max(2, os.cpu_count() or 2), thread_name_prefix="argon2"
        )
        # A real hash of a random password, so unknown accounts cost one genuine verify.
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._verify, password_hash, password)

    async def burn(self, password: str) -> None:
        await self.verify(self._dummy, password)

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return False

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
