"""The production rate limit, shared by every API process: the same token bucket as the
in-process `RateLimiter` (app/api/deps.py: `rate` requests a second per key, bursts up to one
second's worth), kept in Redis and updated by one Lua script, so the check and the take are one
atomic round trip whatever the number of processes. Written here rather than taken from the
`limits` library: a dozen lines keep the embedded bucket's exact semantics with the `redis`
client production already installs, where `limits` would add a dependency and its window
strategies would answer differently from the embedded mode.

Bucket names carry an HMAC of the key (never the key). Redis's own clock is used, so processes
on machines with skewed clocks agree. If Redis cannot be reached, the request is let through
(and logged): the limit protects the server, it must not take the API down with the broker."""

import hashlib
import hmac
import logging

from app.errors import RateLimited

log = logging.getLogger(__name__)

TOKEN_BUCKET = """
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(state[1]) or capacity
local stamp = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - stamp) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 1)
return allowed
"""


class RedisRateLimiter:
    def __init__(self, url: str, rate: float, prefix: str, secret: bytes):
        import redis

        self.rate = rate
        self.capacity = max(1.0, rate)
        self.prefix = f"{prefix}:ratelimit:"
        self.secret = secret
        self.client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self.script = self.client.register_script(TOKEN_BUCKET)

    def bucket(self, key: str) -> str:
        return self.prefix + hmac.new(self.secret, key.encode(), hashlib.sha256).hexdigest()[:32]

    def check(self, key: str) -> None:
        if self.rate <= 0:
            return
        try:
            allowed = self.script(keys=[self.bucket(key)], args=[self.rate, self.capacity])
        except Exception as err:  # redis.RedisError, OSError: fail open
            log.warning("rate limit not checked, Redis unavailable: %s", err)
            return
        if not allowed:
            raise RateLimited()
