"""Every throttle and lockout counts in the one shared cache (CACHE_URL): two clients of
that cache — two web processes, or two machines — count together. The default is the
database's cache table; Redis (redis://) is checked too when it is running."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.test import RequestFactory, override_settings

from accord.cases.api import IntakeThrottle
from accord.env import cache_from_url
from accord.web.parties.views import LinkRequestThrottle
from accord.web.staff.signin import WrongPasswordThrottle
from tests.production.harness import on_postgresql

REDIS_URL = "redis://127.0.0.1:6379/3"


def test_the_default_cache_is_the_database_table(settings: Any) -> None:
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert cache_from_url("redis://cache.internal:6379/0")["BACKEND"] == (
        "accord.redis_cache.RedisCache"
    )
    with pytest.raises(ValueError, match="CACHE_URL"):
        cache_from_url("memcached://x")


def _redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.exceptions.ConnectionError:
        return False


@pytest.fixture(params=["database", "redis"])
def two_clients(request: pytest.FixtureRequest, db: None) -> Iterator[tuple[BaseCache, BaseCache]]:
    """Two separate cache clients configured as two processes would configure them."""
    if request.param == "redis":
        if not _redis_reachable():
            pytest.skip(f"Redis is not running at {REDIS_URL}")
        config = cache_from_url(REDIS_URL)
    else:
        config = cache_from_url("db://accord_cache")
    with override_settings(CACHES={"default": config}):
        first, second = caches.create_connection("default"), caches.create_connection("default")
        first.clear()
        yield first, second
        first.clear()


def _count_together(
    make: Callable[[], Any], clients: tuple[BaseCache, BaseCache], limit: int, attempt: str
) -> None:
    request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.9")
    allowed = 0
    for i in range(limit + 3):
        throttle = make()
        throttle.cache = clients[i % 2]  # alternate processes, as a load balancer does
        if getattr(throttle, attempt)(request):
            allowed += 1
    assert allowed == limit


@override_settings(ACCORD_INTAKE_RATE="6/m")
def test_the_intake_throttle_counts_across_processes(two_clients: Any) -> None:
    _count_together(IntakeThrottle, two_clients, 6, "allow_request")


@override_settings(ACCORD_LINK_REQUEST_RATE="4/h")
def test_link_requests_count_across_processes(two_clients: Any) -> None:
    _count_together(LinkRequestThrottle, two_clients, 4, "allow_request")


@override_settings(ACCORD_STAFF_LOGIN_RATE="5/15m")
def test_the_staff_lockout_counts_across_processes(two_clients: Any) -> None:
    request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.9")
    first, second = two_clients
    for i in range(5):
        throttle = WrongPasswordThrottle("ocasa-handler")
        throttle.cache = first if i % 2 else second
        assert not throttle.spent(request)
        throttle.record(request)
    for client in two_clients:
        throttle = WrongPasswordThrottle("OCASA-handler ")
        throttle.cache = client
        assert throttle.spent(request)


def test_the_redis_cache_keeps_one_client_and_shares_it_between_threads() -> None:
    """A Redis client is built once per connection pool, not for every cache call (that
    cost a fifth of a millisecond a call), and threads sharing it each get their own
    answers."""
    if not _redis_reachable():
        pytest.skip(f"Redis is not running at {REDIS_URL}")
    from concurrent.futures import ThreadPoolExecutor

    with override_settings(CACHES={"default": cache_from_url(REDIS_URL)}):
        cache = caches.create_connection("default")
        cache.clear()
        client = cache._cache.get_client()  # type: ignore[attr-defined]
        assert cache._cache.get_client(write=True) is client  # type: ignore[attr-defined]

        def round_trip(i: int) -> Any:
            cache.set(f"thread-{i}", i)
            return cache.get(f"thread-{i}")

        with ThreadPoolExecutor(8) as pool:
            assert list(pool.map(round_trip, range(200))) == list(range(200))
        assert cache._cache.get_client() is client  # type: ignore[attr-defined]
        cache.clear()


def _together(cache: BaseCache, limit: int) -> int:
    """Eight clients from one address at once, 25 requests each: how many got through."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    def client(_: int) -> int:
        try:
            through = 0
            for _ in range(25):
                throttle = IntakeThrottle()
                throttle.cache = cache
                through += throttle.allow_request(
                    RequestFactory().post("/", REMOTE_ADDR="203.0.113.7")
                )
            return through
        finally:
            connection.close()

    with override_settings(ACCORD_INTAKE_RATE=f"{limit}/m"), ThreadPoolExecutor(8) as pool:
        return sum(pool.map(client, range(8)))


def test_requests_arriving_together_are_counted_one_by_one_in_redis() -> None:
    """Reading the count and writing it back as two calls let requests arriving together
    each read the same count: 91-97 of 200 got through a limit of 30."""
    if not _redis_reachable():
        pytest.skip(f"Redis is not running at {REDIS_URL}")
    with override_settings(CACHES={"default": cache_from_url(REDIS_URL)}):
        cache = caches.create_connection("default")
        cache.clear()
        assert _together(cache, 30) == 30
        cache.clear()


@pytest.mark.skipif(
    not on_postgresql(),
    reason="SQLite's test database is in memory with a shared cache, where a second writer "
    "fails at once instead of queueing on the file's write lock",
)
def test_requests_arriving_together_are_counted_one_by_one_in_the_database(
    committed_db: None,
) -> None:
    with override_settings(CACHES={"default": cache_from_url("db://accord_cache")}):
        cache = caches.create_connection("default")
        cache.clear()
        assert _together(cache, 30) == 30
        cache.clear()


def test_a_refused_request_says_when_to_try_again(two_clients: Any) -> None:
    request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.8")
    with override_settings(ACCORD_INTAKE_RATE="2/m"):
        throttle = IntakeThrottle()
        throttle.cache = two_clients[0]
        assert throttle.allow_request(request)
        assert throttle.allow_request(request)
        assert not throttle.allow_request(request)
    wait = throttle.wait()
    assert wait is not None
    assert 55 < wait <= 60


def test_the_throttles_count_in_the_configured_cache_itself() -> None:
    """A throttle's cache is Django's `cache` (a proxy of the configured one): the count
    goes the configured cache's atomic way, a sorted set of times on Redis."""
    if not _redis_reachable():
        pytest.skip(f"Redis is not running at {REDIS_URL}")
    import redis

    with override_settings(CACHES={"default": cache_from_url(REDIS_URL)}):
        caches["default"].clear()
        throttle = IntakeThrottle()
        request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.6")
        assert throttle.allow_request(request)
        key = caches["default"].make_key(throttle.get_cache_key(request))
        assert redis.Redis.from_url(REDIS_URL).type(key) == b"zset"
        caches["default"].clear()
