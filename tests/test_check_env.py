"""`vcfml check-env` / `make check-env`: one line per check, red with a fix when wrong."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT

from vcfml.check.environment import (
    check_azure,
    check_cores,
    check_data,
    check_environment,
    check_memory,
    check_packages,
    check_python,
    find_azure_config,
    write_checksums,
)
from vcfml.cli import main

CONSTRAINTS = (
    ROOT / "requirements" / f"constraints-py{sys.version_info[0]}.{sys.version_info[1]}.txt"
)


@pytest.fixture
def data_copy(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(ROOT / "data", target)
    return target


def test_this_machine_is_ready(capsys):
    report = check_environment(ROOT / "data", CONSTRAINTS, azure_config=None)
    output = capsys.readouterr().out
    assert report.ok, output
    assert [check.name for check in report.checks] == [
        "Python",
        "Packages",
        "Data",
        "Memory",
        "CPU cores",
    ]
    assert output.count("✅") == 6 and "Ready for the course" in output


def test_committed_checksums_match_the_data(tmp_path):
    listing = (ROOT / "data" / "SHA256SUMS").read_text()
    shutil.copytree(ROOT / "data", tmp_path / "data")
    assert write_checksums(tmp_path / "data").read_text() == listing
    assert "liability/cohort.vcf.gz" in listing and "datasets.yml" not in listing


def test_changed_missing_and_unlisted_data_are_red(data_copy):
    vcf = data_copy / "classic" / "cohort.vcf.gz"
    content = bytearray(vcf.read_bytes())
    content[100] ^= 0xFF
    vcf.write_bytes(bytes(content))
    (data_copy / "liability" / "truth.json").unlink()
    check = check_data(data_copy)
    assert not check.ok
    assert "classic/cohort.vcf.gz has changed" in check.detail
    assert "liability/truth.json is missing" in check.detail
    assert "make data" in check.fix
    (data_copy / "SHA256SUMS").unlink()
    assert "SHA256SUMS is missing" in check_data(data_copy).detail


def test_malformed_checksum_line_names_the_line(data_copy):
    (data_copy / "SHA256SUMS").write_text("not-a-checksum-line\n")
    check = check_data(data_copy)
    assert not check.ok and "line 1" in check.detail


def test_versions_other_than_the_pins_are_red(tmp_path):
    pins = tmp_path / "constraints.txt"
    pins.write_text(CONSTRAINTS.read_text().replace("numpy==", "numpy==0.0.1 #"))
    check = check_packages(pins)
    assert not check.ok and "numpy" in check.detail and "pins 0.0.1" in check.detail
    assert "make install" in check.fix
    assert check_packages(CONSTRAINTS).ok


def test_python_memory_and_cores_limits():
    assert not check_python((3, 9)).ok and "3.11" in check_python((3, 9)).fix
    assert check_python((3, 12)).ok
    assert not check_memory(1.0).ok and check_memory(8.0).ok
    assert not check_cores(1).ok and check_cores(2).ok


def test_azure_is_checked_only_when_configured(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    report = check_environment(ROOT / "data", azure_config=None)
    assert "Azure" not in [check.name for check in report.checks]

    config = tmp_path / "config.json"
    config.write_text(json.dumps({"subscription_id": "0000", "resource_group": "rg"}))
    (tmp_path / "nested").mkdir()
    assert find_azure_config(tmp_path / "nested") == config
    incomplete = check_azure(config, get_token=lambda: "token")
    assert not incomplete.ok and "workspace_name" in incomplete.detail

    config.write_text(
        json.dumps({"subscription_id": "0", "resource_group": "rg", "workspace_name": "ws"})
    )
    assert check_azure(config, get_token=lambda: "token").ok

    def refuse() -> None:
        raise RuntimeError("DefaultAzureCredential failed to retrieve a token")

    refused = check_azure(config, get_token=refuse)
    assert not refused.ok and "az login" in refused.fix


def test_cli_exit_status_and_fix_lines(data_copy, capsys):
    assert main(["check-env", "--data", str(ROOT / "data"), "--constraints", str(CONSTRAINTS)]) == 0
    (data_copy / "classic" / "samples.tsv").write_text("changed\n")
    with pytest.raises(SystemExit) as exit_info:
        main(["check-env", "--data", str(data_copy)])
    assert exit_info.value.code == 1
    output = capsys.readouterr().out
    assert "❌ Data: classic/samples.tsv has changed" in output
    assert "Fix: run `make data`" in output


def test_make_jupyter_kernel_registers_python_vcfml(tmp_path):
    """The one command of the compute-instance set-up (book/setup.md)."""
    env = {**os.environ, "JUPYTER_DATA_DIR": str(tmp_path)}
    subprocess.run(["make", "jupyter-kernel"], cwd=ROOT, env=env, check=True, capture_output=True)
    spec = json.loads((tmp_path / "kernels" / "vcfml" / "kernel.json").read_text())
    assert spec["display_name"] == "Python (vcfml)"
    assert spec["argv"][0].startswith(str(ROOT / ".venv"))
