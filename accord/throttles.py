"""Rate limits counted atomically in the shared cache: the public intake, requests for
a new complainant link, and wrong staff passwords.

django-ninja's `SimpleRateThrottle` keeps each client's recent requests as a list in the
cache, read with one call and written back with another. Requests that arrive together
each read the same list and each write back one more: eight clients at once got 91 to
97 of 200 requests through a limit of 30, on Redis, within one process. Here taking one
of the allowance is a single atomic step:

- Redis (`accord.redis_cache.RedisCache`): a Lua script the server runs alone, on a
  sorted set of the requests' times: drop those older than the period, count the rest,
  add this one if under the limit. One round trip instead of two.
- The database's cache table (the default): the list is read and written as before,
  in one transaction holding a lock on the key (PostgreSQL: an advisory lock; SQLite
  takes its write lock at the transaction's start).
- Any other cache (one process's memory): under a lock of the process.

A refused request is not counted, as before. `wait()` is the time until the oldest
counted request leaves the period (the Retry-After of a 429)."""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache
from django.db import connections, router, transaction
from django.http import HttpRequest
from django.utils.connection import ConnectionProxy
from ninja.throttling import AnonRateThrottle, SimpleRateThrottle

_SCRIPT = """
local key = KEYS[1]
local now, period, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - period)
local count = redis.call('ZCARD', key)
local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2]
if ARGV[4] == '1' and count < limit then
  redis.call('ZADD', key, now, ARGV[5])
  redis.call('PEXPIRE', key, math.ceil(period * 1000))
  return {1, count + 1, first or ARGV[1]}
end
return {0, count, first or ARGV[1]}
"""
_scripts: dict[int, Any] = {}
_process_lock = threading.Lock()


def take(
    cache: BaseCache, key: str, limit: int, period: float, *, now: float
) -> tuple[bool, float]:
    """Count one request under `key` if fewer than `limit` were counted in the last
    `period` seconds. Returns whether it was, and the seconds until the oldest counted
    request leaves the period."""
    allowed, _, wait = _spend(cache, key, limit, period, now, take=True)
    return allowed, wait


def counted(cache: BaseCache, key: str, period: float, *, now: float) -> int:
    """How many requests are counted under `key` in the last `period` seconds."""
    return int(_spend(cache, key, 0, period, now, take=False)[1])


def _spend(
    cache: BaseCache, key: str, limit: int, period: float, now: float, *, take: bool
) -> tuple[bool, int, float]:
    if isinstance(cache, ConnectionProxy):  # `django.core.cache.cache`: the cache behind it
        cache = caches[cache._alias]
    if isinstance(cache, RedisCache):
        full = cache.make_and_validate_key(key)
        client = cache._cache.get_client(full, write=True)
        script = _scripts.get(id(client))
        if script is None:
            script = _scripts[id(client)] = client.register_script(_SCRIPT)
        member = f"{now!r}:{uuid.uuid4().hex[:12]}"
        allowed, count, first = script(
            keys=[full], args=[repr(now), repr(float(period)), limit, "1" if take else "0", member]
        )
        return bool(allowed), int(count), max(0.0, float(first) + period - now)
    with _held(cache, key):
        history = [at for at in cache.get(key, []) if at > now - period]
        allowed = take and len(history) < limit
        if allowed:
            history.insert(0, now)
        if take:
            cache.set(key, history, period)
        first = history[-1] if history else now
        return allowed, len(history), max(0.0, first + period - now)


@contextlib.contextmanager
def _held(cache: BaseCache, key: str) -> Iterator[None]:
    if not isinstance(cache, DatabaseCache):
        with _process_lock:
            yield
        return
    alias = router.db_for_write(cache.cache_model_class)
    with transaction.atomic(using=alias):
        connection = connections[alias]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])
        yield


class Allowance(SimpleRateThrottle):
    """django-ninja's rate throttle, its count kept by `take`."""

    _last_wait = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        key = self.get_cache_key(request)
        if key is None:
            return True
        allowed, wait = take(
            self.cache, key, self.num_requests or 0, self.duration or 0, now=time.time()
        )
        self._last_wait.value = wait
        return allowed

    def wait(self) -> float | None:
        wait: float | None = getattr(self._last_wait, "value", None)
        return wait

    def spent(self, request: HttpRequest) -> bool:
        """Whether the allowance is used up (counts nothing)."""
        key = self.get_cache_key(request)
        if key is None:
            return False
        used = counted(self.cache, key, self.duration or 0, now=time.time())
        return used >= (self.num_requests or 0)


class AnonAllowance(Allowance, AnonRateThrottle):
    """Per client address, for requests without a signed-in API client."""
