"""Fault injection for API requests: rules, their validation, and the fault chosen per request.

A rule matches requests by botocore operation name, or ``*`` for every
OpenSearch Service operation, and optionally by the request's DomainName member.
Control endpoints under /_emulator/ are never faulted. A rule fires either at
random with probability ``rate``, or along a fixed ``sequence`` of kinds. Rules
are tried in order, and the first rule that fires picks the fault. A rule that
does not fire leaves the request to the rules after it.

Request body of POST /_emulator/faults, also the format of ``--faults FILE``::

    {"seed": 7, "rules": [
        {"operation": "StartServiceSoftwareUpdate", "kind": "throttle", "rate": 0.3},
        {"operation": "DescribeDomain", "domain": "alpha", "sequence": ["ok", "drop"]},
        {"operation": "*", "kind": "latency", "seconds": 0.2, "limit": 5}
    ]}

Rule fields:

- ``operation`` (required): an operation name from botocore's OpenSearch Service
  model, such as DescribeDomain, or ``*``.
- ``domain``: match only requests whose DomainName member is this name.
  DescribeDomains sends DomainNames instead, so a rule with ``domain`` never
  matches it.
- ``kind`` with an optional ``rate`` from 0 to 1 (default 1, every matching call),
  or ``sequence``: kinds for the 1st, 2nd, ... call that reaches the rule, where
  ``ok`` lets that call through. Calls after the end of the sequence pass.
- ``limit``: maximum number of faults this rule injects. After that, it passes.
- ``seconds``: real seconds of delay, required when the rule can inject ``latency``
  and rejected otherwise.

A rule counts only the calls that reach it: once an earlier rule fires, later
rules neither draw a random number nor move along their sequence. Each rule
draws from its own ``random.Random``, seeded with ``seed`` and the rule's
position, so the same rules, seed and calls give the same faults in every run.
"""

from __future__ import annotations

import difflib
import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from emulator.errors import ApiError, ControlError, domain_not_found
from emulator.fields import Fields
from emulator.model import service_model

ANY_OPERATION = "*"
# A delayed request holds a server thread for its whole delay, so the limit
# keeps a value meant as milliseconds from blocking a test run for hours.
MAX_LATENCY_SECONDS = 600.0
_MAX_SEED = 2**63 - 1


class FaultKind(StrEnum):
    """Effect of an injected fault on one API request."""

    # Only in a sequence: serve this call normally.
    OK = "ok"
    # HTTP 400 ThrottlingException, request not carried out.
    THROTTLE = "throttle"
    # HTTP 500 InternalException, request not carried out.
    INTERNAL = "internal"
    # Request carried out, then HTTP 500 InternalException.
    INTERNAL_AFTER = "internal_after"
    # Connection closed without a response, request not carried out.
    DROP = "drop"
    # Request carried out, then the connection closed without a response.
    DROP_AFTER = "drop_after"
    # Request served normally after a delay of real seconds.
    LATENCY = "latency"
    # ResourceNotFoundException for the request's domain, request not carried out.
    NOT_FOUND = "not_found"


# Kinds that respond, or drop the connection, before the request is carried out.
KINDS_BEFORE = frozenset(
    {FaultKind.THROTTLE, FaultKind.INTERNAL, FaultKind.DROP, FaultKind.NOT_FOUND}
)
# Kinds that close the connection instead of sending a response.
KINDS_DROPPING = frozenset({FaultKind.DROP, FaultKind.DROP_AFTER})
_RATE_KINDS = tuple(kind.value for kind in FaultKind if kind is not FaultKind.OK)
_SEQUENCE_KINDS = tuple(kind.value for kind in FaultKind)


