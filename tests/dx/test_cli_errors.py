"""`barberbot run` with a user mistake: one clear error line, last on stderr, and a non-zero exit."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.dx.procs import ALWAYS_OPEN_SHOP, barberbot_command, base_env
from tests.live import free_port


def run(home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*barberbot_command(), "run", "--port", str(free_port())], cwd=home,
                          env=base_env(home, **env), capture_output=True, text=True, timeout=60)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "error" in line.lower() or "Traceback" in line]


def test_run_with_a_bad_shop_file_prints_one_error_naming_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "shop.toml"
    bad.write_text(ALWAYS_OPEN_SHOP.replace('phone = "+447700900001"', 'phone = "0770 090"'))

    proc = run(tmp_path, SHOP_FILE=str(bad))

    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert lines[-1] == "barberbot: shop file error: barbers[0].phone: not an E.164 number", proc.stderr
    assert error_lines(proc.stderr) == [lines[-1]], proc.stderr
    assert proc.stdout == ""


def test_run_with_a_missing_shop_file_says_so(tmp_path: Path) -> None:
    proc = run(tmp_path, SHOP_FILE=str(tmp_path / "nope.toml"))

    assert proc.returncode != 0
    assert error_lines(proc.stderr) == [proc.stderr.strip().splitlines()[-1]], proc.stderr
    assert "nope.toml" in proc.stderr and "no such file" in proc.stderr


def test_run_in_production_without_secrets_prints_one_error_naming_them(tmp_path: Path) -> None:
    proc = run(tmp_path, BARBERBOT_ENV="production", API_KEY="changeme")

    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("barberbot: configuration error: BARBERBOT_ENV=production needs real values")
    for name in ("TWILIO_AUTH_TOKEN", "API_KEY", "PUBLIC_BASE_URL"):
        assert name in lines[0]
    assert not (tmp_path / "barberbot.db").exists(), "nothing was touched"


def test_chat_with_a_bad_number_prints_one_error(tmp_path: Path) -> None:
    proc = subprocess.run([*barberbot_command(), "chat", "--from", "07700 900123"], cwd=tmp_path,
                          env=base_env(tmp_path), capture_output=True, text=True, timeout=60, input="")
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines() == [
        "barberbot: --from must be an E.164 number like +447700900123, got '07700 900123'"]
