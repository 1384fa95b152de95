"""Invalid inputs through `pulumi preview` of the example program against the emulator.

Each case sets stack config, runs a real preview and checks four things: the preview
fails, the output names the input, the bad value and the fix, no Python traceback is
printed, and the emulator saw no call at all. The two rules that depend on the domain
(a required update's deadline and a disabled off-peak window) may read it with
DescribeDomain, and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from devtools.engine import PulumiCommandError, PulumiWorkspace
from emulator import MUTATING_OPERATIONS, EmulatorClient

pytestmark = pytest.mark.engine

REGION = "us-east-1"
OLD = "R20250403-P5"
NEW = "R20251106-P2"
DOMAIN = "logs-dev"
DOMAINS_KEY = "opensearch-updates:domains"
WAVES_KEY = "opensearch-updates:waves"
FUTURE = "2030-01-01T00:00:00Z"
TRACEBACK = "Traceback (most recent call last)"


@dataclass(frozen=True)
class BadInput:
    """One invalid stack config and the fragments its error message must contain."""

    config: dict[str, Any]
    input_name: str
    value: str
    hint: str
    # Extra keyword arguments for seed_domain of DOMAIN, such as a disabled off-peak window.
    seed: dict[str, Any] = field(default_factory=dict)
    # When set, DOMAIN's update is required and AWS applies it this many days from now.
    deadline_in_days: int | None = None
    # True where preview may read the domain with DescribeDomain: the two rules that
    # depend on its state, and a rollout's preview notes.
    reads_domain: bool = False


def case(case_id: str, bad_input: BadInput, xfail: str | None = None) -> Any:
    marks = [pytest.mark.xfail(strict=True, reason=xfail)] if xfail else []
    return pytest.param(bad_input, id=case_id, marks=marks)


def one_domain(**settings: Any) -> dict[str, Any]:
    """Return config with DOMAIN as the only entry, carrying its own settings."""
    return {"domains": [{"name": DOMAIN, **settings}]}


# Numbers in stack config reach the provider as floats; type errors show 1 as 1.0.
DOMAIN_NAME_CASES = [
    case(
        "domain-upper-case",
        BadInput(
            {"domains": ["LogsDev"]},
            "domain_name",
            "'LogsDev'",
            "must start with a lowercase letter and contain only lowercase letters",
        ),
    ),
    case(
        "domain-underscore",
        BadInput(
            {"domains": ["logs_dev"]},
            "domain_name",
            "'logs_dev'",
            "only lowercase letters, digits and hyphens",
        ),
    ),
    case(
        "domain-leading-digit",
        BadInput(
            {"domains": ["1logs"]},
            "domain_name",
            "'1logs'",
            "must start with a lowercase letter",
        ),
    ),
    case(
        "domain-too-short",
        BadInput(
            {"domains": ["ab"]},
            "domain_name",
            "'ab' is 2 characters long",
            "domain names are 3 to 28 characters",
        ),
    ),
    case(
        "domain-too-long",
        BadInput(
            {"domains": ["a" * 29]},
            "domain_name",
            f"'{'a' * 29}' is 29 characters long",
            "domain names are 3 to 28 characters",
        ),
    ),
    case(
        "domain-empty-string-entry",
        BadInput(
            {"domains": [""]},
            f"{DOMAINS_KEY}[0]",
            "got ''",
            "must be a domain name or an object with a 'name'",
        ),
    ),
    case(
        "domain-empty-name-in-object",
        BadInput(
            {"domains": [{"name": ""}]},
            f"{DOMAINS_KEY}[0].name",
            "got ''",
            "add name: <domain> to the entry",
        ),
    ),
    case(
        "domain-name-is-number",
        BadInput(
            {"domains": [{"name": 42}]},
            f"{DOMAINS_KEY}[0].name",
            "got 42",
            "add name: <domain> to the entry",
        ),
    ),
]

DOMAINS_SHAPE_CASES = [
    case(
        "config-key-misspelt",
        BadInput(
            {"domains": [DOMAIN], "schedulAt": "TIMESTAMP"},
            "opensearch-updates:schedulAt",
            "is not a setting of this program",
            "did you mean opensearch-updates:scheduleAt?",
        ),
    ),
    case(
        "config-key-wrong-case",
        BadInput(
            {"domains": [DOMAIN], "waitforcompletion": "true"},
            "opensearch-updates:waitforcompletion",
            "is not a setting of this program",
            "did you mean opensearch-updates:waitForCompletion?",
        ),
    ),
    case(
        "domains-missing",
        BadInput(
            {"scheduleAt": "NOW"},
            DOMAINS_KEY,
            "is missing",
            "pulumi config set --path 'domains[0]' logs-dev",
        ),
    ),
    case(
        "domains-empty-list",
        BadInput(
            {"domains": []},
            DOMAINS_KEY,
            "got []",
            "must be a non-empty list of domain names or objects",
        ),
    ),
    case(
        "domains-is-object",
        BadInput(
            {"domains": {"name": DOMAIN}},
            DOMAINS_KEY,
            "got {'name': 'logs-dev'}",
            "must be a non-empty list of domain names or objects",
        ),
    ),
    case(
        "domains-is-number",
        BadInput(
            {"domains": 5},
            DOMAINS_KEY,
            "got 5",
            "must be a non-empty list of domain names or objects",
        ),
    ),
    case(
        "domains-entry-is-number",
        BadInput(
            {"domains": [123]},
            f"{DOMAINS_KEY}[0]",
            "got 123",
            "must be a domain name or an object with a 'name'",
        ),
    ),
    case(
        "domains-entry-is-list",
        BadInput(
            {"domains": [[DOMAIN]]},
            f"{DOMAINS_KEY}[0]",
            "got ['logs-dev']",
            "must be a domain name or an object with a 'name'",
        ),
    ),
    case(
        "domains-entry-unknown-key",
        BadInput(
            one_domain(schedule="NOW"),
            f"{DOMAINS_KEY}[0]",
            "unknown keys ['schedule']",
            "allowed keys are",
        ),
    ),
    case(
        "domains-entry-snake-case-key",
        BadInput(
            one_domain(schedule_at="NOW"),
            f"{DOMAINS_KEY}[0]",
            "unknown keys ['schedule_at']",
            "allowed keys are",
        ),
    ),
    case(
        "domains-listed-twice",
        BadInput(
            {"domains": [DOMAIN, DOMAIN]},
            f"{DOMAINS_KEY}[1]",
            "repeats domain 'logs-dev'",
            "list each domain once",
        ),
    ),
]

SCHEDULE_CASES = [
    case(
        "schedule-unknown-value",
        BadInput(
            {"domains": [DOMAIN], "scheduleAt": "LATER"},
            "schedule_at",
            "'LATER'",
            "use one of NOW, TIMESTAMP, OFF_PEAK_WINDOW",
        ),
    ),
    case(
        "schedule-is-number",
        BadInput(
            one_domain(scheduleAt=5),
            "schedule_at",
            "schedule_at 5.0 is invalid",
            "use one of NOW, TIMESTAMP, OFF_PEAK_WINDOW",
        ),
    ),
    case(
        "schedule-timestamp-without-time",
        BadInput(
            one_domain(scheduleAt="TIMESTAMP"),
            "desired_start_time",
            "schedule_at is TIMESTAMP",
            "desired_start_time is missing; set desired_start_time",
        ),
    ),
    case(
        "schedule-now-with-time",
        BadInput(
            one_domain(scheduleAt="NOW", desiredStartTime=FUTURE),
            "desired_start_time",
            f"desired_start_time '{FUTURE}' is set but schedule_at is NOW",
            "remove desired_start_time or set schedule_at to TIMESTAMP",
        ),
    ),
    case(
        "schedule-off-peak-with-time",
        BadInput(
            one_domain(scheduleAt="OFF_PEAK_WINDOW", desiredStartTime=FUTURE),
            "desired_start_time",
            f"desired_start_time '{FUTURE}' is set but schedule_at is OFF_PEAK_WINDOW",
            "remove desired_start_time or set schedule_at to TIMESTAMP",
        ),
    ),
    case(
        "schedule-default-now-with-default-time",
        BadInput(
            {"domains": [DOMAIN], "scheduleAt": "now", "desiredStartTime": FUTURE},
            "desired_start_time",
            f"desired_start_time '{FUTURE}' is set but schedule_at is NOW",
            "remove desired_start_time or set schedule_at to TIMESTAMP",
        ),
    ),
    case(
        "schedule-off-peak-window-disabled",
        BadInput(
            one_domain(scheduleAt="OFF_PEAK_WINDOW"),
            "schedule_at",
            "schedule_at OFF_PEAK_WINDOW needs the off-peak window of domain 'logs-dev'",
            "enable it (OffPeakWindowOptions) or use NOW or TIMESTAMP",
            seed={"off_peak_window_enabled": False},
            reads_domain=True,
        ),
    ),
]

START_TIME_CASES = [
    case(
        "time-epoch-seconds",
        BadInput(
            one_domain(desiredStartTime=1_893_456_000),
            "desired_start_time",
            "desired_start_time 1893456000 is too small for epoch milliseconds",
            "if it is epoch seconds, use 1893456000000",
        ),
    ),
    case(
        "time-epoch-seconds-string",
        BadInput(
            one_domain(desiredStartTime="1893456000"),
            "desired_start_time",
            "desired_start_time 1893456000 is too small for epoch milliseconds",
            "if it is epoch seconds, use 1893456000000",
        ),
    ),
    case(
        "time-tiny-integer",
        BadInput(
            one_domain(desiredStartTime=12345),
            "desired_start_time",
            "desired_start_time 12345",
            "is too small for epoch milliseconds",
        ),
    ),
    case(
        "time-naive",
        BadInput(
            one_domain(desiredStartTime="2030-01-01T00:00:00"),
            "desired_start_time",
            "'2030-01-01T00:00:00' has no UTC offset",
            "add one, for example '+00:00' or 'Z'",
        ),
    ),
    case(
        "time-not-iso",
        BadInput(
            one_domain(desiredStartTime="next tuesday"),
            "desired_start_time",
            "'next tuesday' is not an ISO-8601 time",
            "write it like '2026-12-05T22:00:00Z'",
        ),
    ),
    case(
        "time-in-the-past",
        BadInput(
            one_domain(desiredStartTime="2020-01-01T00:00:00Z"),
            "desired_start_time",
            "'2020-01-01T00:00:00Z' (2020-01-01T00:00:00Z) is in the past",
            "pick a future time or use schedule_at NOW",
        ),
    ),
    case(
        "time-past-epoch-milliseconds",
        BadInput(
            one_domain(desiredStartTime=1_000_000_000_000),
            "desired_start_time",
            "desired_start_time 1000000000000 (2001-09-09T01:46:40Z) is in the past",
            "pick a future time or use schedule_at NOW",
        ),
    ),
    case(
        "time-is-boolean",
        BadInput(
            one_domain(desiredStartTime=True),
            "desired_start_time",
            "got the boolean True",
            "desired_start_time must be a time",
        ),
    ),
    case(
        "time-is-list",
        BadInput(
            one_domain(desiredStartTime=[FUTURE]),
            "desired_start_time",
            f"got list ['{FUTURE}']",
            "an ISO-8601 string with a UTC offset",
        ),
    ),
    case(
        "time-after-required-deadline",
        BadInput(
            one_domain(desiredStartTime="2099-01-01T00:00:00Z"),
            "desired_start_time",
            "desired_start_time 2099-01-01T00:00:00Z is after",
            f"applies the required update {NEW} to 'logs-dev' itself; pick an earlier time",
            deadline_in_days=14,
            reads_domain=True,
        ),
    ),
]

OPTION_CASES = [
    case(
        "wait-is-string",
        BadInput(
            one_domain(waitForCompletion="yes"),
            "wait_for_completion",
            "got str 'yes'",
            "must be true or false",
        ),
    ),
    case(
        "wait-is-number",
        BadInput(
            {"domains": [DOMAIN], "waitForCompletion": 1},
            "wait_for_completion",
            "got float 1.0",
            "must be true or false",
        ),
    ),
    case(
        "cancel-is-string",
        BadInput(
            one_domain(cancelOnDelete="sometimes"),
            "cancel_on_delete",
            "got str 'sometimes'",
            "must be true or false",
        ),
    ),
    case(
        "cancel-is-number",
        BadInput(
            {"domains": [DOMAIN], "cancelOnDelete": 0},
            "cancel_on_delete",
            "got float 0.0",
            "must be true or false",
        ),
    ),
    case(
        "timeout-is-string",
        BadInput(
            one_domain(completionTimeout="soon"),
            "completion_timeout",
            "got str 'soon'",
            "must be a number of minutes",
        ),
    ),
    case(
        "timeout-is-boolean",
        BadInput(
            one_domain(completionTimeout=True),
            "completion_timeout",
            "got bool True",
            "must be a number of minutes",
        ),
    ),
    case(
        "timeout-zero",
        BadInput(
            one_domain(completionTimeout=0),
            "completion_timeout",
            "completion_timeout 0 minutes is out of range",
            "use more than 0 and at most 1440 (24 hours)",
        ),
    ),
    case(
        "timeout-negative",
        BadInput(
            {"domains": [DOMAIN], "completionTimeout": -5},
            "completion_timeout",
            "completion_timeout -5 minutes is out of range",
            "use more than 0 and at most 1440 (24 hours)",
        ),
    ),
    case(
        "timeout-over-a-day",
        BadInput(
            one_domain(completionTimeout=1441),
            "completion_timeout",
            "completion_timeout 1441 minutes is out of range",
            "use more than 0 and at most 1440 (24 hours)",
        ),
    ),
    case(
        "role-arn-not-an-arn",
        BadInput(
            one_domain(roleArn="opensearch-updates"),
            "role_arn",
            "role_arn 'opensearch-updates' is not an IAM role ARN",
            "write it like 'arn:aws:iam::123456789012:role/opensearch-updates'",
        ),
    ),
    case(
        "role-arn-user-not-role",
        BadInput(
            {"domains": [DOMAIN], "roleArn": "arn:aws:iam::123456789012:user/alice"},
            "role_arn",
            "'arn:aws:iam::123456789012:user/alice' is not an IAM role ARN",
            "write it like 'arn:aws:iam::123456789012:role/opensearch-updates'",
        ),
    ),
    case(
        "role-arn-short-account",
        BadInput(
            one_domain(roleArn="arn:aws:iam::1234:role/updates"),
            "role_arn",
            "'arn:aws:iam::1234:role/updates' is not an IAM role ARN",
            "write it like 'arn:aws:iam::123456789012:role/opensearch-updates'",
        ),
    ),
    case(
        "profile-with-space",
        BadInput(
            one_domain(profile="my profile"),
            "profile",
            "profile 'my profile' is not a profile name",
            "leave it unset to use aws:profile",
        ),
    ),
    case(
        "profile-is-number",
        BadInput(
            {"domains": [DOMAIN], "profile": 42},
            "profile",
            "profile 42.0 is not a profile name",
            "leave it unset to use aws:profile",
        ),
    ),
    case(
        "profile-not-configured",
        BadInput(
            one_domain(profile="payments-prod"),
            "profile",
            "profile 'payments-prod' is not in the AWS config files",
            "aws configure --profile NAME",
        ),
    ),
    case(
        "region-not-a-region",
        BadInput(
            one_domain(region="moon-base"),
            "region",
            "region 'moon-base' is not an AWS region name",
            "use one like 'us-east-1'",
        ),
    ),
    case(
        "region-underscores",
        BadInput(
            {"domains": [DOMAIN], "region": "us_east_1"},
            "region",
            "region 'us_east_1' is not an AWS region name",
            "use one like 'us-east-1'",
        ),
    ),
    case(
        "region-is-number",
        BadInput(
            one_domain(region=1),
            "region",
            "region 1.0 is not an AWS region name",
            "use one like 'us-east-1'",
        ),
    ),
    case(
        "region-upper-case",
        BadInput(
            one_domain(region="US-EAST-1"),
            "region",
            "'US-EAST-1'",
            "use one like 'us-east-1'",
        ),
    ),
    case(
        "stack-region-invalid",
        BadInput(
            {"domains": [DOMAIN], "aws:region": "nowhere"},
            "aws:region",
            "'nowhere' is not an AWS region name",
            "pulumi config set aws:region us-east-1",
        ),
    ),
]

WAVES_CASES = [
    case(
        "waves-is-string",
        BadInput(
            {"waves": "dev"},
            WAVES_KEY,
            "'dev'",
            "must be a non-empty list of objects with a 'domains' list",
        ),
    ),
    case(
        "waves-empty-list",
        BadInput(
            {"waves": []},
            WAVES_KEY,
            "[]",
            "must be a non-empty list of objects with a 'domains' list",
        ),
    ),
    case(
        "waves-entry-is-string",
        BadInput(
            {"waves": ["dev"]},
            f"{WAVES_KEY}[0]",
            "got 'dev'",
            "must be an object",
        ),
    ),
    case(
        "waves-entry-unknown-key",
        BadInput(
            {"waves": [{"domains": [DOMAIN], "region": REGION}]},
            f"{WAVES_KEY}[0]",
            "unknown keys ['region']",
            "allowed keys are",
        ),
    ),
    case(
        "waves-entry-without-domains",
        BadInput(
            {"waves": [{"name": "dev"}]},
            f"{WAVES_KEY}[0].domains",
            "got None",
            "must be a non-empty list of domain names",
        ),
    ),
    case(
        "waves-domains-is-string",
        BadInput(
            {"waves": [{"domains": DOMAIN}]},
            f"{WAVES_KEY}[0].domains",
            "got 'logs-dev'",
            "must be a non-empty list of domain names",
        ),
    ),
    case(
        "waves-domains-empty-name",
        BadInput(
            {"waves": [{"domains": [""]}]},
            f"{WAVES_KEY}[0].domains",
            "got ['']",
            "must be a non-empty list of domain names",
        ),
    ),
    case(
        "waves-and-domains-both-set",
        BadInput(
            {"waves": [{"domains": [DOMAIN]}], "domains": [DOMAIN]},
            WAVES_KEY,
            f"{DOMAINS_KEY} are both set",
            "a stack uses one of them",
        ),
    ),
    case(
        "waves-with-top-level-wait",
        BadInput(
            {"waves": [{"domains": [DOMAIN]}], "waitForCompletion": True},
            "opensearch-updates:waitForCompletion",
            "does not apply to waves",
            "remove it, or set waitForCompletion in a wave",
        ),
    ),
    case(
        "waves-domain-in-two-waves",
        BadInput(
            {"waves": [{"domains": [DOMAIN]}, {"domains": [DOMAIN]}]},
            "waves",
            "domain 'logs-dev' is in waves [0] and [1]",
            "a domain belongs to one wave",
        ),
    ),
    case(
        "waves-unknown-schedule",
        BadInput(
            {"waves": [{"domains": [DOMAIN], "scheduleAt": "SOON"}]},
            "schedule_at",
            "'SOON'",
            "use one of NOW, TIMESTAMP, OFF_PEAK_WINDOW",
            # A rollout's preview notes read each domain, even one whose inputs fail.
            reads_domain=True,
        ),
    ),
    case(
        "waves-timeout-out-of-range",
        BadInput(
            {"waves": [{"domains": [DOMAIN], "completionTimeout": 5000}]},
            "completion_timeout",
            "completion_timeout 5000 minutes is out of range",
            "use more than 0 and at most 1440 (24 hours)",
            reads_domain=True,
        ),
    ),
]

CASES = [
    *DOMAIN_NAME_CASES,
    *DOMAINS_SHAPE_CASES,
    *SCHEDULE_CASES,
    *START_TIME_CASES,
    *OPTION_CASES,
    *WAVES_CASES,
]


def seed_arguments(client: EmulatorClient, bad_input: BadInput) -> dict[str, Any]:
    """Return the extra seed_domain arguments, with the deadline on the emulator's clock."""
    arguments = dict(bad_input.seed)
    if bad_input.deadline_in_days is not None:
        arguments["optional_deployment"] = False
        arguments["automated_update_date"] = int(client.now()) + bad_input.deadline_in_days * 86_400
    return arguments


@pytest.mark.parametrize("bad_input", CASES)
def test_bad_input_fails_preview(
    bad_input: BadInput, client: EmulatorClient, workspace: PulumiWorkspace
) -> None:
    client.seed_domain(
        name=DOMAIN,
        region=REGION,
        current_version=OLD,
        new_version=NEW,
        **seed_arguments(client, bad_input),
    )
    for key, value in bad_input.config.items():
        workspace.set_config(key, value)
    client.clear_requests()

    with pytest.raises(PulumiCommandError) as caught:
        workspace.preview()

    output = caught.value.result.stdout + caught.value.result.stderr
    assert bad_input.input_name in output
    assert bad_input.value in output
    assert bad_input.hint in output
    assert TRACEBACK not in output

    operations = [entry["operation"] for entry in client.requests()]
    assert [op for op in operations if op in MUTATING_OPERATIONS] == []
    if bad_input.reads_domain:
        assert set(operations) <= {"DescribeDomain"}
    else:
        assert operations == []
