"""Choose a backend by DSN: ``memory://``, ``sqlite:///path/state.db``, ``etcd://host:port[,…]``.

SQLite paths: ``sqlite:///abs/path.db`` is absolute, ``sqlite://rel/path.db`` is relative to the
working directory. Options go in the query string: ``?synchronous=full`` for SQLite,
``?timeout=10`` (seconds per request) for etcd. Backends are imported lazily, so the etcd client
is needed only when an ``etcd://`` DSN is used.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from everynode.storage.backend import Backend

SCHEMES = ("memory", "sqlite", "etcd")


def open_backend(dsn: str) -> Backend:
    """A backend for ``dsn`` (not started yet); ``ValueError`` with a readable message otherwise."""
    parts = urlsplit(dsn)
    options = {name: values[-1] for name, values in parse_qs(parts.query).items()}
    if parts.scheme == "memory":
        _reject_unknown(options, set(), dsn)
        from everynode.storage.memory import MemoryBackend

        return MemoryBackend()
    if parts.scheme == "sqlite":
        _reject_unknown(options, {"synchronous"}, dsn)
        path = parts.netloc + parts.path
        if not path or path.endswith("/"):
            raise ValueError(f"storage DSN {dsn!r} names no database file (try sqlite:///path/state.db)")
        from everynode.storage.sqlite import SQLiteBackend

        return SQLiteBackend(path, synchronous=options.get("synchronous", "NORMAL"))
    if parts.scheme == "etcd":
        _reject_unknown(options, {"timeout"}, dsn)
        endpoints = [e.strip() for e in parts.netloc.split(",") if e.strip()]
        if not endpoints or any(":" not in e for e in endpoints):
            raise ValueError(f"storage DSN {dsn!r} needs host:port endpoints (etcd://127.0.0.1:2379)")
        try:
            from everynode.storage.etcd import EtcdBackend
        except ImportError as exc:
            raise ValueError("the etcd backend needs the etcd client: pip install 'everynode[etcd]'") from exc
        timeout = _float_option(options, "timeout", 30.0, dsn)
        return EtcdBackend(endpoints, timeout=timeout)
    raise ValueError(
        f"storage DSN {dsn!r} has an unknown scheme {parts.scheme!r}; use one of "
        + ", ".join(f"{s}://" for s in SCHEMES)
    )


def _reject_unknown(options: dict[str, str], known: set[str], dsn: str) -> None:
    unknown = sorted(set(options) - known)
    if unknown:
        raise ValueError(f"storage DSN {dsn!r} has unknown option(s): {', '.join(unknown)}")


def _float_option(options: dict[str, str], name: str, default: float, dsn: str) -> float:
    if name not in options:
        return default
    try:
        value = float(options[name])
    except ValueError:
        raise ValueError(f"storage DSN {dsn!r}: {name} must be a number") from None
    if value <= 0:
        raise ValueError(f"storage DSN {dsn!r}: {name} must be positive")
    return value
