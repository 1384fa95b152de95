"""Run the real pulumi CLI in an isolated, local-only environment.

The demo and the engine tests share this module. Each ``PulumiWorkspace`` has its own
PULUMI_HOME, a file backend and a passphrase secrets provider, so nothing touches the
user's Pulumi login, the Pulumi Cloud or a plugin download site.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
ENGINE_BIN = REPO_ROOT / ".tools" / "engine" / "bin"
INSTALL_SCRIPT = REPO_ROOT / "scripts" / "install-engine.sh"

# Not a secret: it only encrypts the throwaway state of local demo and test stacks.
LOCAL_PASSPHRASE = "local-stacks-only"

# Credentials that exist nowhere; the emulator accepts any. Real ones never reach tests.
FAKE_AWS_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "AKIAEMULATOREXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "emulator-secret-key-not-real",
}


class EngineMissingError(RuntimeError):
    """The pulumi CLI has not been installed into .tools/engine."""


class PulumiCommandError(RuntimeError):
    """A pulumi command exited non-zero; the message carries its output."""

    def __init__(self, args: Sequence[str], result: subprocess.CompletedProcess[str]) -> None:
        self.result = result
        super().__init__(
            f"pulumi {' '.join(args)} exited with {result.returncode}\n"
            f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
        )


def ensure_engine() -> Path:
    """Return the engine's bin folder, running the install script if it is not there."""
    if not (ENGINE_BIN / ".installed").exists():
        print("[engine] not installed yet; running scripts/install-engine.sh", file=sys.stderr)
        subprocess.run(["bash", str(INSTALL_SCRIPT)], check=True)
    if not (ENGINE_BIN / "pulumi").exists():
        raise EngineMissingError(f"{ENGINE_BIN / 'pulumi'} is missing after installation")
    return ENGINE_BIN


