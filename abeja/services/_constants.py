"""Defaults, environment variable names and the retry policy, each in one place."""

from __future__ import annotations

# The public platform; overridable per client or with ABEJA_API_URL.
DEFAULT_API_URL = "https://api.abeja.io"
# abeja-sdk's defaults, kept so that switching SDKs changes no behaviour.
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 5
DEFAULT_INSTANCE_TYPE = "cpu-0.25"

ENV_API_URL = "ABEJA_API_URL"
ENV_ORGANIZATION_ID = "ABEJA_ORGANIZATION_ID"
ENV_AUTH_TOKEN = "PLATFORM_AUTH_TOKEN"
ENV_USER_ID = "ABEJA_PLATFORM_USER_ID"
ENV_PERSONAL_ACCESS_TOKEN = "ABEJA_PLATFORM_PERSONAL_ACCESS_TOKEN"
ENV_DATASOURCE_ID = "ABEJA_PLATFORM_DATASOURCE_ID"
ENV_DATASOURCE_SECRET = "ABEJA_PLATFORM_DATASOURCE_SECRET"
ENV_TIMEOUT = "ABEJA_SDK_CONNECTION_TIMEOUT"
ENV_MAX_RETRIES = "ABEJA_SDK_MAX_RETRY_COUNT"
# Where predictions go when the organization sub-domain cannot be used (local hosts).
ENV_SERVICE_URL_TEMPLATE = "ABEJA_SERVICE_URL_TEMPLATE"
# The CA bundle requests reads, read once per client instead of per call.
# Where both clients take their CA certificates from, first found first: requests'
# variables, then OpenSSL's (a file, or a folder of hashed certificates).
ENV_CA_BUNDLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR")

# Platform ids are 13-20 characters; a cap keeps absurd input out of URLs and logs.
MAX_ID_LENGTH = 128
# The longest timeout, deadline or wait accepted (a week): finite, and small enough for every
# clock and socket call (a larger value made sockets raise OverflowError at each call).
MAX_SECONDS = 7 * 24 * 3600.0

# Every call ends within this many seconds, all attempts, waits and slow bodies included
# (plus at most one second); per client with ServiceClient(deadline=...).
DEFAULT_DEADLINE = 120.0

# Idempotent methods may be retried on any transient failure.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
# Statuses worth another try for idempotent requests.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# A POST is sent again only when it provably did not reach the backend: the connection
# could not be made, or the gateway refused it with 429 (rate limiting happens before
# forwarding). A 429 carrying the serving proxy's X-Abeja-Service-Id header came from the
# model itself, so it does not count. 500/502/503/504, timeouts and dropped connections
# after sending may all follow a write that happened.
RETRY_STATUSES_POST = frozenset({429})
SERVICE_ANSWER_HEADER = "X-Abeja-Service-Id"
# Backoff: min(BASE * 2**n, CAP) seconds, shortened by up to JITTER of itself. It is also
# the floor under Retry-After, so 'Retry-After: 0' (or a past date) cannot cause a burst.
BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0
BACKOFF_JITTER = 0.25
# A Retry-After longer than this is not waited for: the error is raised at once.
MAX_RETRY_AFTER = 60.0

# Largest API answer read (decompressed): a list of 10,000 services is about 10 MB.
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
# Largest prediction answer read (decompressed); per client with max_predict_bytes=.
MAX_PREDICT_RESPONSE_BYTES = 256 * 1024 * 1024
# Error bodies are read up to this much; the rest is dropped with the connection.
MAX_ERROR_BODY_BYTES = 64 * 1024
# Bodies are read in chunks of this size, the deadline checked between them.
READ_CHUNK = 64 * 1024

# The platform's bounds on instance numbers (min <= instance_number <= max).
MIN_INSTANCE_NUMBER = 1
MAX_INSTANCE_NUMBER = 64

# Connections kept per host; above the 16 threads a shared client is benchmarked with.
POOL_MAXSIZE = 32
# The async client's connections open at once per client (httpx's default); more
# concurrent calls wait for one, within their own deadline.
ASYNC_MAX_CONNECTIONS = 100

# Response headers that carry the platform's request id, in order of preference.
REQUEST_ID_HEADERS = ("x-abeja-request-id", "x-request-id", "x-amzn-requestid")

LOGGER_NAME = "abeja.services"
# Turns on the SDK's own logging to stderr: "debug" (every attempt) or "info" (retries).
ENV_LOG = "ABEJA_LOG"

# Waiters: the first poll interval grows by POLL_GROWTH per poll up to MAX_POLL_INTERVAL.
FIRST_POLL_INTERVAL = 1.0
POLL_GROWTH = 1.5
MAX_POLL_INTERVAL = 10.0
# Deployments take minutes; ten of them is a generous default ceiling for a wait.
DEFAULT_WAIT_TIMEOUT = 600.0
# Right after create, a read may not see the service yet (eventual consistency).
NOT_FOUND_GRACE = 30.0
# How often a log follower asks for new events when there were none.
LOG_POLL_INTERVAL = 2.0
# A log walk asks for at most this many pages (a server that always hands a new token
# would otherwise be walked forever); per call with iter_logs(max_pages=...).
MAX_LOG_PAGES = 10_000

# Endpoints: abeja-sdk's and abejacli's alias when none is given; predictions sent to the
# deployment's own route (no alias in the path) reach the endpoint of this name.
DEFAULT_ALIAS = "default"

# Rollouts (a release of a new version behind an endpoint).
# The whole run: creating a service and waiting for READY dominates it.
ROLLOUT_DEADLINE = 1800.0
# Seconds the new service serves traffic under watch before the old one is retired.
ROLLOUT_BAKE = 60.0
# How often the bake replays the smoke requests through the endpoint and reads the logs.
ROLLOUT_BAKE_INTERVAL = 5.0
# Log lines that count as errors during the bake (case-sensitive, anywhere in the line).
ROLLOUT_ERROR_MARKERS = ("Traceback (most recent call last)", "ERROR", "Error:", "CRITICAL")