@dataclass(frozen=True)
class FaultRule:
    """One validated rule. Exactly one of ``kind`` and ``sequence`` is set."""

    operation: str
    domain: str | None = None
    kind: FaultKind | None = None
    # Probability from 0 to 1 that a rule with ``kind`` fires for a call.
    rate: float = 1.0
    sequence: tuple[FaultKind, ...] | None = None
    limit: int | None = None
    seconds: float | None = None

    def kinds(self) -> frozenset[FaultKind]:
        if self.sequence is not None:
            return frozenset(self.sequence)
        assert self.kind is not None
        return frozenset({self.kind})

    def matches(self, operation: str, domain: str | None) -> bool:
        if self.operation not in (ANY_OPERATION, operation):
            return False
        if self.domain is not None and self.domain != domain:
            return False
        # ResourceNotFoundException names a domain, so a request without one
        # cannot get it, and the rule skips such requests altogether.
        return domain is not None or FaultKind.NOT_FOUND not in self.kinds()

    def to_json(self) -> dict[str, Any]:
        """Return the rule in the request-body format, so that it can be sent again."""
        body: dict[str, Any] = {"operation": self.operation}
        if self.domain is not None:
            body["domain"] = self.domain
        if self.sequence is not None:
            body["sequence"] = [kind.value for kind in self.sequence]
        else:
            assert self.kind is not None
            body["kind"] = self.kind.value
            body["rate"] = self.rate
        if self.limit is not None:
            body["limit"] = self.limit
        if self.seconds is not None:
            body["seconds"] = self.seconds
        return body


@dataclass(frozen=True)
class FaultConfig:
    """A validated request body of POST /_emulator/faults."""

    seed: int = 0
    rules: tuple[FaultRule, ...] = ()


@dataclass(frozen=True)
class Fault:
    """The fault chosen for one request."""

    kind: FaultKind
    # Real seconds to wait before serving, 0 unless the kind is LATENCY.
    seconds: float
    # Position of the rule that fired in the rule list.
    rule_index: int

    @property
    def before(self) -> bool:
        """Whether the emulator skips carrying out the request."""
        return self.kind in KINDS_BEFORE

    @property
    def drops_connection(self) -> bool:
        return self.kind in KINDS_DROPPING

    def api_error(self, domain: str | None) -> ApiError | None:
        """Build the error response that this fault sends, or None when it sends none."""
        if self.kind is FaultKind.THROTTLE:
            # botocore 1.44 classifies this code as throttling at any HTTP status. Its
            # model gives ThrottlingException HTTP 429, but lists it only on the index
            # operations (CreateIndex and others). NOTE: the 400 follows the request-rate
            # throttling of other AWS JSON APIs, not a captured OpenSearch Service response.
            return ApiError("ThrottlingException", "Rate exceeded", http_status=400)
        if self.kind in (FaultKind.INTERNAL, FaultKind.INTERNAL_AFTER):
            return ApiError(
                "InternalException", "The request failed with an internal error. Try again."
            )
        if self.kind is FaultKind.NOT_FOUND:
            assert domain is not None, "rules with not_found match only requests with a domain"
            return domain_not_found(domain)
        return None


@dataclass
class _RuleCounters:
    random: random.Random
    # Calls that reached the rule, which is also the position in its sequence.
    matched: int = 0
    injected: int = 0


@dataclass
class FaultInjector:
    """The active fault rules and their counters, shared by all request threads."""

    _lock: threading.Lock = field(default_factory=threading.Lock)
    _config: FaultConfig = field(default_factory=FaultConfig)
    _counters: list[_RuleCounters] = field(default_factory=list)
    # Injected faults by operation, then by kind.
    _injected: dict[str, Counter[str]] = field(default_factory=dict)

    def replace(self, config: FaultConfig) -> None:
        """Replace all rules and zero every counter."""
        with self._lock:
            self._config = config
            self._counters = [
                _RuleCounters(random.Random(f"{config.seed}/{index}"))
                for index in range(len(config.rules))
            ]
            self._injected = {}

    def clear(self) -> None:
        self.replace(FaultConfig())

    def choose(self, operation: str | None, domain: str | None) -> Fault | None:
        """Pick the fault for one API request and count it, or return None to serve normally.

        ``operation`` None is a request that matches no operation in the model,
        which no rule matches.
        """
        if operation is None:
            return None
        with self._lock:
            for index, rule in enumerate(self._config.rules):
                if not rule.matches(operation, domain):
                    continue
                kind = _next_kind(rule, self._counters[index])
                if kind is None:
                    continue
                self._counters[index].injected += 1
                self._injected.setdefault(operation, Counter())[kind.value] += 1
                seconds = rule.seconds if kind is FaultKind.LATENCY and rule.seconds else 0.0
                return Fault(kind, seconds, index)
        return None

    def snapshot(self) -> dict[str, Any]:
        """Return the rules, their counters and the injected faults by operation and kind."""
        with self._lock:
            return {
                "seed": self._config.seed,
                "rules": [rule.to_json() for rule in self._config.rules],
                "rule_counters": [
                    {"matched": counters.matched, "injected": counters.injected}
                    for counters in self._counters
                ],
                "injected": {
                    operation: dict(sorted(kinds.items()))
                    for operation, kinds in sorted(self._injected.items())
                },
            }


