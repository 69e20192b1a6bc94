"""Host sampling: real CPU/memory/disk figures, and GPU figures through a real or fake NVML."""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import types
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import psutil
import pytest

from photoq.host import GpuSample, HostSample, sample_gpus, sample_host

GIB = 1024**3


class FakeNVMLError(Exception):
    pass


def fake_pynvml(*, init_error: bool = False) -> tuple[types.ModuleType, list[str]]:
    """A stand-in for ``pynvml`` with two GPUs; the second cannot report utilization or
    temperature (as a GPU in MIG mode cannot). Returns the module and the calls it saw."""
    calls: list[str] = []
    nvml: Any = types.ModuleType("pynvml")
    nvml.NVMLError = FakeNVMLError
    nvml.NVML_TEMPERATURE_GPU = 0

    def init() -> None:
        calls.append("init")
        if init_error:
            raise FakeNVMLError("NVML Shared Library Not Found")

    def unsupported(*_args: object) -> None:
        raise FakeNVMLError("Not Supported")

    devices = [
        {
            "name": "NVIDIA H200",
            "memory": SimpleNamespace(total=141 * GIB, used=3 * GIB, free=138 * GIB),
            "utilization": lambda: SimpleNamespace(gpu=37, memory=12),
            "temperature": lambda: 61,
        },
        {
            "name": b"NVIDIA A100-SXM4-80GB",  # older pynvml releases returned bytes
            "memory": SimpleNamespace(total=80 * GIB, used=512 * 1024**2, free=79 * GIB),
            "utilization": unsupported,
            "temperature": unsupported,
        },
    ]
    nvml.nvmlInit = init
    nvml.nvmlShutdown = lambda: calls.append("shutdown")
    nvml.nvmlDeviceGetCount = lambda: len(devices)
    nvml.nvmlDeviceGetHandleByIndex = lambda i: devices[i]
    nvml.nvmlDeviceGetName = lambda h: h["name"]
    nvml.nvmlDeviceGetMemoryInfo = lambda h: h["memory"]
    nvml.nvmlDeviceGetUtilizationRates = lambda h: h["utilization"]()
    nvml.nvmlDeviceGetTemperature = lambda h, sensor: h["temperature"]()
    return nvml, calls


def test_sample_reports_the_real_memory_and_disk(tmp_path: Path) -> None:
    sample = sample_host(tmp_path)
    disk = shutil.disk_usage(tmp_path)
    memory = psutil.virtual_memory()
    assert sample.memory_total_bytes == memory.total
    assert 0 < sample.memory_used_bytes <= sample.memory_total_bytes
    assert 0.0 < sample.memory_percent <= 100.0
    assert 0.0 <= sample.cpu_percent <= 100.0
    assert sample.load_avg_1m == pytest.approx(os.getloadavg()[0], abs=1.0)
    assert sample.disk_path == str(tmp_path)
    # Other processes may write between the two readings: allow a few MiB of drift.
    assert sample.disk_free_bytes == pytest.approx(disk.free, abs=64 * 1024**2)
    expected_percent = 100.0 * disk.used / (disk.used + disk.free)
    assert sample.disk_used_percent == pytest.approx(expected_percent, abs=0.1)


def test_a_missing_home_measures_its_nearest_existing_parent(tmp_path: Path) -> None:
    sample = sample_host(tmp_path / "not" / "yet")
    assert sample.disk_path == str(tmp_path)
    assert sample.disk_free_bytes == pytest.approx(
        shutil.disk_usage(tmp_path).free, abs=64 * 1024**2
    )


def test_a_relative_home_is_measured_as_an_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert sample_host(Path("photoq-home")).disk_path == str(tmp_path)


def test_to_dict_is_json_ready(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", fake_pynvml()[0])
    data = sample_host(tmp_path).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["disk_path"] == str(tmp_path)
    assert data["memory_total_bytes"] == psutil.virtual_memory().total
    assert [gpu["name"] for gpu in data["gpus"]] == ["NVIDIA H200", "NVIDIA A100-SXM4-80GB"]


def test_the_fake_nvml_values_are_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nvml, calls = fake_pynvml()
    monkeypatch.setitem(sys.modules, "pynvml", nvml)
    sample = sample_host(tmp_path)
    assert isinstance(sample, HostSample)
    assert sample.gpus == [
        GpuSample(
            index=0,
            name="NVIDIA H200",
            utilization_percent=37.0,
            memory_used_bytes=3 * GIB,
            memory_total_bytes=141 * GIB,
            temperature_c=61,
        ),
        GpuSample(
            index=1,
            name="NVIDIA A100-SXM4-80GB",
            utilization_percent=None,
            memory_used_bytes=512 * 1024**2,
            memory_total_bytes=80 * GIB,
            temperature_c=None,
        ),
    ]
    assert calls == ["init", "shutdown"]


def test_an_nvml_error_at_init_means_no_gpus(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    nvml, calls = fake_pynvml(init_error=True)
    monkeypatch.setitem(sys.modules, "pynvml", nvml)
    with caplog.at_level(logging.DEBUG, logger="photoq.host"):
        assert sample_gpus() == []
    assert calls == ["init"]
    assert caplog.records
    assert all(r.levelno <= logging.DEBUG for r in caplog.records)


def test_a_device_count_error_still_shuts_nvml_down(monkeypatch: pytest.MonkeyPatch) -> None:
    nvml, calls = fake_pynvml()

    def broken_count() -> int:
        raise FakeNVMLError("Unknown Error")

    monkeypatch.setattr(nvml, "nvmlDeviceGetCount", broken_count)
    monkeypatch.setitem(sys.modules, "pynvml", nvml)
    assert sample_gpus() == []
    assert calls == ["init", "shutdown"]


def test_without_pynvml_there_are_no_gpus(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)  # makes `import pynvml` raise ImportError
    with caplog.at_level(logging.DEBUG, logger="photoq.host"):
        assert sample_gpus() == []
    assert all(r.levelno <= logging.DEBUG for r in caplog.records)


def test_the_real_nvml_without_a_driver_gives_no_gpus(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pynvml = pytest.importorskip("pynvml")
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:
        pass
    else:
        pynvml.nvmlShutdown()
        pytest.skip("this host has an NVIDIA driver")
    with caplog.at_level(logging.DEBUG, logger="photoq.host"):
        sample = sample_host(tmp_path)
    assert sample.gpus == []
    assert sample.to_dict()["gpus"] == []
    assert all(r.levelno <= logging.DEBUG for r in caplog.records)
