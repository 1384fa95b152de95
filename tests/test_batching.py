"""DescribeBatcher: concurrent describes share DescribeDomains; failures stay per domain."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from components.opensearch.batching import MAX_NAMES, DescribeBatcher, batcher_for
from emulator import EmulatorClient, EmulatorServer

pytest_plugins = ["emulator_fixtures"]

OLD = "OpenSearch_2_11_R20231113-P1"
NEW = "OpenSearch_2_11_R20240502"


@pytest.fixture
def live(emulator_client: EmulatorClient) -> EmulatorClient:
    emulator_client.reset()
    for index in range(8):
        emulator_client.seed_domain(f"dom{index}", current_version=OLD, new_version=NEW)
    emulator_client.clear_requests()
    return emulator_client


@pytest.fixture
def patient(
    emulator_server: EmulatorServer, opensearch_factory: Callable[..., Any]
) -> DescribeBatcher:
    """A batcher against the emulator whose long quiet period does not depend on timing."""
    return DescribeBatcher(
        opensearch_factory(emulator_server.url), quiet_seconds=0.5, max_wait_seconds=2
    )


def describe_at_once(batcher: DescribeBatcher, names: list[str]) -> dict[str, Any]:
    """Call ``batcher.describe`` for every name from its own thread, released together."""
    barrier = threading.Barrier(len(names))
    # A DomainStatus dict, or the exception that describe raised, per name.
    results: dict[str, Any] = {}

    def run(name: str) -> None:
        barrier.wait()
        try:
            results[name] = batcher.describe(name)
        except BaseException as exc:
            results[name] = exc

    threads = [threading.Thread(target=run, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def operations(client: EmulatorClient) -> Counter[str]:
    return Counter(str(entry["operation"]) for entry in client.requests())


def test_batcher_single_caller_uses_describe_domain(
    live: EmulatorClient,
    emulator_server: EmulatorServer,
    opensearch_factory: Callable[..., Any],
) -> None:
    batcher = DescribeBatcher(opensearch_factory(emulator_server.url))
    status = batcher.describe("dom0")
    assert status["DomainName"] == "dom0"
    assert status["ServiceSoftwareOptions"]["NewVersion"] == NEW
    assert operations(live) == Counter({"DescribeDomain": 1})


def test_batcher_concurrent_callers_share_request(
    live: EmulatorClient, patient: DescribeBatcher
) -> None:
    batcher = patient
    names = ["dom0", "dom1", "dom2", "dom3"]
    results = describe_at_once(batcher, names)
    for name in names:
        result = results[name]
        assert isinstance(result, dict)
        assert result["DomainName"] == name
    entries = live.requests()
    assert [entry["operation"] for entry in entries] == ["DescribeDomains"]
    assert sorted(entries[0]["params"]["DomainNames"]) == names


def test_batcher_splits_batches_above_five(live: EmulatorClient, patient: DescribeBatcher) -> None:
    batcher = patient
    names = [f"dom{index}" for index in range(8)]
    results = describe_at_once(batcher, names)
    assert {name: result["DomainName"] for name, result in results.items()} == {
        name: name for name in names
    }
    described: list[str] = []
    for entry in live.requests():
        if entry["operation"] == "DescribeDomains":
            assert len(entry["params"]["DomainNames"]) <= MAX_NAMES
            described.extend(entry["params"]["DomainNames"])
        else:
            assert entry["operation"] == "DescribeDomain"
            described.append(entry["params"]["DomainName"])
    assert sorted(described) == sorted(names)
    assert operations(live)["DescribeDomains"] >= 1


def test_batcher_unknown_domain_gets_not_found(
    live: EmulatorClient, patient: DescribeBatcher
) -> None:
    batcher = patient
    results = describe_at_once(batcher, ["dom0", "ghost", "dom1"])
    assert isinstance(results["dom0"], dict)
    assert isinstance(results["dom1"], dict)
    error = results["ghost"]
    assert isinstance(error, ClientError)
    assert error.response["Error"]["Code"] == "ResourceNotFoundException"
    # DescribeDomains leaves the unknown name out; only that name is described again.
    assert operations(live) == Counter({"DescribeDomains": 1, "DescribeDomain": 1})
    assert [e["domain"] for e in live.requests() if e["operation"] == "DescribeDomain"] == ["ghost"]


class FakeClient:
    """A client whose DescribeDomains fails with ``batch_error``; DescribeDomain works."""

    def __init__(self, batch_error: Callable[[], BaseException]) -> None:
        self.batch_error = batch_error
        self.calls: list[str] = []
        self.lock = threading.Lock()

    def describe_domains(self, **params: Any) -> dict[str, Any]:
        assert params["DomainNames"]
        with self.lock:
            self.calls.append("DescribeDomains")
        raise self.batch_error()

    def describe_domain(self, DomainName: str) -> dict[str, Any]:
        with self.lock:
            self.calls.append("DescribeDomain")
        return {"DomainStatus": {"DomainName": DomainName}}


def patient_fake(client: FakeClient) -> DescribeBatcher:
    """A batcher over ``client`` with a quiet period long enough not to depend on timing."""
    return DescribeBatcher(client, quiet_seconds=0.5, max_wait_seconds=2)  # type: ignore[arg-type]


def access_denied() -> ClientError:
    body: Any = {"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}}
    return ClientError(body, "DescribeDomains")


def test_batcher_access_denied_disables_batching(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake = FakeClient(access_denied)
    batcher = patient_fake(fake)
    first = describe_at_once(batcher, ["a", "b", "c"])
    assert {name: result["DomainName"] for name, result in first.items()} == {
        "a": "a",
        "b": "b",
        "c": "c",
    }
    assert batcher.batching is False
    assert "es:DescribeDomains" in caplog.text
    # Later concurrent callers no longer try DescribeDomains.
    describe_at_once(batcher, ["d", "e"])
    assert Counter(fake.calls) == Counter({"DescribeDomains": 1, "DescribeDomain": 5})


def test_batcher_failed_batch_falls_back() -> None:
    fake = FakeClient(lambda: EndpointConnectionError(endpoint_url="http://127.0.0.1:9"))
    batcher = patient_fake(fake)
    results = describe_at_once(batcher, ["a", "b"])
    assert all(isinstance(result, dict) for result in results.values())
    assert batcher.batching is True
    assert Counter(fake.calls) == Counter({"DescribeDomains": 1, "DescribeDomain": 2})


def test_batcher_fallback_error_stays_per_caller() -> None:
    class PartlyFailing(FakeClient):
        def describe_domain(self, DomainName: str) -> dict[str, Any]:
            if DomainName == "bad":
                raise ClientError(
                    {"Error": {"Code": "ResourceNotFoundException", "Message": "gone"}},
                    "DescribeDomain",
                )
            return super().describe_domain(DomainName)

    batcher = patient_fake(PartlyFailing(access_denied))
    results = describe_at_once(batcher, ["good", "bad"])
    assert isinstance(results["good"], dict)
    assert isinstance(results["bad"], ClientError)


def test_batcher_for_one_per_client(
    emulator_server: EmulatorServer, opensearch_factory: Callable[..., Any]
) -> None:
    first = opensearch_factory(emulator_server.url)
    second = opensearch_factory(emulator_server.url)
    assert batcher_for(first) is batcher_for(first)
    assert batcher_for(first) is not batcher_for(second)


def test_batcher_unexpected_error_reaches_every_caller() -> None:
    class Malformed(FakeClient):
        def describe_domains(self, **params: Any) -> dict[str, Any]:
            assert params["DomainNames"]
            return {"DomainStatusList": [{"NoName": True}]}

    batcher = patient_fake(Malformed(access_denied))
    results = describe_at_once(batcher, ["good", "bad"])
    assert isinstance(results["good"], KeyError)
    assert isinstance(results["bad"], KeyError)
