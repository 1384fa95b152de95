"""Coalesce concurrent DescribeDomain calls into DescribeDomains requests.

During `pulumi refresh` and `pulumi up` the engine sends the provider process many calls
at once (Pulumi's Python dynamic-provider host serves four at a time), and each of them
describes one domain. Per request, botocore spends more time on signing, sending and
routing than on parsing one DomainStatus: 100 DescribeDomain calls cost about 3.5 times
the time and CPU of 25 DescribeDomains calls of 4 names each (measured against the local
emulator). So the first caller waits a few milliseconds for others, then describes all of
them in one DescribeDomains request, which takes at most 5 names (AWS API reference).

A caller alone in its window gets a plain DescribeDomain, so a single resource makes the
same call as before. Every failure falls back to one DescribeDomain per name, so each
caller sees the error that its own domain produces, with botocore's usual retries:
- a name missing from DomainStatusList, such as a domain that does not exist;
- any error of the DescribeDomains request itself. AccessDeniedException also turns
  batching off for the client, because an IAM policy written for DescribeDomain alone
  does not allow es:DescribeDomains.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_opensearch import OpenSearchServiceClient

logger = logging.getLogger(__name__)

# DescribeDomains accepts at most 5 domain names per request.
MAX_NAMES = 5
# Pulumi's Python dynamic-provider host serves at most 4 calls at once
# (ThreadPoolExecutor(max_workers=4) in pulumi/dynamic/__main__.py, SDK 3.272), so once
# 4 callers wait no other can arrive, and the batch goes out without the quiet period.
FULL_BATCH = 4
# Seconds the first caller waits for another caller to arrive before it sends what it
# has. In engine logs the next call reached the host about a millisecond after a reply.
QUIET_SECONDS = 0.003
# Upper bound, in seconds, on the time any caller waits before its request is sent.
MAX_WAIT_SECONDS = 0.02


@dataclass
class _Request:
    name: str
    done: bool = False
    status: dict[str, Any] | None = None
    error: BaseException | None = None


class DescribeBatcher:
    """DescribeDomain for one client, batched across the threads that call it at once.

    ``describe(name)`` returns the DomainStatus dict, or raises the ClientError or
    BotoCoreError of that domain's own DescribeDomain call.
    """

    def __init__(
        self,
        client: OpenSearchServiceClient,
        *,
        quiet_seconds: float = QUIET_SECONDS,
        max_wait_seconds: float = MAX_WAIT_SECONDS,
    ) -> None:
        self.client = client
        self.quiet_seconds = quiet_seconds
        self.max_wait_seconds = max_wait_seconds
        self.batching = True
        self._condition = threading.Condition()
        self._pending: list[_Request] = []
        self._leading = False

    def describe(self, name: str) -> dict[str, Any]:
        request = _Request(name)
        with self._condition:
            self._pending.append(request)
            self._condition.notify_all()
            # One thread at a time leads: it gathers the waiting names and makes the call
            # for all of them. The others sleep until their result is in, or until they
            # must lead the next batch because theirs did not fit in this one.
            while not request.done:
                if self._leading:
                    self._condition.wait()
                    continue
                self._leading = True
                batch = self._gather()
                self._condition.release()
                try:
                    self._serve(batch)
                except Exception as exc:
                    # An unexpected failure, such as a malformed response, reaches every
                    # caller of the batch; a caller left without a result would wait forever.
                    logger.exception("describing %s failed", [item.name for item in batch])
                    for item in batch:
                        if not item.done:
                            item.error, item.done = exc, True
                finally:
                    self._condition.acquire()
                    self._leading = False
                    self._condition.notify_all()
        if request.error is not None:
            raise request.error
        assert request.status is not None
        return request.status

    def _gather(self) -> list[_Request]:
        """Take the next batch once it is full or callers stop arriving. Lock held."""
        deadline = time.monotonic() + self.max_wait_seconds
        while len(self._pending) < FULL_BATCH and self.batching:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            seen = len(self._pending)
            self._condition.wait(min(self.quiet_seconds, remaining))
            if len(self._pending) == seen:
                break
        batch = self._pending[:MAX_NAMES]
        del self._pending[:MAX_NAMES]
        return batch

    def _serve(self, batch: list[_Request]) -> None:
        """Make the calls for ``batch`` and fill in every request. Lock not held."""
        names = list(dict.fromkeys(request.name for request in batch))
        found: dict[str, dict[str, Any]] = {}
        if len(names) > 1 and self.batching:
            found = self._describe_many(names)
        for name in names:
            status: dict[str, Any] | None = found.get(name)
            error: BaseException | None = None
            if status is None:
                try:
                    status = dict(self.client.describe_domain(DomainName=name)["DomainStatus"])
                except (ClientError, BotoCoreError) as exc:
                    error = exc
            for request in batch:
                if request.name == name:
                    request.status, request.error, request.done = status, error, True

    def _describe_many(self, names: list[str]) -> dict[str, dict[str, Any]]:
        try:
            response = self.client.describe_domains(DomainNames=names)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "AccessDeniedException":
                # Logged once, because from here on this client describes one domain per call.
                self.batching = False
                logger.warning(
                    "DescribeDomains failed for %s: %s. Describing one domain per call from "
                    "now on; allow es:DescribeDomains to save API calls on large stacks.",
                    ", ".join(names),
                    exc,
                )
            else:
                logger.info("DescribeDomains failed for %s: %s", ", ".join(names), exc)
            return {}
        except BotoCoreError as exc:
            logger.info("DescribeDomains failed for %s: %s", ", ".join(names), exc)
            return {}
        return {
            str(status["DomainName"]): dict(status)
            for status in response.get("DomainStatusList", [])
        }


_batchers: weakref.WeakKeyDictionary[Any, DescribeBatcher] = weakref.WeakKeyDictionary()
_batchers_lock = threading.Lock()


def batcher_for(client: OpenSearchServiceClient) -> DescribeBatcher:
    """Return the process-wide batcher of ``client``; it lives as long as the client."""
    with _batchers_lock:
        batcher = _batchers.get(client)
        if batcher is None:
            batcher = DescribeBatcher(client)
            _batchers[client] = batcher
        return batcher
