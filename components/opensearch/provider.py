"""The dynamic provider behind ServiceSoftwareUpdate: what each Pulumi operation does.

Pulumi pickles the provider object into each resource's state and unpickles it in a
separate process (pulumi-resource-pulumi-python) for every operation. This module is
importable, so the pickle holds only a reference to the class. botocore clients are made
inside the methods and never pickled.

Contract per operation:
- check: validates inputs, so bad input fails at `pulumi preview`. It calls AWS only for
  a changed TIMESTAMP or OFF_PEAK_WINDOW schedule, and then only DescribeDomain.
- diff: reports changed inputs; replaces on domain or region; proposes an update when a
  refresh found a new release.
- create: starts the available update once, adopts one already in flight (moving it
  when the requested schedule differs), succeeds without a call when the domain is
  current, and waits for COMPLETED when asked.
- read: returns the live ServiceSoftwareOptions; a deleted domain reads as gone.
- update: moves a pending update when the schedule changed, starts a newly available
  one when the schedule or triggers changed or a refresh found it, else only re-reads.
- delete: leaves the domain alone, except that cancel_on_delete cancels a pending,
  optional update.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pulumi
from botocore.exceptions import BotoCoreError, ClientError
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from . import aws, batching
from .domain import IN_FLIGHT_STATUSES, DomainUpdates, schedule_differs
from .schedule import (
    DEFAULT_COMPLETION_TIMEOUT_MINUTES,
    PROFILE_PATTERN,
    SCHEDULE_OFF_PEAK_WINDOW,
    SCHEDULE_TIMESTAMP,
    InputError,
    format_epoch_milliseconds,
    is_unknown,
    normalize_schedule,
    to_epoch_milliseconds,
    validate_domain_name,
    validate_options,
)
from .waiter import wait_for_completion

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

# Inputs a user sets; everything else in the state is read from AWS.
INPUT_KEYS = (
    "domain_name",
    "region",
    "schedule_at",
    "desired_start_time",
    "wait_for_completion",
    "completion_timeout",
    "cancel_on_delete",
    "triggers",
    "profile",
    "role_arn",
    "wave",
)
# Inputs whose change means another domain, so the resource is replaced, not updated.
REPLACE_KEYS = ("domain_name", "region")
SCHEDULE_KEYS = ("schedule_at", "desired_start_time")

OUTPUT_KEYS = (
    "current_version",
    "new_version",
    "update_available",
    "update_status",
    "cancellable",
    "description",
    "automated_update_date",
    "optional_deployment",
    "off_peak_window_enabled",
    "scheduled_start_time",
    "resolved_region",
)

STATUS_PENDING = "PENDING_UPDATE"
STATUS_IN_PROGRESS = "IN_PROGRESS"
STATUS_ELIGIBLE = "ELIGIBLE"
STATUS_NOT_ELIGIBLE = "NOT_ELIGIBLE"


_Method = TypeVar("_Method", bound=Callable[..., Any])


def _short_traceback(method: _Method) -> _Method:
    """Re-raise a SoftwareUpdateError without the frames and causes behind it.

    A rollout's wave label, when the resource has one, goes in front of the message.

    Pulumi's dynamic-provider host shows the whole formatted traceback of any error. The
    message of a SoftwareUpdateError already names the operation, the AWS error code and
    the next step, so the botocore frames below it would only bury that line.
    """

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except aws.SoftwareUpdateError as error:
            logger.debug("%s failed", method.__name__, exc_info=True)
            wave = next(
                (arg["wave"] for arg in args if isinstance(arg, dict) and arg.get("wave")), None
            )
            if wave:
                error.args = (f"{wave}: {error}",)
            raise error.with_traceback(None) from None

    return wrapper  # type: ignore[return-value]


class ServiceSoftwareUpdateProvider(ResourceProvider):
    """Applies the latest service software update of one OpenSearch domain."""

    # The provider captures no secret, and a plain value keeps `pulumi stack export` readable.
    serialize_as_secret_always = False

    def __init__(self) -> None:
        super().__init__()
        self._default_region: str | None = None
        self._default_profile: str | None = None
        # Results of aws.profile_problem and aws.default_region, by profile.
        self._profile_problems: dict[str | None, str | None] = {}
        self._fallback_regions: dict[str | None, str | None] = {}

    def _profile_problem(self, profile: str | None) -> str | None:
        # Cached per provider process, because `pulumi preview` checks every resource and
        # each botocore session reads the AWS config files again.
        if profile not in self._profile_problems:
            self._profile_problems[profile] = aws.profile_problem(profile)
        return self._profile_problems[profile]

    def _fallback_region(self, profile: str | None) -> str | None:
        if profile not in self._fallback_regions:
            self._fallback_regions[profile] = aws.default_region(profile)
        return self._fallback_regions[profile]

    def __reduce__(self) -> tuple[Any, tuple[()]]:
        # Pulumi stores this pickle in the state of every resource. A reference to a
        # short factory keeps it near 60 bytes, and the configuration set by configure()
        # belongs to one provider process, so it is not worth keeping.
        return (new_provider, ())

    def configure(self, req: ConfigureRequest) -> None:
        """Take aws:region and aws:profile from the stack config as fallbacks."""
        region = req.config.get("aws:region")
        profile = req.config.get("aws:profile")
        self._default_region = region if isinstance(region, str) and region else None
        self._default_profile = profile if isinstance(profile, str) and profile else None

    # -- check and diff ---------------------------------------------------------------

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate and normalize inputs; no mutating call, so preview stays read-only."""
        errors: list[InputError] = []

        domain_name = news.get("domain_name")
        if not is_unknown(domain_name):
            error = validate_domain_name(domain_name)
            if error:
                errors.append(error)

        region = news.get("region")
        if region is not None and not is_unknown(region) and not _valid_region(region):
            errors.append(
                InputError(
                    "region",
                    f"region {region!r} is not an AWS region name; use one like 'us-east-1', "
                    "or leave it unset to use aws:region",
                )
            )
        profile = news.get("profile") or self._default_profile
        # validate_options reports a profile input that is not a valid name.
        profile_known = profile is None or (
            isinstance(profile, str)
            and not is_unknown(profile)
            and PROFILE_PATTERN.fullmatch(profile) is not None
        )
        problem = self._profile_problem(profile) if profile_known else None
        if problem:
            errors.append(
                InputError(
                    "profile",
                    f"{problem}; fix the profile input, the stack's aws:profile, "
                    "AWS_PROFILE or AWS_DEFAULT_PROFILE, or add the profile with "
                    "aws configure --profile NAME",
                )
            )
        # Without the region input or aws:region, the region comes from the environment
        # or the profile (unless the profile itself was reported above).
        needs_fallback = (
            region is None and self._default_region is None and profile_known and not problem
        )
        fallback = self._fallback_region(profile) if needs_fallback else None
        if needs_fallback and fallback is None:
            errors.append(
                InputError(
                    "region",
                    "no AWS region is set for this domain; set the stack's aws:region "
                    "(pulumi config set aws:region eu-west-1), the region input, or AWS_REGION",
                )
            )
        elif fallback is not None and not _valid_region(fallback):
            errors.append(
                InputError(
                    "region",
                    f"the region {fallback!r} from AWS_REGION, AWS_DEFAULT_REGION or the "
                    "profile is not an AWS region name; fix that setting, or set the "
                    "stack's aws:region (pulumi config set aws:region eu-west-1)",
                )
            )
        if region is None and self._default_region and not _valid_region(self._default_region):
            errors.append(
                InputError(
                    "region",
                    f"the stack's aws:region {self._default_region!r} is not an AWS region "
                    "name; fix it with pulumi config set aws:region us-east-1 (for example)",
                )
            )
        errors.extend(validate_options(news))

        now_ms = int(time.time() * 1000)
        schedule, schedule_errors = normalize_schedule(news, olds, now_ms)
        errors.extend(schedule_errors)

        inputs = _with_defaults({key: news.get(key) for key in INPUT_KEYS})
        inputs.update(schedule)

        schedule_changed = any(olds.get(key) != inputs.get(key) for key in SCHEDULE_KEYS)
        if not errors and schedule_changed and not _has_unknown(inputs):
            errors.extend(self._check_against_domain(inputs))

        failures = [CheckFailure(error.property, error.reason) for error in errors]
        return CheckResult(inputs, failures)

    def _check_against_domain(self, inputs: dict[str, Any]) -> list[InputError]:
        """Apply the rules that depend on the domain, with one DescribeDomain.

        Only for TIMESTAMP and OFF_PEAK_WINDOW, the schedules those rules concern. When
        the domain cannot be read (no credentials in a pull-request preview, say), the
        check is left to create and update, which apply the same rules before any call
        that changes something.
        """
        if inputs["schedule_at"] not in (SCHEDULE_TIMESTAMP, SCHEDULE_OFF_PEAK_WINDOW):
            return []
        try:
            options = self._domain(inputs, inputs["domain_name"]).describe()
        except (aws.SoftwareUpdateError, BotoCoreError, ClientError) as exc:
            logger.info("skipping the schedule check against the domain: %s", exc)
            return []
        return schedule_conflicts(options, inputs)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Report input changes, and propose an update when refresh found a new release."""
        # Defaults fill inputs that state written by an older release of this package
        # lacks, so upgrading the package alone shows no change.
        old_inputs = _with_defaults({key: olds.get(key) for key in INPUT_KEYS})
        changed = [key for key in INPUT_KEYS if old_inputs[key] != news.get(key)]
        replaces = [key for key in REPLACE_KEYS if key in changed and key != "region"]

        # The region that identifies the domain is the one in effect: writing out the
        # region that aws:region already gave is no change, and a new aws:region with no
        # region input means another domain.
        old_region = olds.get("resolved_region") or olds.get("region")
        new_region = news.get("region") or self._default_region
        if old_region and new_region and old_region != new_region:
            replaces.append("region")

        # With cancel_on_delete, the old resource must cancel before the new one adopts
        # or starts, or the cancel would undo the update the new one just took over.
        return DiffResult(
            changes=bool(changed) or bool(replaces) or _new_release_found(olds),
            replaces=replaces,
            delete_before_replace=bool(news.get("cancel_on_delete")),
        )

    # -- create, read, update, delete -------------------------------------------------

    @_short_traceback
    def create(self, props: dict[str, Any]) -> CreateResult:
        """Start the domain's available update once, or adopt the one in flight."""
        domain = self._domain(props, str(props["domain_name"]))
        options = domain.describe()
        status = options["update_status"]
        scheduled_ms: int | None = None

        if status == STATUS_PENDING:
            options, scheduled_ms = self._adopt_pending(domain, props, options)
        elif status == STATUS_IN_PROGRESS:
            _log_info(
                f"{domain.domain_name}: update to {options['new_version']} is already "
                "IN_PROGRESS; adopting it without a new StartServiceSoftwareUpdate"
            )
        elif options["update_available"] and status == STATUS_ELIGIBLE:
            options, scheduled_ms = self._start(domain, props, options)
        elif status == STATUS_NOT_ELIGIBLE:
            _log_info(
                f"{domain.domain_name}: the update is NOT_ELIGIBLE; not starting it "
                f"({options['description']})"
            )
        elif not options["update_available"]:
            options["description"] = (
                f"No service software update available: {domain.domain_name} runs "
                f"{options['current_version']}"
            )
        else:
            _log_info(
                f"{domain.domain_name}: update to {options['new_version']} is {status}; "
                "not starting it"
            )

        options = self._maybe_wait(domain, props, options)
        outs = self._outputs(props, domain, options, scheduled_ms)
        return CreateResult(domain.domain_name, outs)

    @_short_traceback
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Return the live ServiceSoftwareOptions; an empty id when the domain is gone.

        One DescribeDomain per refresh. The scheduled start time of a pending update is
        kept from state (create and update read it when they adopt or move an update, or
        know it from a TIMESTAMP) and cleared once the update is no longer pending.
        NOTE: so a pending update moved outside Pulumi keeps its old scheduled_start_time
        in state, and a NOW or OFF_PEAK_WINDOW start has none, until `up` adopts or moves it.
        """
        domain = self._domain(props, str(props.get("domain_name") or id_))
        try:
            options = domain.describe()
        except aws.SoftwareUpdateError as exc:
            if exc.code == "ResourceNotFoundException":
                _log_info(f"{domain.domain_name}: domain no longer exists; dropping it from state")
                return ReadResult("", {})
            raise
        scheduled_ms = None
        same_update = props.get("new_version") == options["new_version"]
        if options["update_status"] == STATUS_PENDING and same_update:
            scheduled_ms = _milliseconds_from_iso(props.get("scheduled_start_time"))
        return ReadResult(id_, self._outputs(props, domain, options, scheduled_ms))

    @_short_traceback
    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Reschedule, start, or only re-read, depending on what changed.

        With unchanged inputs (for example after a new release of this package) nothing is
        started or moved unless the refreshed state showed a newer release to apply.
        """
        domain = self._domain(news, str(news["domain_name"]))
        schedule_changed = any(olds.get(key) != news.get(key) for key in SCHEDULE_KEYS)
        triggers_changed = olds.get("triggers") != news.get("triggers")

        options = domain.describe()
        status = options["update_status"]
        scheduled_ms: int | None = None
        if status == STATUS_PENDING and schedule_changed:
            options, scheduled_ms = self._reschedule(domain, news, options)
        elif (
            options["update_available"]
            and status == STATUS_ELIGIBLE
            and (schedule_changed or triggers_changed or _new_release_found(olds))
        ):
            options, scheduled_ms = self._start(domain, news, options)
        elif schedule_changed and status == STATUS_IN_PROGRESS:
            _log_info(
                f"{domain.domain_name}: update is already IN_PROGRESS; the new schedule "
                "applies to the next update"
            )
        elif status == STATUS_PENDING:
            scheduled_ms = _milliseconds_from_iso(olds.get("scheduled_start_time"))

        options = self._maybe_wait(domain, news, options)
        return UpdateResult(self._outputs(news, domain, options, scheduled_ms))

    @_short_traceback
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Forget the resource; with cancel_on_delete, cancel a pending optional update."""
        name = str(props.get("domain_name") or id_)
        if not props.get("cancel_on_delete"):
            _log_info(
                f"{name}: removed from the stack; the domain and its service software "
                "are left unchanged"
            )
            return

        domain = self._domain(props, name)
        try:
            options = domain.describe()
        except aws.SoftwareUpdateError as exc:
            if exc.code == "ResourceNotFoundException":
                _log_info(f"{name}: domain no longer exists; nothing to cancel")
                return
            raise
        reason = _reason_not_to_cancel(options)
        if reason:
            _log_info(f"{name}: cancel_on_delete is set but {reason}; leaving the update as is")
            return
        domain.cancel()
        _log_info(f"{name}: cancelled the pending update to {options['new_version']}")

    # -- steps ------------------------------------------------------------------------

    def _start(
        self, domain: DomainUpdates, props: dict[str, Any], options: dict[str, Any]
    ) -> tuple[dict[str, Any], int | None]:
        _raise_conflicts(domain.domain_name, "StartServiceSoftwareUpdate", options, props)
        _raise_if_start_passed(domain.domain_name, "StartServiceSoftwareUpdate", options, props)
        started, applied = domain.start(props["schedule_at"], props.get("desired_start_time"))
        if not applied:
            # Someone else's request won: take over that update, moving it if its schedule
            # differs from the one asked for, as create does for an update found pending.
            if started["update_status"] == STATUS_PENDING:
                return self._adopt_pending(domain, props, started)
            return started, None
        options = _merge(options, started)
        _log_info(
            f"{domain.domain_name}: started update {options['current_version']} -> "
            f"{options['new_version']} ({props['schedule_at']}); status {options['update_status']}"
        )
        scheduled_ms = props.get("desired_start_time")
        if props["schedule_at"] != SCHEDULE_TIMESTAMP:
            scheduled_ms = None
        return options, scheduled_ms

    def _adopt_pending(
        self, domain: DomainUpdates, props: dict[str, Any], options: dict[str, Any]
    ) -> tuple[dict[str, Any], int | None]:
        """Take over an update someone else scheduled, moving it if the schedule differs."""
        action = domain.scheduled_update()
        scheduled_ms = action.start_milliseconds if action else None
        if action is not None and schedule_differs(props, scheduled_ms):
            return self._reschedule(domain, props, options)
        when = format_epoch_milliseconds(scheduled_ms) if scheduled_ms else "an unknown time"
        _log_info(
            f"{domain.domain_name}: update to {options['new_version']} is already scheduled "
            f"for {when}; adopting it without a new StartServiceSoftwareUpdate"
        )
        return options, scheduled_ms

    def _reschedule(
        self, domain: DomainUpdates, props: dict[str, Any], options: dict[str, Any]
    ) -> tuple[dict[str, Any], int | None]:
        _raise_conflicts(domain.domain_name, "UpdateScheduledAction", options, props)
        _raise_if_start_passed(domain.domain_name, "UpdateScheduledAction", options, props)
        action = domain.scheduled_update()
        if action is None:
            raise aws.SoftwareUpdateError(
                "ListScheduledActions",
                domain.domain_name,
                "NoPendingAction",
                "the domain reports PENDING_UPDATE but lists no SERVICE_SOFTWARE_UPDATE action",
                "Run pulumi refresh, then pulumi up again",
            )
        desired = props.get("desired_start_time")
        domain.reschedule(action, props["schedule_at"], desired)
        _log_info(
            f"{domain.domain_name}: moved pending update {action.action_id} to "
            f"{props['schedule_at']}"
            + (f" {format_epoch_milliseconds(desired)}" if desired else "")
        )
        refreshed = domain.describe()
        scheduled_ms = desired if props["schedule_at"] == SCHEDULE_TIMESTAMP else None
        return refreshed, scheduled_ms

    def _maybe_wait(
        self, domain: DomainUpdates, props: dict[str, Any], options: dict[str, Any]
    ) -> dict[str, Any]:
        if not props.get("wait_for_completion"):
            return options
        if options["update_status"] == STATUS_NOT_ELIGIBLE:
            # Waiting was requested because the caller (a rollout's next wave, say) relies
            # on this domain being current. An update that cannot run must stop it.
            raise aws.SoftwareUpdateError(
                "WaitForCompletion",
                domain.domain_name,
                STATUS_NOT_ELIGIBLE,
                f"the domain's update is NOT_ELIGIBLE, so it cannot complete: "
                f"{options['description']}",
                "Resolve what makes the domain ineligible, then run pulumi up again",
            )
        if options["update_status"] not in IN_FLIGHT_STATUSES:
            return options
        timeout = float(props.get("completion_timeout") or DEFAULT_COMPLETION_TIMEOUT_MINUTES)
        final = wait_for_completion(
            domain.describe, domain.domain_name, timeout, options, log=_log_info
        )
        return _merge(options, final)

    def _domain(self, props: dict[str, Any], domain_name: str) -> DomainUpdates:
        # State written by an earlier `up` pins the region, so refresh and destroy, which do
        # not run the program, reach the same region even if aws:region changed since.
        region = props.get("region") or props.get("resolved_region") or self._default_region
        profile = props.get("profile") or self._default_profile
        role_arn = props.get("role_arn")
        client = aws.opensearch_client(region, profile, role_arn)
        return DomainUpdates(
            client,
            domain_name,
            start_client=aws.opensearch_client(region, profile, role_arn, single_attempt=True),
            describer=batching.batcher_for(client).describe,
        )

    def _outputs(
        self,
        props: dict[str, Any],
        domain: DomainUpdates,
        options: dict[str, Any],
        scheduled_ms: int | None,
    ) -> dict[str, Any]:
        outs = {key: props.get(key) for key in INPUT_KEYS}
        outs.update(options)
        in_flight = options["update_status"] in IN_FLIGHT_STATUSES
        outs["scheduled_start_time"] = (
            format_epoch_milliseconds(scheduled_ms) if scheduled_ms and in_flight else None
        )
        outs["resolved_region"] = aws.client_region(domain.client)
        return outs


def new_provider() -> ServiceSoftwareUpdateProvider:
    """Return a fresh provider; what the pickled provider in state calls to unpickle."""
    return ServiceSoftwareUpdateProvider()


# Pickle names a function by its module; the package path is shorter and stays importable.
new_provider.__module__ = "components.opensearch"


def schedule_conflicts(options: dict[str, Any], inputs: dict[str, Any]) -> list[InputError]:
    """Return the schedule rules that this domain's state breaks.

    OFF_PEAK_WINDOW needs the domain's off-peak window enabled, or the update would wait
    for a window that never comes. A required update (OptionalDeployment false) can be
    scheduled only up to its AutomatedUpdateDate, after which AWS applies it itself.
    """
    errors: list[InputError] = []
    name = inputs["domain_name"]
    schedule_at = inputs["schedule_at"]
    if schedule_at == SCHEDULE_OFF_PEAK_WINDOW and options.get("off_peak_window_enabled") is False:
        errors.append(
            InputError(
                "schedule_at",
                f"schedule_at OFF_PEAK_WINDOW needs the off-peak window of domain {name!r}, "
                "which is disabled; enable it (OffPeakWindowOptions) or use NOW or TIMESTAMP",
            )
        )
    deadline_ms = _milliseconds_from_iso(options.get("automated_update_date"))
    desired = inputs.get("desired_start_time")
    if (
        schedule_at == SCHEDULE_TIMESTAMP
        and desired is not None
        and deadline_ms is not None
        and not options.get("optional_deployment", True)
        and desired > deadline_ms
    ):
        errors.append(
            InputError(
                "desired_start_time",
                f"desired_start_time {format_epoch_milliseconds(desired)} is after "
                f"{options['automated_update_date']}, when AWS applies the required update "
                f"{options.get('new_version')} to {name!r} itself; pick an earlier time",
            )
        )
    return errors


def _raise_conflicts(
    domain_name: str, operation: str, options: dict[str, Any], props: dict[str, Any]
) -> None:
    errors = schedule_conflicts(options, props)
    if errors:
        raise aws.SoftwareUpdateError(
            operation,
            domain_name,
            "InvalidSchedule",
            "; ".join(f"{error.property}: {error.reason}" for error in errors),
            "Nothing was sent to AWS; fix the schedule and run pulumi up again",
        )


def _raise_if_start_passed(
    domain_name: str, operation: str, options: dict[str, Any], props: dict[str, Any]
) -> None:
    """Stop a TIMESTAMP kept in state from being sent after it has passed.

    check rejects a past time only when it changes, so that the start time of an update
    applied long ago can stay. When a refresh later finds a new release, that old time
    cannot be used for it.
    """
    desired = props.get("desired_start_time")
    if props.get("schedule_at") != SCHEDULE_TIMESTAMP or desired is None:
        return
    if int(desired) > time.time() * 1000:
        return
    raise aws.SoftwareUpdateError(
        operation,
        domain_name,
        "InvalidSchedule",
        f"desired_start_time {format_epoch_milliseconds(int(desired))} has passed, so it "
        f"cannot schedule the update to {options.get('new_version')}",
        "Nothing was sent to AWS; set a future desired_start_time or schedule_at NOW or "
        "OFF_PEAK_WINDOW, and run pulumi up again",
    )


def _reason_not_to_cancel(options: dict[str, Any]) -> str | None:
    if options["update_status"] != STATUS_PENDING:
        return f"the update status is {options['update_status']}, not PENDING_UPDATE"
    if not options.get("optional_deployment", True):
        return "the update is required, and AWS lets only optional updates be cancelled"
    if not options.get("cancellable"):
        return "AWS reports the update as not cancellable"
    return None


def _with_defaults(inputs: dict[str, Any]) -> dict[str, Any]:
    defaults = {
        "wait_for_completion": False,
        "cancel_on_delete": False,
        "completion_timeout": DEFAULT_COMPLETION_TIMEOUT_MINUTES,
    }
    for key, value in defaults.items():
        if inputs.get(key) is None:
            inputs[key] = value
    return inputs


def _new_release_found(olds: dict[str, Any]) -> bool:
    # A refresh that saw a newer release (UpdateAvailable and ELIGIBLE) makes `up` start
    # it even though no input changed; this keeps the domain current.
    return bool(olds.get("update_available")) and olds.get("update_status") == STATUS_ELIGIBLE


def _merge(described: dict[str, Any], newer: dict[str, Any]) -> dict[str, Any]:
    # Start and Cancel return ServiceSoftwareOptions only, so fields that come from
    # elsewhere in DescribeDomain keep their described values.
    merged = dict(described)
    merged.update({key: value for key, value in newer.items() if value is not None})
    for key in ("new_version", "automated_update_date"):
        merged[key] = newer.get(key)
    return merged


def _milliseconds_from_iso(value: Any) -> int | None:
    # Outputs store times as ISO-8601 UTC strings; an absent time stays None.
    return to_epoch_milliseconds(value) if isinstance(value, str) else None


def _has_unknown(inputs: dict[str, Any]) -> bool:
    return any(is_unknown(value) for value in inputs.values())


def _valid_region(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = value.split("-")
    return (
        len(parts) >= 3
        and parts[-1].isdigit()
        and all(part.isalpha() and part.islower() for part in parts[:-1])
    )


def _log_info(message: str) -> None:
    logger.info(message)
    pulumi.log.info(message)