def emulator_environment(endpoint_url: str, region: str = "us-east-1") -> dict[str, str]:
    """Return the variables that point boto3 at a local emulator and nowhere else."""
    return {
        **FAKE_AWS_CREDENTIALS,
        "AWS_ENDPOINT_URL_OPENSEARCH": endpoint_url,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        # No instance metadata lookups and no shared config files from the user's home.
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


@dataclass
class PulumiWorkspace:
    """A project folder and a local backend in which to run pulumi commands."""

    project_dir: Path
    state_dir: Path
    stack: str
    extra_env: Mapping[str, str] = field(default_factory=dict)
    echo: bool = False

    def environment(self) -> dict[str, str]:
        """Return the environment for a pulumi command: isolated home, local backend."""
        engine_bin = ensure_engine()
        venv_bin = Path(sys.executable).parent
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("PULUMI_", "AWS_"))
        }
        env.update(
            {
                # The venv first, because the language host runs the `python3` on PATH when
                # it does not apply Pulumi.yaml's virtualenv option itself.
                "PATH": os.pathsep.join([str(venv_bin), str(engine_bin), env.get("PATH", "")]),
                "VIRTUAL_ENV": str(venv_bin.parent),
                "PYTHONPATH": str(REPO_ROOT),
                "PULUMI_HOME": str(self.state_dir / "home"),
                "PULUMI_BACKEND_URL": (self.state_dir / "backend").as_uri(),
                "PULUMI_CONFIG_PASSPHRASE": LOCAL_PASSPHRASE,
                "PULUMI_SKIP_UPDATE_CHECK": "true",
                "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
                "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "true",
                "PULUMI_SKIP_CONFIRMATIONS": "true",
            }
        )
        env.update(self.extra_env)
        return env

    def run(
        self, *args: str, check: bool = True, timeout: float = 600, capture: bool | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run ``pulumi ARGS`` for this stack and return the finished process.

        Output is captured unless ``echo`` is set; ``capture=True`` captures it anyway, for
        commands whose output the caller parses.
        """
        if capture is None:
            capture = not self.echo
        (self.state_dir / "backend").mkdir(parents=True, exist_ok=True)
        command = ["pulumi", *args, "--non-interactive"]
        if self.echo and not capture:
            print(f"$ {' '.join(command)}", file=sys.stderr, flush=True)
        result = subprocess.run(
            command,
            cwd=self.project_dir,
            env=self.environment(),
            capture_output=capture,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise PulumiCommandError(args, result)
        return result

    def init_stack(self, config: Mapping[str, Any] | None = None) -> None:
        """Create the stack if it does not exist yet, then set config values."""
        listing = self.run("stack", "ls", "--json", check=False, capture=True)
        names = {entry["name"] for entry in json.loads(listing.stdout or "[]")}
        if self.stack not in names:
            self.run("stack", "init", self.stack)
        for key, value in (config or {}).items():
            self.set_config(key, value)

    def set_config(self, key: str, value: Any) -> None:
        """Set one config value; lists and dicts are stored as structured YAML."""
        if isinstance(value, str):
            self.run("config", "set", "--stack", self.stack, key, value)
            return
        # `config set` takes only strings; `set-all --json` takes the structured form
        # that `pulumi config --json` prints, with fully qualified keys.
        qualified = key if ":" in key else f"{self.project_name()}:{key}"
        entry = {"value": json.dumps(value), "objectValue": value, "secret": False}
        self.run(
            "config", "set-all", "--stack", self.stack, "--json", json.dumps({qualified: entry})
        )

    def project_name(self) -> str:
        """Return the project name from Pulumi.yaml."""
        for line in (self.project_dir / "Pulumi.yaml").read_text(encoding="utf-8").splitlines():
            if line.startswith("name:"):
                return line.split(":", 1)[1].strip()
        raise ValueError(f"{self.project_dir / 'Pulumi.yaml'} has no top-level name")

    def up(self, *extra: str) -> subprocess.CompletedProcess[str]:
        """Run ``pulumi up --yes``."""
        return self.run("up", "--yes", "--stack", self.stack, "--skip-preview", *extra)

    def preview(self, *extra: str) -> subprocess.CompletedProcess[str]:
        """Run ``pulumi preview``."""
        return self.run("preview", "--stack", self.stack, *extra)

    def refresh(self, *extra: str) -> subprocess.CompletedProcess[str]:
        """Run ``pulumi refresh --yes``."""
        return self.run("refresh", "--yes", "--stack", self.stack, "--skip-preview", *extra)

    def destroy(self, *extra: str) -> subprocess.CompletedProcess[str]:
        """Run ``pulumi destroy --yes``."""
        return self.run("destroy", "--yes", "--stack", self.stack, "--skip-preview", *extra)

    def outputs(self) -> dict[str, Any]:
        """Return the stack outputs as JSON values."""
        result = self.run("stack", "output", "--json", "--stack", self.stack, capture=True)
        return dict(json.loads(result.stdout))

    def export(self) -> dict[str, Any]:
        """Return ``pulumi stack export`` as a dict."""
        result = self.run("stack", "export", "--stack", self.stack, capture=True)
        return dict(json.loads(result.stdout))

    def remove_stack(self) -> None:
        """Remove the stack and its history, even with resources left, keeping its config."""
        self.run(
            "stack",
            "rm",
            "--yes",
            "--force",
            "--preserve-config",
            self.stack,
            check=False,
            capture=True,
        )


def copy_project(destination: Path) -> Path:
    """Copy the example program into a fresh folder, ready for a throwaway stack.

    Pulumi.yaml points at this repository's virtualenv by absolute path, so a pulumi CLI
    that honours the virtualenv option uses it instead of creating a new one there.
    """
    destination.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO_ROOT / "__main__.py", destination / "__main__.py")
    venv_dir = Path(sys.executable).parent.parent
    project = (REPO_ROOT / "Pulumi.yaml").read_text(encoding="utf-8")
    project = project.replace("virtualenv: .venv", f"virtualenv: {venv_dir}")
    (destination / "Pulumi.yaml").write_text(project, encoding="utf-8")
    return destination
