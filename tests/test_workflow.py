"""Checks of the GitHub Actions workflow that previews and applies the updates.

check-jsonschema validates it against the GitHub workflow schema that ships inside the
package, zizmor audits it offline, and PyYAML asserts its structure. Both tools run from
the project virtualenv (requirements-dev.txt) and make no network request: the builtin
schema has only local references, and zizmor's --offline disables its online audits.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "opensearch-updates.yml"
VENV_BIN = Path(sys.executable).parent
TOOL_TIMEOUT_SECONDS = 60

PINNED_USES = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
# A `uses:` line pinned to a commit, with the release it belongs to in a trailing comment.
PINNED_USES_LINE = re.compile(r"^\s*(?:- )?uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")
PULUMI_ACTION = "pulumi/actions@"
AWS_CREDENTIALS_ACTION = "aws-actions/configure-aws-credentials@"
# Session length that configure-aws-credentials requests when role-duration-seconds is unset
# (its README, v6.2.3).
DEFAULT_ROLE_DURATION_SECONDS = 3600

# Variables that would let zizmor call the GitHub API if --offline were ever dropped.
GITHUB_TOKEN_VARIABLES = ("GH_TOKEN", "GITHUB_TOKEN", "ZIZMOR_GITHUB_TOKEN", "GH_HOST")


def tool_path(name: str) -> Path:
    """Return the path of a console script in the project virtualenv, or fail the test."""
    path = VENV_BIN / name
    if not path.exists():
        pytest.fail(f"{path} not found: install requirements-dev.txt into {VENV_BIN.parent}")
    return path


def run_tool(name: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value for key, value in os.environ.items() if key not in GITHUB_TOKEN_VARIABLES
    }
    environment["NO_COLOR"] = "1"
    return subprocess.run(
        [str(tool_path(name)), *(str(arg) for arg in args)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=TOOL_TIMEOUT_SECONDS,
        check=False,
    )


def check_schema(path: Path) -> subprocess.CompletedProcess[str]:
    return run_tool("check-jsonschema", "--builtin-schema", "vendor.github-workflows", path)


def audit_offline(path: Path) -> tuple[int, list[dict[str, Any]]]:
    """Run zizmor's offline audits on one file and return its exit code and findings.

    Exit codes, from zizmor's usage docs and checked with 1.32.0: 0 means no findings,
    1 an error, and 10 to 14 findings whose highest severity is unknown, informational,
    low, medium or high. --no-config and
    --no-ignores make the result depend on the file alone, with no suppressions.
    """
    result = run_tool(
        "zizmor", "--offline", "--no-config", "--no-ignores", "--format", "json", path
    )
    assert result.returncode != 1, f"zizmor failed:\n{result.stderr}"
    findings: list[dict[str, Any]] = json.loads(result.stdout)
    return result.returncode, findings


def write_variant(tmp_path: Path, old: str, new: str) -> Path:
    """Write a copy of the workflow with one text replaced, which must occur in it."""
    text = WORKFLOW.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not found in {WORKFLOW}"
    variant = tmp_path / WORKFLOW.name
    variant.write_text(text.replace(old, new), encoding="utf-8")
    return variant


def load_workflow() -> dict[Any, Any]:
    workflow: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return workflow


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    # PyYAML follows YAML 1.1, which reads the key `on` as the boolean True.
    events: dict[str, Any] = workflow["on"] if "on" in workflow else workflow[True]
    return events


def job(name: str) -> dict[str, Any]:
    jobs: dict[str, dict[str, Any]] = load_workflow()["jobs"]
    return jobs[name]


def steps_using(job_definition: dict[str, Any], action: str) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = job_definition["steps"]
    return [step for step in steps if str(step.get("uses", "")).startswith(action)]


def only_step_using(job_definition: dict[str, Any], action: str) -> dict[str, Any]:
    steps = steps_using(job_definition, action)
    assert len(steps) == 1, f"expected one step that uses {action}, found {len(steps)}"
    return steps[0]


def install_step(job_definition: dict[str, Any]) -> dict[str, Any]:
    steps: list[dict[str, Any]] = job_definition["steps"]
    return next(step for step in steps if "requirements.txt" in step.get("run", ""))


def step_index(job_definition: dict[str, Any], step: dict[str, Any]) -> int:
    steps: list[dict[str, Any]] = job_definition["steps"]
    return next(index for index, candidate in enumerate(steps) if candidate is step)


def all_steps() -> list[dict[str, Any]]:
    jobs: dict[str, dict[str, Any]] = load_workflow()["jobs"]
    return [step for definition in jobs.values() for step in definition["steps"]]


# Tool checks


def test_schema_accepts_workflow() -> None:
    result = check_schema(WORKFLOW)

    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_rejects_invalid_timeout(tmp_path: Path) -> None:
    variant = write_variant(tmp_path, "timeout-minutes: 30", "timeout-minutes: soon")

    result = check_schema(variant)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "timeout-minutes" in result.stdout


def test_zizmor_reports_no_findings() -> None:
    exit_code, findings = audit_offline(WORKFLOW)

    assert [finding["ident"] for finding in findings] == []
    assert exit_code == 0


@pytest.mark.parametrize(
    ("old", "new", "expected_ident"),
    [
        pytest.param(
            "pulumi/actions@8e5e406f4007fca908480587cb9893c07090f58d",
            "pulumi/actions@v7",
            "unpinned-uses",
            id="unpinned-action",
        ),
        pytest.param(
            "python -m venv .venv",
            'echo "${{ github.event.pull_request.title }}"',
            "template-injection",
            id="title-in-run",
        ),
    ],
)
def test_zizmor_flags_unsafe_variant(
    tmp_path: Path, old: str, new: str, expected_ident: str
) -> None:
    variant = write_variant(tmp_path, old, new)

    exit_code, findings = audit_offline(variant)

    assert expected_ident in [finding["ident"] for finding in findings]
    assert exit_code >= 10


# Structure


def test_triggers_target_main_branch() -> None:
    events = triggers(load_workflow())

    assert set(events) == {"pull_request", "push"}
    assert events["pull_request"]["branches"] == ["main"]
    assert events["push"]["branches"] == ["main"]


def test_workflow_grants_no_default_permissions() -> None:
    assert load_workflow()["permissions"] == {}


def test_preview_job_runs_only_on_pull_request() -> None:
    preview = job("preview")

    assert "github.event_name == 'pull_request'" in preview["if"]
    assert "github.event_name == 'push'" not in preview["if"]


def test_preview_step_comments_on_pull_request() -> None:
    step = only_step_using(job("preview"), PULUMI_ACTION)

    assert step["with"]["command"] == "preview"
    assert step["with"]["comment-on-pr"] is True


def test_up_job_runs_only_on_push_to_main() -> None:
    up = job("up")

    assert "github.event_name == 'push'" in up["if"]
    assert "github.ref == 'refs/heads/main'" in up["if"]
    assert "pull_request" not in up["if"]


def test_up_step_runs_pulumi_up() -> None:
    step = only_step_using(job("up"), PULUMI_ACTION)

    assert step["with"]["command"] == "up"
    assert "comment-on-pr" not in step["with"]


def test_up_job_uses_production_environment() -> None:
    assert job("up")["environment"] == "production"


def test_up_runs_never_overlap() -> None:
    up = job("up")
    stack = load_workflow()["env"]["PULUMI_STACK"]

    assert up["concurrency"]["cancel-in-progress"] is False
    assert stack in up["concurrency"]["group"]
    assert "${{" not in up["concurrency"]["group"]


@pytest.mark.parametrize("name", ["preview", "up"])
def test_job_permissions(name: str) -> None:
    permissions = job(name)["permissions"]

    assert permissions["id-token"] == "write"
    assert permissions["contents"] == "read"


def test_only_preview_may_write_pull_requests() -> None:
    assert job("preview")["permissions"]["pull-requests"] == "write"
    assert set(job("up")["permissions"]) == {"id-token", "contents"}


@pytest.mark.parametrize("name", ["preview", "up"])
def test_job_has_timeout(name: str) -> None:
    timeout = job(name)["timeout-minutes"]

    assert isinstance(timeout, int)
    assert 0 < timeout <= 360


@pytest.mark.parametrize("name", ["preview", "up"])
def test_aws_session_outlives_job(name: str) -> None:
    definition = job(name)
    step = only_step_using(definition, AWS_CREDENTIALS_ACTION)
    duration = int(step["with"].get("role-duration-seconds", DEFAULT_ROLE_DURATION_SECONDS))

    assert duration >= definition["timeout-minutes"] * 60


@pytest.mark.parametrize(
    ("name", "role_expression"),
    [
        ("preview", "${{ vars.AWS_PREVIEW_ROLE_ARN }}"),
        ("up", "${{ vars.AWS_UP_ROLE_ARN }}"),
    ],
)
def test_aws_credentials_come_from_variables(name: str, role_expression: str) -> None:
    step = only_step_using(job(name), AWS_CREDENTIALS_ACTION)

    assert step["with"]["role-to-assume"] == role_expression
    assert step["with"]["aws-region"] == "${{ vars.AWS_REGION }}"
    assert "aws-access-key-id" not in step["with"]


@pytest.mark.parametrize("name", ["preview", "up"])
def test_pulumi_step_token_and_stack(name: str) -> None:
    step = only_step_using(job(name), PULUMI_ACTION)

    assert step["env"]["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}"
    assert step["with"]["stack-name"] == "${{ env.PULUMI_STACK }}"
    assert load_workflow()["env"]["PULUMI_STACK"]


@pytest.mark.parametrize("name", ["preview", "up"])
def test_venv_installed_before_credentials(name: str) -> None:
    definition = job(name)
    setup_python = only_step_using(definition, "actions/setup-python@")
    install = next(
        step for step in definition["steps"] if "requirements.txt" in step.get("run", "")
    )
    credentials = only_step_using(definition, AWS_CREDENTIALS_ACTION)
    pulumi = only_step_using(definition, PULUMI_ACTION)

    assert setup_python["with"]["python-version"] == "${{ env.PYTHON_VERSION }}"
    assert load_workflow()["env"]["PYTHON_VERSION"] == "3.11"
    assert "python -m venv .venv" in install["run"]
    assert ".venv/bin/python -m pip install --requirement requirements.txt" in install["run"]
    assert step_index(definition, setup_python) < step_index(definition, install)
    assert step_index(definition, install) < step_index(definition, credentials)
    assert step_index(definition, credentials) < step_index(definition, pulumi)


@pytest.mark.parametrize("name", ["preview", "up"])
def test_checkout_drops_credentials(name: str) -> None:
    step = only_step_using(job(name), "actions/checkout@")

    assert step["with"]["persist-credentials"] is False


def test_every_action_pinned_to_commit() -> None:
    uses = [step["uses"] for step in all_steps() if "uses" in step]

    assert uses
    for reference in uses:
        assert PINNED_USES.match(reference), f"{reference} is not pinned to a commit SHA"


def test_every_pin_names_its_release() -> None:
    lines = WORKFLOW.read_text(encoding="utf-8").splitlines()
    uses_lines = [line for line in lines if re.match(r"^\s*(?:- )?uses:", line)]

    assert len(uses_lines) == len([step for step in all_steps() if "uses" in step])
    for line in uses_lines:
        assert PINNED_USES_LINE.match(line), f"no version comment after the SHA: {line.strip()}"


def test_run_scripts_expand_no_expressions() -> None:
    scripts = [step["run"] for step in all_steps() if "run" in step]

    assert scripts
    for script in scripts:
        assert "${{" not in script, f"expression inside a run script:\n{script}"
