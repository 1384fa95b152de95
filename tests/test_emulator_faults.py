"""Fault injection and stuck domains, through a live emulator and real boto3 clients."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError
from botocore.retries import standard
from emulator_fixtures import control_call
from mypy_boto3_opensearch.client import OpenSearchServiceClient

from emulator import EmulatorClient, EmulatorServer
from emulator.__main__ import _parse_args
from emulator.faults import FaultConfig, FaultInjector, FaultKind, FaultRule

pytest_plugins = ["emulator_fixtures"]

REGION = "us-east-1"
ROOT = Path(__file__).resolve().parent.parent
START = "StartServiceSoftwareUpdate"


@pytest.fixture
def emulator(clean_emulator: EmulatorClient) -> EmulatorClient:
    return clean_emulator


def make_client(url: str, *, attempts: int = 1) -> OpenSearchServiceClient:
    """Return a standard-retry boto3 client of the emulator at ``url``, ``attempts`` per call.

    The shared fixture's ``max_attempts`` counts retries, not attempts, so these
    tests build clients with ``total_max_attempts`` and count every attempt.
    """
    return boto3.client(
        "opensearch",
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        aws_session_token="testing",
        config=Config(retries={"mode": "standard", "total_max_attempts": attempts}),
    )


@pytest.fixture(scope="module")
def opensearch(emulator_server: EmulatorServer) -> OpenSearchServiceClient:
    """A client with retries turned off, so each call is exactly one request."""
    return make_client(emulator_server.url)


def update_status(opensearch: OpenSearchServiceClient, name: str) -> str:
    options = opensearch.describe_domain(DomainName=name)["DomainStatus"]["ServiceSoftwareOptions"]
    return str(options["UpdateStatus"])


def error_of(error: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    """Return the code, HTTP status and message that botocore parsed from an error response."""
    response: Any = error.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def log_of(emulator: EmulatorClient, operation: str) -> list[dict[str, Any]]:
    return [entry for entry in emulator.requests() if entry["operation"] == operation]


def applied_starts(emulator: EmulatorClient) -> int:
    return sum(1 for entry in log_of(emulator, START) if entry["applied"])


# Each kind, through a real client


def test_throttle_is_botocore_throttling(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha", new_version="R2")
    emulator.set_faults([{"operation": START, "kind": "throttle"}])

    with pytest.raises(ClientError) as error:
        opensearch.start_service_software_update(DomainName="alpha")
    assert error_of(error) == ("ThrottlingException", 400, "Rate exceeded")
    # The same check that botocore's standard retry mode runs on each response.
    context = standard.RetryContext(attempt_number=1, parsed_response=error.value.response)
    assert standard.ThrottledRetryableChecker().is_retryable(context) is True

    assert update_status(opensearch, "alpha") == "ELIGIBLE"
    entry = log_of(emulator, START)[0]
    assert entry["status"] == 400
    assert entry["error"] == "ThrottlingException"
    assert entry["injected"] == "throttle"
    assert entry["applied"] is False


def test_standard_retry_retries_throttle(
    emulator: EmulatorClient, emulator_server: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    retried_codes: list[str] = []

    def no_delay(_backoff: Any, context: standard.RetryContext) -> float:
        retried_codes.append(str(context.get_error_code()))
        return 0.0

    # Only the wait changes. Whether to retry is still botocore's own decision.
    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", no_delay)
    emulator.seed_domain("alpha", new_version="R2")
    emulator.set_faults([{"operation": START, "sequence": ["throttle", "throttle"]}])
    client = make_client(emulator_server.url, attempts=3)

    options = client.start_service_software_update(DomainName="alpha")["ServiceSoftwareOptions"]
    assert options["UpdateStatus"] == "PENDING_UPDATE"
    assert retried_codes == ["ThrottlingException", "ThrottlingException"]
    entries = log_of(emulator, START)
    assert [entry["injected"] for entry in entries] == ["throttle", "throttle", None]
    assert [entry["status"] for entry in entries] == [400, 400, 200]
    assert applied_starts(emulator) == 1


def test_internal_skips_request(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha", new_version="R2")
    emulator.set_faults([{"operation": START, "kind": "internal"}])

    with pytest.raises(ClientError) as error:
        opensearch.start_service_software_update(DomainName="alpha")
    code, status, _message = error_of(error)
    assert (code, status) == ("InternalException", 500)
    assert update_status(opensearch, "alpha") == "ELIGIBLE"
    entry = log_of(emulator, START)[0]
    assert entry["status"] == 500
    assert entry["error"] == "InternalException"
    assert entry["injected"] == "internal"
    assert entry["applied"] is False


def test_internal_after_starts_update(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha", new_version="R2")
    emulator.set_faults([{"operation": START, "kind": "internal_after", "limit": 1}])

    with pytest.raises(ClientError) as error:
        opensearch.start_service_software_update(DomainName="alpha")
    code, status, _message = error_of(error)
    assert (code, status) == ("InternalException", 500)
    assert update_status(opensearch, "alpha") == "PENDING_UPDATE"
    entry = log_of(emulator, START)[0]
    assert entry["status"] == 500
    assert entry["injected"] == "internal_after"
    assert entry["applied"] is True

    # A client that retries blindly now finds the update it already started.
    with pytest.raises(ClientError) as retry:
        opensearch.start_service_software_update(DomainName="alpha")
    assert error_of(retry)[0] == "BaseException"
    assert applied_starts(emulator) == 1


def test_drop_closes_connection(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha", new_version="R2")
    emulator.set_faults([{"operation": START, "kind": "drop", "limit": 1}])

    with pytest.raises(ConnectionClosedError):
        opensearch.start_service_software_update(DomainName="alpha")
    assert update_status(opensearch, "alpha") == "ELIGIBLE"
    entry = log_of(emulator, START)[0]
    assert entry["status"] is None
    assert entry["error"] is None
    assert entry["injected"] == "drop"
    assert entry["applied"] is False

    options = opensearch.start_service_software_update(DomainName="alpha")
    assert options["ServiceSoftwareOptions"]["UpdateStatus"] == "PENDING_UPDATE"
    assert applied_starts(emulator) == 1


def test_drop_after_starts_update(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha", new_version="R2")
    emulator.set_faults([{"operation": START, "kind": "drop_after"}])

    with pytest.raises(ConnectionClosedError):
        opensearch.start_service_software_update(DomainName="alpha")
    assert update_status(opensearch, "alpha") == "PENDING_UPDATE"
    entry = log_of(emulator, START)[0]
    assert entry["status"] is None
    assert entry["injected"] == "drop_after"
    assert entry["applied"] is True
    assert applied_starts(emulator) == 1


def test_latency_delays_then_serves(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha", new_version="R2")
    emulator.set_faults([{"operation": START, "kind": "latency", "seconds": 0.3}])

    began = time.monotonic()
    options = opensearch.start_service_software_update(DomainName="alpha")
    elapsed = time.monotonic() - began
    assert options["ServiceSoftwareOptions"]["UpdateStatus"] == "PENDING_UPDATE"
    assert elapsed >= 0.3
    entry = log_of(emulator, START)[0]
    assert entry["status"] == 200
    assert entry["injected"] == "latency"
    assert entry["applied"] is True


def test_latency_leaves_other_requests_alone(
    emulator: EmulatorClient, emulator_server: EmulatorServer
) -> None:
    emulator.seed_domain("alpha")
    emulator.seed_domain("beta")
    emulator.set_faults(
        [{"operation": "DescribeDomain", "domain": "alpha", "kind": "latency", "seconds": 1.0}]
    )
    slow_client = make_client(emulator_server.url)
    fast_client = make_client(emulator_server.url)
    slow = threading.Thread(target=slow_client.describe_domain, kwargs={"DomainName": "alpha"})
    slow.start()
    try:
        # Wait until the slow request is asleep inside the emulator.
        deadline = time.monotonic() + 5
        while emulator.faults()["rule_counters"][0]["injected"] == 0:
            assert time.monotonic() < deadline, "the delayed request never reached the emulator"
            time.sleep(0.01)
        began = time.monotonic()
        fast_client.describe_domain(DomainName="beta")
        emulator.advance(1)
        elapsed = time.monotonic() - began
    finally:
        slow.join(timeout=10)
    # The delay does not hold the state lock, so other calls finish well before it ends.
    assert elapsed < 0.8
    operations = [(entry["domain"], entry["injected"]) for entry in emulator.requests()]
    assert operations == [("beta", None), ("alpha", "latency")]


def test_not_found_hides_domain(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha", new_version="R2")
    emulator.set_faults([{"operation": "*", "kind": "not_found", "limit": 1}])

    # ListDomainNames names no domain, so the not_found rule lets it through.
    assert opensearch.list_domain_names()["DomainNames"][0]["DomainName"] == "alpha"
    with pytest.raises(ClientError) as error:
        opensearch.start_service_software_update(DomainName="alpha")
    assert error_of(error) == ("ResourceNotFoundException", 409, "Domain not found: alpha")
    assert update_status(opensearch, "alpha") == "ELIGIBLE"
    entries = emulator.requests()
    assert [entry["injected"] for entry in entries] == [None, "not_found", None]
    assert [entry["applied"] for entry in entries] == [True, False, True]


def test_log_marks_plain_requests(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha")
    opensearch.describe_domain(DomainName="alpha")
    with pytest.raises(ClientError):
        opensearch.describe_domain(DomainName="ghost")
    entries = emulator.requests()
    assert [entry["status"] for entry in entries] == [200, 409]
    assert [entry["injected"] for entry in entries] == [None, None]
    assert [entry["applied"] for entry in entries] == [True, False]


# When rules fire


def run_describes(opensearch: OpenSearchServiceClient, count: int) -> list[str | None]:
    """Call DescribeDomain on alpha ``count`` times and return each error code, or None."""
    codes: list[str | None] = []
    for _ in range(count):
        try:
            opensearch.describe_domain(DomainName="alpha")
            codes.append(None)
        except ClientError as error:
            codes.append(error.response["Error"]["Code"])
    return codes


def test_rate_repeats_with_same_seed(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha")
    rules = [{"operation": "DescribeDomain", "kind": "throttle", "rate": 0.5}]

    emulator.set_faults(rules, seed=7)
    first = run_describes(opensearch, 40)
    emulator.set_faults(rules, seed=7)
    second = run_describes(opensearch, 40)
    emulator.set_faults(rules, seed=8)
    other = run_describes(opensearch, 40)

    assert first == second
    assert first != other
    assert 0 < first.count("ThrottlingException") < 40
    logged = [entry["injected"] for entry in emulator.requests()[:40]]
    assert logged == ["throttle" if code else None for code in first]


def test_rate_extremes() -> None:
    injector = FaultInjector()
    injector.replace(
        FaultConfig(
            seed=3,
            rules=(
                FaultRule("ListDomainNames", kind=FaultKind.THROTTLE, rate=0.0),
                FaultRule("DescribeDomain", kind=FaultKind.INTERNAL, rate=1.0),
            ),
        )
    )
    assert all(injector.choose("ListDomainNames", None) is None for _ in range(200))
    chosen = [injector.choose("DescribeDomain", "alpha") for _ in range(200)]
    assert all(fault is not None and fault.kind is FaultKind.INTERNAL for fault in chosen)


def test_sequence_then_passes(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha")
    emulator.set_faults(
        [{"operation": "DescribeDomain", "sequence": ["ok", "throttle", "ok", "internal"]}]
    )
    codes = run_describes(opensearch, 6)
    assert codes == [None, "ThrottlingException", None, "InternalException", None, None]
    logged = [entry["injected"] for entry in emulator.requests()]
    assert logged == [None, "throttle", None, "internal", None, None]
    counters = emulator.faults()["rule_counters"]
    assert counters == [{"matched": 6, "injected": 2}]


def test_limit_caps_injections(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha")
    emulator.set_faults([{"operation": "DescribeDomain", "kind": "throttle", "limit": 2}])
    codes = run_describes(opensearch, 4)
    assert codes == ["ThrottlingException", "ThrottlingException", None, None]
    snapshot = emulator.faults()
    assert snapshot["rule_counters"] == [{"matched": 4, "injected": 2}]
    assert snapshot["injected"] == {"DescribeDomain": {"throttle": 2}}


def test_first_firing_rule_wins(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha")
    emulator.seed_domain("beta")
    emulator.set_faults(
        [
            {"operation": "DescribeDomain", "domain": "alpha", "kind": "not_found"},
            {"operation": "*", "kind": "throttle"},
        ]
    )
    with pytest.raises(ClientError) as alpha:
        opensearch.describe_domain(DomainName="alpha")
    assert error_of(alpha)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as beta:
        opensearch.describe_domain(DomainName="beta")
    assert error_of(beta)[0] == "ThrottlingException"
    with pytest.raises(ClientError) as names:
        opensearch.list_domain_names()
    assert error_of(names)[0] == "ThrottlingException"

    snapshot = emulator.faults()
    assert snapshot["rule_counters"] == [
        {"matched": 1, "injected": 1},
        {"matched": 2, "injected": 2},
    ]
    assert snapshot["injected"] == {
        "DescribeDomain": {"not_found": 1, "throttle": 1},
        "ListDomainNames": {"throttle": 1},
    }


def test_later_rule_sees_passed_calls_only() -> None:
    injector = FaultInjector()
    injector.replace(
        FaultConfig(
            rules=(
                FaultRule("*", sequence=(FaultKind.THROTTLE, FaultKind.OK)),
                FaultRule("*", sequence=(FaultKind.INTERNAL, FaultKind.DROP)),
            )
        )
    )
    kinds = [injector.choose("DescribeDomain", "alpha") for _ in range(4)]
    assert [None if fault is None else fault.kind for fault in kinds] == [
        FaultKind.THROTTLE,
        FaultKind.INTERNAL,
        FaultKind.DROP,
        None,
    ]
    assert [None if fault is None else fault.rule_index for fault in kinds] == [0, 1, 1, None]


def test_control_calls_never_faulted(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.set_faults([{"operation": "*", "kind": "drop"}])
    assert emulator.health() is True
    emulator.seed_domain("alpha")
    emulator.advance(10)
    with pytest.raises(ConnectionClosedError):
        opensearch.list_domain_names()
    assert [entry["injected"] for entry in emulator.requests()] == ["drop"]


# Server survival


def test_server_serves_after_drops(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha")
    emulator.set_faults(
        [{"operation": "DescribeDomain", "sequence": ["drop", "drop_after", "ok"] * 5}]
    )
    outcomes = []
    for _ in range(15):
        try:
            opensearch.describe_domain(DomainName="alpha")
            outcomes.append("ok")
        except ConnectionClosedError:
            outcomes.append("closed")
    assert outcomes == ["closed", "closed", "ok"] * 5
    assert opensearch.describe_domain(DomainName="alpha")["DomainStatus"]["DomainName"] == "alpha"
    assert emulator.health() is True
    statuses = [entry["status"] for entry in emulator.requests()]
    assert statuses == [None, None, 200] * 5 + [200]


# Control endpoints


def test_faults_snapshot_round_trips(emulator: EmulatorClient) -> None:
    rules = [
        {"operation": START, "domain": "alpha", "kind": "throttle", "rate": 0.25, "limit": 3},
        {"operation": "DescribeDomain", "sequence": ["ok", "latency"], "seconds": 0.5},
    ]
    snapshot = emulator.set_faults(rules, seed=11)
    assert snapshot == {
        "seed": 11,
        "rules": rules,
        "rule_counters": [{"matched": 0, "injected": 0}, {"matched": 0, "injected": 0}],
        "injected": {},
    }
    assert emulator.set_faults(snapshot["rules"], seed=snapshot["seed"]) == snapshot
    assert emulator.faults() == snapshot


def test_rate_defaults_to_every_call(emulator: EmulatorClient) -> None:
    snapshot = emulator.set_faults([{"operation": START, "kind": "internal"}])
    assert snapshot["rules"] == [{"operation": START, "kind": "internal", "rate": 1.0}]
    assert snapshot["seed"] == 0


def test_delete_clears_faults(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha")
    emulator.set_faults([{"operation": "*", "kind": "throttle"}])
    with pytest.raises(ClientError):
        opensearch.describe_domain(DomainName="alpha")
    emulator.clear_faults()
    assert emulator.faults() == {"seed": 0, "rules": [], "rule_counters": [], "injected": {}}
    assert opensearch.describe_domain(DomainName="alpha")["DomainStatus"]["DomainName"] == "alpha"


def test_reset_clears_faults_and_stuck(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha", new_version="R2", update_status="IN_PROGRESS")
    emulator.set_stuck("alpha")
    emulator.set_faults([{"operation": "ListDomainNames", "kind": "throttle"}], seed=5)
    with pytest.raises(ClientError):
        opensearch.list_domain_names()

    emulator.reset()
    assert emulator.faults() == {"seed": 0, "rules": [], "rule_counters": [], "injected": {}}
    assert emulator.stuck_domains() == []
    assert opensearch.list_domain_names()["DomainNames"] == []
    # A domain created again after the reset is not stuck.
    emulator.seed_domain("alpha", new_version="R2", update_status="IN_PROGRESS")
    emulator.advance(601)
    assert update_status(opensearch, "alpha") == "COMPLETED"


BAD_RULES: list[tuple[Any, str]] = [
    ({}, "field 'rules' is required"),
    ({"rules": "throttle"}, "field 'rules' must be a list, got 'throttle'"),
    ({"rules": [], "seed": -1}, "field 'seed' must be an integer from 0 to"),
    ({"rules": [], "seed": "seven"}, "field 'seed' must be an integer from 0 to"),
    ({"rules": [], "colour": "blue"}, "unknown field(s): colour"),
    ({"rules": ["throttle"]}, "rules[0] must be a JSON object, got 'throttle'"),
    ({"rules": [{"kind": "throttle"}]}, "rules[0]: field 'operation' is required"),
    (
        {"rules": [{"operation": "DescribeDomian", "kind": "throttle"}]},
        "rules[0]: field 'operation' must be '*' or an operation in botocore's OpenSearch "
        "Service model, such as DescribeDomain, got 'DescribeDomian' "
        "(did you mean DescribeDomain?)",
    ),
    (
        {"rules": [{"operation": "DescribeDomain", "kind": "slow"}]},
        "rules[0]: field 'kind' must be one of throttle, internal, internal_after, drop, "
        "drop_after, latency, not_found, got 'slow'",
    ),
    (
        {"rules": [{"operation": "DescribeDomain", "kind": "ok"}]},
        "rules[0]: field 'kind' must be one of throttle,",
    ),
    (
        {"rules": [{"operation": "DescribeDomain"}]},
        "rules[0]: give exactly one of field 'kind' and field 'sequence'",
    ),
    (
        {"rules": [{"operation": "DescribeDomain", "kind": "drop", "sequence": ["drop"]}]},
        "rules[0]: give exactly one of field 'kind' and field 'sequence'",
    ),
    (
        {"rules": [{"operation": "DescribeDomain", "kind": "drop", "rate": 1.5}]},
        "rules[0]: field 'rate' must be a number from 0 to 1, got 1.5",
    ),
    (
        {"rules": [{"operation": "DescribeDomain", "kind": "drop", "rate": True}]},
        "rules[0]: field 'rate' must be a number from 0 to 1, got True",
    ),
    (
        {"rules": [{"operation": "DescribeDomain", "sequence": ["drop"], "rate": 0.5}]},
        "rules[0]: field 'rate' is only valid with field 'kind', not with 'sequence'",
    ),
    (
        {"rules": [{"operation": "DescribeDomain", "sequence": []}]},
        "rules[0]: field 'sequence' must be a non-empty list of ok, throttle,",
    ),
    (
        {"rules": [{"operation": "DescribeDomain", "sequence": ["ok", "boom"]}]},
        "rules[0]: field 'sequence' must be a non-empty list of ok, throttle, internal, "
        "internal_after, drop, drop_after, latency, not_found, got ['ok', 'boom']",
    ),
    (
        {"rules": [{"operation": "DescribeDomain", "kind": "drop", "limit": 0}]},
        "rules[0]: field 'limit' must be an integer >= 1, got 0",
    ),
    (
        {"rules": [{"operation": "DescribeDomain", "kind": "drop", "limit": 2.5}]},
        "rules[0]: field 'limit' must be an integer >= 1, got 2.5",
    ),
    (
        {"rules": [{"operation": "DescribeDomain", "kind": "latency"}]},
        "rules[0]: field 'seconds' must be a number above 0 and at most 600.0 "
        "for kind latency, got None",
    ),
    (
        {"rules": [{"operation": "DescribeDomain", "sequence": ["latency"], "seconds": 0}]},
        "rules[0]: field 'seconds' must be a number above 0 and at most 600.0 "
        "for kind latency, got 0.0",
    ),
    (
        {"rules": [{"operation": "DescribeDomain", "kind": "latency", "seconds": 601}]},
        "rules[0]: field 'seconds' must be a number from 0 to 600.0, got 601",
    ),
    (
        {"rules": [{"operation": "DescribeDomain", "kind": "throttle", "seconds": 1}]},
        "rules[0]: field 'seconds' is only valid for a rule that can inject latency",
    ),
    (
        {"rules": [{"operation": "DescribeDomain", "kind": "drop", "domain": ""}]},
        "rules[0]: field 'domain' must be a non-empty string or null, got ''",
    ),
    (
        {"rules": [{"operation": "DescribeDomain", "kinds": ["drop"], "kind": "drop"}]},
        "rules[0]: unknown field(s): kinds",
    ),
    (
        {"rules": [{"operation": "*", "kind": "drop"}, {"operation": "*", "kind": "nap"}]},
        "rules[1]: field 'kind' must be one of",
    ),
]


@pytest.mark.parametrize(("body", "message"), BAD_RULES)
def test_faults_reject_bad_rules(
    emulator: EmulatorClient, emulator_server: EmulatorServer, body: Any, message: str
) -> None:
    earlier_snapshot = emulator.set_faults([{"operation": START, "kind": "throttle"}], seed=3)
    status, reply = control_call(emulator_server.url, "POST", "faults", body)
    assert status == 400
    assert reply["message"].startswith(message)
    # A rejected body leaves the earlier rules in force.
    assert emulator.faults() == earlier_snapshot


# Stuck domains


def test_stuck_update_stays_in_progress(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha", current_version="R1", new_version="R2")
    stuck = emulator.set_stuck("alpha")
    assert stuck == {
        "name": "alpha",
        "region": REGION,
        "account_id": "123456789012",
        "stuck": True,
        "update_status": "ELIGIBLE",
    }
    assert emulator.stuck_domains() == [
        {"name": "alpha", "region": REGION, "account_id": "123456789012"}
    ]
    opensearch.start_service_software_update(DomainName="alpha", ScheduleAt="NOW")
    emulator.advance(61)
    assert update_status(opensearch, "alpha") == "IN_PROGRESS"
    emulator.advance(365 * 86400)
    assert update_status(opensearch, "alpha") == "IN_PROGRESS"
    actions = opensearch.list_scheduled_actions(DomainName="alpha")["ScheduledActions"]
    assert [action["Status"] for action in actions] == ["IN_PROGRESS"]

    released = emulator.set_stuck("alpha", stuck=False)
    assert released["stuck"] is False
    assert released["update_status"] == "IN_PROGRESS"
    assert emulator.stuck_domains() == []
    # A released update runs a full in_progress_seconds (600 by default) from the release.
    emulator.advance(599)
    assert update_status(opensearch, "alpha") == "IN_PROGRESS"
    emulator.advance(2)
    options = opensearch.describe_domain(DomainName="alpha")["DomainStatus"][
        "ServiceSoftwareOptions"
    ]
    assert options["UpdateStatus"] == "COMPLETED"
    assert options["CurrentVersion"] == "R2"


def test_stuck_released_early_keeps_timeline(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha", new_version="R2")
    emulator.set_stuck("alpha")
    emulator.set_stuck("alpha", stuck=False)
    opensearch.start_service_software_update(DomainName="alpha", ScheduleAt="NOW")
    emulator.advance(60 + 600)
    assert update_status(opensearch, "alpha") == "COMPLETED"


def test_stuck_after_due_completion(
    emulator: EmulatorClient, opensearch: OpenSearchServiceClient
) -> None:
    emulator.seed_domain("alpha", new_version="R2", update_status="IN_PROGRESS")
    emulator.advance(600)
    # The update was due before the flag was set, so it completes all the same.
    assert emulator.set_stuck("alpha")["update_status"] == "COMPLETED"
    assert update_status(opensearch, "alpha") == "COMPLETED"


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"name": "alpha"}, 400, "field 'stuck' is required"),
        ({"name": "alpha", "stuck": "yes"}, 400, "field 'stuck' must be true or false, got 'yes'"),
        ({"stuck": True}, 400, "field 'name' is required"),
        ({"name": "alpha", "stuck": True, "until": 5}, 400, "unknown field(s): until"),
        (
            {"name": "ghost", "stuck": True},
            404,
            "domain 'ghost' not found in account 123456789012, region us-east-1",
        ),
    ],
)
def test_stuck_rejects_bad_input(
    emulator: EmulatorClient, emulator_server: EmulatorServer, body: Any, status: int, message: str
) -> None:
    emulator.seed_domain("alpha")
    reply_status, reply = control_call(emulator_server.url, "POST", "stuck", body)
    assert reply_status == status
    assert reply["message"] == message


# Command line


def test_cli_parses_faults_file(tmp_path: Path) -> None:
    path = tmp_path / "faults.json"
    path.write_text(
        json.dumps({"seed": 4, "rules": [{"operation": START, "kind": "drop"}]}), encoding="utf-8"
    )
    args = _parse_args(["--faults", str(path)])
    assert args.fault_config == FaultConfig(4, (FaultRule(START, kind=FaultKind.DROP),))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON"),
        ('{"rules": [{"operation": "*"}]}', "rules[0]: give exactly one of field 'kind'"),
        (None, "cannot read --faults file"),
    ],
)
def test_cli_rejects_bad_faults_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    path = tmp_path / "faults.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        _parse_args(["--faults", str(path)])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.usefixtures("fake_aws_environment")
def test_cli_serves_with_faults(tmp_path: Path, emulator_process: Callable[..., Any]) -> None:
    faults_file = tmp_path / "faults.json"
    faults_file.write_text(
        json.dumps({"seed": 2, "rules": [{"operation": "ListDomainNames", "kind": "throttle"}]}),
        encoding="utf-8",
    )
    process, url = emulator_process(tmp_path / "port", "--faults", str(faults_file))
    try:
        assert EmulatorClient(url).faults()["rules"] == [
            {"operation": "ListDomainNames", "kind": "throttle", "rate": 1.0}
        ]
        with pytest.raises(ClientError) as error:
            make_client(url).list_domain_names()
        assert error_of(error)[0] == "ThrottlingException"
    finally:
        process.send_signal(signal.SIGTERM)
        _stdout, stderr = process.communicate(timeout=15)
    assert process.returncode == 0
    assert f"loaded 1 fault rule(s) from {faults_file}" in stderr
    assert "ListDomainNames domain=None status=400 error=ThrottlingException" in stderr


def test_seed_again_clears_stuck(emulator: EmulatorClient) -> None:
    emulator.seed_domain("alpha", new_version="R2")
    emulator.set_stuck("alpha")
    emulator.seed_domain("alpha", new_version="R2")
    assert emulator.stuck_domains() == []
