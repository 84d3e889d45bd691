"""Helpers that read settings from the environment (after healthchecks' envbool/envint)."""

import os


def envstr(name: str, default: str) -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return int(value)


def envlist(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def cache_from_url(url: str) -> dict[str, object]:
    """A CACHES entry from a URL: redis://host:port/db (or rediss://) for Django's
    RedisCache (through accord.redis_cache), db://table for the database cache,
    locmem:// for one process's memory."""
    scheme, _, rest = url.partition("://")
    if scheme in {"redis", "rediss"}:
        return {"BACKEND": "accord.redis_cache.RedisCache", "LOCATION": url}
    if scheme == "db":
        return {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": rest or "accord_cache",
        }
    if scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": rest}
    raise ValueError(
        f"CACHE_URL: unknown scheme {scheme!r} (redis://, rediss://, db://, locmem://)"
    )
