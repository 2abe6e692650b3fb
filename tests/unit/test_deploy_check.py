"""`manage.py check --deploy` passes with the production values of .env.example."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def example_env() -> dict:
    env = {"PATH": "/usr/bin:/bin"}
    for line in (ROOT / ".env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            quoted = len(value) > 1 and value[0] == value[-1] == '"'
            env[name] = value[1:-1] if quoted else value  # as the shell reads it (". .env.example")
    return env


def run_check(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def test_check_deploy_passes_with_env_example():
    env = example_env()
    assert env["DEBUG"] == "false"
    result = run_check(env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_fails_when_https_is_switched_off():
    result = run_check({**example_env(), "SECURE_SSL_REDIRECT": "false", "SECURE_HSTS_SECONDS": "0"})
    assert result.returncode != 0
    assert "security.W008" in result.stderr + result.stdout