def _next_kind(rule: FaultRule, counters: _RuleCounters) -> FaultKind | None:
    """Advance the rule by one call and return the kind it injects, or None when it passes."""
    position = counters.matched
    counters.matched += 1
    if rule.limit is not None and counters.injected >= rule.limit:
        return None
    if rule.sequence is not None:
        if position >= len(rule.sequence):
            return None
        kind = rule.sequence[position]
        return None if kind is FaultKind.OK else kind
    assert rule.kind is not None
    if counters.random.random() < rule.rate:
        return rule.kind
    return None


# Validation of request bodies


def parse_config(body: Any) -> FaultConfig:
    """Validate a POST /_emulator/faults body. Raises ControlError naming the bad field."""
    fields = Fields(body)
    seed = fields.integer("seed", 0, 0, _MAX_SEED)
    items = fields.array("rules")
    fields.reject_unknown()
    rules = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ControlError(f"rules[{index}] must be a JSON object, got {item!r}")
        try:
            rules.append(_parse_rule(item))
        except ControlError as error:
            raise ControlError(f"rules[{index}]: {error.message}") from error
    return FaultConfig(seed, tuple(rules))


def _parse_rule(item: Any) -> FaultRule:
    fields = Fields(item)
    operation = _operation(fields.string("operation"))
    domain = fields.optional_string("domain")
    kind = fields.choice("kind", _RATE_KINDS)
    rate = fields.bounded_number("rate", 0, 1)
    sequence = fields.choice_list("sequence", _SEQUENCE_KINDS)
    limit = fields.optional_integer("limit", 1)
    seconds = fields.bounded_number("seconds", 0, MAX_LATENCY_SECONDS)
    fields.reject_unknown()

    if (kind is None) == (sequence is None):
        raise ControlError("give exactly one of field 'kind' and field 'sequence'")
    if sequence is not None and rate is not None:
        raise ControlError("field 'rate' is only valid with field 'kind', not with 'sequence'")
    rule = FaultRule(
        operation=operation,
        domain=domain,
        kind=None if kind is None else FaultKind(kind),
        rate=1.0 if rate is None else rate,
        sequence=None if sequence is None else tuple(FaultKind(item) for item in sequence),
        limit=limit,
        seconds=seconds,
    )
    delays = FaultKind.LATENCY in rule.kinds()
    if delays and (seconds is None or seconds <= 0):
        raise ControlError(
            f"field 'seconds' must be a number above 0 and at most {MAX_LATENCY_SECONDS} "
            f"for kind latency, got {seconds!r}"
        )
    if not delays and seconds is not None:
        raise ControlError("field 'seconds' is only valid for a rule that can inject latency")
    return rule


def _operation(name: str) -> str:
    operations = service_model().operation_names
    if name == ANY_OPERATION or name in operations:
        return name
    close = difflib.get_close_matches(name, operations, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    raise ControlError(
        f"field 'operation' must be '*' or an operation in botocore's OpenSearch Service model, "
        f"such as DescribeDomain, got {name!r}{hint}"
    )
