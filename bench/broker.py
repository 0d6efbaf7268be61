"""The Redis the sync benchmark's worker takes its tasks from: `REDIS_URL` when set, else a
local Redis on its own database number, or none (the benchmark is then skipped, not failed).

Tasks travel on a queue of the run's own (see `bench.worker`), so a Redis shared with a running
`make worker` is safe: neither worker takes the other's tasks.
"""

import redis

from bench.database import redacted

LOCAL_REDIS = "redis://127.0.0.1:6379/15"  # a database number the app's default (0) leaves free
CONNECT_TIMEOUT_SECS = 2.0


class NoBroker(Exception):
    """No Redis can be reached; the message says where we looked."""


def reachable_broker(redis_url: str) -> str:
    """`redis_url`, or the local Redis when it is empty, after checking that it answers."""
    url = redis_url or LOCAL_REDIS
    source = "REDIS_URL" if redis_url else "no REDIS_URL set, and the local Redis"
    try:
        with redis.Redis.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT_SECS) as client:
            client.ping()
    except (redis.RedisError, OSError) as error:
        said = str(error).rstrip(".")
        raise NoBroker(
            f"{source} ({redacted(url)}) does not answer: {said}. The sync benchmark needs a "
            "Redis for its Celery worker; set REDIS_URL or start one on 127.0.0.1:6379."
        ) from error
    return url
