"""The request path: prepare once, attempt, and the retry policy (tenacity) around it.

With ``_sender``, the only module that touches requests. The first attempt runs
outside tenacity (nothing to pay when it succeeds); a failure is replayed into the
policy, which then decides as if it had made that attempt itself.

The policy, in short: every call ends by its deadline (all attempts, waits and slow
bodies included); idempotent methods are retried on transient failures; a POST is
sent again only when it provably did not reach the backend (see ``_constants``).
"""

from __future__ import annotations

import logging
import time
from contextlib import AbstractContextManager

import requests
import requests.adapters
import requests.utils
from requests.structures import CaseInsensitiveDict

from .. import _constants as C
from .. import errors as exc
from .._api._answers import HTTPResponse
from .._api._bodies import PredictBody
from .._config import Settings
from ._connection import Adapter
from ._failures import Limits
from ._policy import Outcome, retrying, worth_retrying
from ._proxies import check_socks_support, environment_proxies, proxy_for
from ._sender import Sender
from ._transport_core import NO_CREDENTIAL, USER_AGENT, Attempts, Call, TransportCore
from ._types import Clock, Sleep

__all__ = ["NO_CREDENTIAL", "USER_AGENT", "Transport", "refuse_pickling"]

logger = logging.getLogger(C.LOGGER_NAME)


class _Prepared:
    """The call as requests' ``PreparedRequest``, made once, when first needed (the
    watched path, a streamed body, the compat layer's ``requests.Response``). It holds
    the call only: an answer that keeps it does not keep the client alive."""

    __slots__ = ("_call", "_prepared")

    def __init__(self, call: Call) -> None:
        self._call = call
        self._prepared: requests.PreparedRequest | None = None

    def __call__(self) -> requests.PreparedRequest:
        prepared = self._prepared
        if prepared is None:
            call = self._call
            prepared = self._prepared = requests.PreparedRequest()
            prepared.method = call.method
            prepared.url = call.url  # from checked ids and urlencode: nothing to normalise
            prepared.headers = CaseInsensitiveDict(call.headers)
            prepared.prepare_body(call.data, None)  # Content-Length, or chunked for streams
        return prepared


class _Attempts(Attempts):
    """The callable tenacity retries: replays the first outcome, then sends for real."""

    def __init__(self, transport: Transport, call: Call, limits: Limits) -> None:
        super().__init__(call, limits)
        self.transport = transport
        self.proxies = transport._proxies_for(call.origin)
        self.prepare = _Prepared(call)

    def __call__(self) -> Outcome:
        replayed = self.begin()
        if replayed is not None:
            return replayed
        outcome, started = Outcome(), time.perf_counter()
        try:
            outcome.response = self.transport._sender.send(
                self.call, self.prepare, proxies=self.proxies, limits=self.limits
            )
        except self.SCRUBBED as failure:
            self.failed(outcome, failure)
        return self.done(outcome, started)


def refuse_pickling(client: object) -> tuple[object, ...]:
    """``__reduce__`` of the clients: they hold open connections and a credential."""
    raise TypeError(
        f"a {type(client).__name__} cannot be pickled: it holds open connections and a "
        "credential; make one in each process"
    )


class Transport(TransportCore[HTTPResponse]):
    """One pooled ``requests.Session``, its settings and the retry policy around it."""

    def __init__(
        self,
        settings: Settings,
        *,
        session: requests.Session | None = None,
        sleep: Sleep | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(settings, sleep=sleep, clock=clock)
        owns_session = session is None
        if session is None:
            session = requests.Session()
            adapter = Adapter(pool_connections=4, pool_maxsize=C.POOL_MAXSIZE, max_retries=0)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            # Proxies and CA bundle come from the environment once per client, not per call.
            session.trust_env = False
            session.verify = settings.ca_bundle or True
        self._session = session
        self._sender = Sender(session, owns_session=owns_session)
        self._owns_session = owns_session
        self._trust_env = session.trust_env or owns_session
        self._proxies: dict[str, dict[str, str]] = {}
        self._sleep: Sleep = sleep if sleep is not None else time.sleep
        self._retrying = retrying(settings.max_retries, self._sleep)

    def close(self) -> None:
        """Release pooled connections; safe to call more than once."""
        if not self.closed:
            self.closed = True
            if self._owns_session:
                self._sender.close()  # its pools, then the session

    def _share(self) -> None:
        self._owns_session = False

    def _retry_with(self, max_retries: int, sleep: Sleep | None) -> None:
        if sleep is not None:
            self._sleep = sleep
        self._retrying = retrying(max_retries, self._sleep)

    def checked_out(self) -> int:
        """Connections taken from the pools and not given back (0 between calls)."""
        total = self._sender.direct_in_use()
        for adapter in {id(a): a for a in self._session.adapters.values()}.values():
            manager = getattr(adapter, "poolmanager", None)
            for key in list(getattr(manager, "pools", {}).keys()):
                pool = manager.pools.get(key) if manager is not None else None
                queue = getattr(pool, "pool", None)
                if queue is not None:
                    total += queue.maxsize - queue.qsize()
        return total

    def _proxies_for(self, origin: str) -> dict[str, str]:
        """The proxies for ``scheme://host[:port]``, read once per origin."""
        proxies = self._proxies.get(origin)
        if proxies is None:
            proxies = dict(self._session.proxies)
            if self._trust_env:
                for scheme, proxy in environment_proxies(origin).items():
                    proxies.setdefault(scheme, proxy)
            chosen = proxy_for(origin + "/", proxies)
            if chosen is not None:
                check_socks_support(chosen, "socks", "PySocks")
            self._proxies[origin] = proxies
        return proxies

    def _answer(self, call: Call, limits: Limits) -> HTTPResponse:
        result = self._exchange(call, limits)
        # Raised here, where no local holds the credential or the requests objects.
        if isinstance(result, exc.Error):
            raise result
        return result

    def _predicted(
        self, url: str, opened: AbstractContextManager[PredictBody], limits: Limits
    ) -> HTTPResponse:
        with opened as body:
            return self._answer(self._predict_call(url, body), limits)

    def _exchange(self, call: Call, limits: Limits) -> HTTPResponse | exc.Error:
        attempts = _Attempts(self, call, limits)
        outcome = attempts()
        if worth_retrying(outcome, call.idempotent) and attempts.rewind is not None:
            attempts.replay = outcome
            outcome = self._retrying[call.idempotent](attempts)
        return self.result(outcome, call)
