"""One sample of the host: CPU, memory, the disk holding photoq's home, and the GPUs.

GPU figures come from NVML (the ``pynvml`` module of the ``nvidia-ml-py`` package). A host
without the module, the driver or a GPU simply has no GPUs: that is never an error.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import psutil

if TYPE_CHECKING:
    from pathlib import Path

log = logging.getLogger(__name__)
CPU_WINDOW_S = 0.5


@dataclass(frozen=True)
class GpuSample:
    """One GPU as NVML reports it; ``None`` where the device cannot report a figure (a GPU in
    MIG mode has no whole-device utilization, some boards have no temperature sensor)."""

    index: int
    name: str
    utilization_percent: float | None
    memory_used_bytes: int
    memory_total_bytes: int
    temperature_c: int | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class HostSample:
    """The host at one moment. ``cpu_percent`` is measured over :data:`CPU_WINDOW_S`: the
    metrics task runs in whichever pool process is free, so "since this process's previous
    sample" (psutil's non-blocking mode, 0.0 on a first call) would mean nothing."""

    cpu_percent: float
    load_avg_1m: float
    memory_percent: float
    memory_used_bytes: int
    memory_total_bytes: int
    #: The folder whose file system was measured: photoq's home, or its nearest existing parent.
    disk_path: str
    #: Used share of the space available to photoq, as ``df`` reports it ("Use%").
    disk_used_percent: float
    disk_free_bytes: int
    gpus: list[GpuSample]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (the GPUs as a list of dicts)."""
        return asdict(self)


def sample_host(home: Path) -> HostSample:
    """Sample the host now, measuring the file system that holds ``home``."""
    memory = psutil.virtual_memory()
    disk_path = _existing(home)
    disk = shutil.disk_usage(disk_path)
    # Space reserved for root is neither used nor free to photoq, so "used" is of used + free.
    room = disk.used + disk.free
    return HostSample(
        cpu_percent=float(psutil.cpu_percent(interval=CPU_WINDOW_S)),
        load_avg_1m=os.getloadavg()[0],
        memory_percent=float(memory.percent),
        memory_used_bytes=int(memory.used),
        memory_total_bytes=int(memory.total),
        disk_path=str(disk_path),
        disk_used_percent=100.0 * disk.used / room if room else 0.0,
        disk_free_bytes=disk.free,
        gpus=sample_gpus(),
    )


def _existing(path: Path) -> Path:
    """``path`` or, if it does not exist yet, its nearest existing parent."""
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def sample_gpus() -> list[GpuSample]:
    """Every GPU NVML can see; an empty list without ``pynvml``, a driver or a GPU."""
    try:
        import pynvml  # imported here: optional, and tests put a fake one in sys.modules
    except ImportError:
        log.debug("no GPU figures: pynvml is not installed")
        return []
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError as exc:
        log.debug("no GPU figures: NVML unavailable (%s)", exc)
        return []
    try:
        count = int(pynvml.nvmlDeviceGetCount())
        return [gpu for index in range(count) if (gpu := _sample_gpu(pynvml, index)) is not None]
    except pynvml.NVMLError as exc:
        log.debug("no GPU figures: cannot count devices (%s)", exc)
        return []
    finally:
        with contextlib.suppress(pynvml.NVMLError):
            pynvml.nvmlShutdown()


def _sample_gpu(nvml: Any, index: int) -> GpuSample | None:
    """GPU ``index``, or ``None`` when NVML cannot read its name or memory."""
    try:
        handle = nvml.nvmlDeviceGetHandleByIndex(index)
        name = nvml.nvmlDeviceGetName(handle)
        memory = nvml.nvmlDeviceGetMemoryInfo(handle)
    except nvml.NVMLError as exc:
        log.debug("GPU %d skipped: %s", index, exc)
        return None
    utilization: float | None = None
    with contextlib.suppress(nvml.NVMLError):
        utilization = float(nvml.nvmlDeviceGetUtilizationRates(handle).gpu)
    temperature: int | None = None
    with contextlib.suppress(nvml.NVMLError):
        temperature = int(nvml.nvmlDeviceGetTemperature(handle, nvml.NVML_TEMPERATURE_GPU))
    return GpuSample(
        index=index,
        name=name.decode() if isinstance(name, bytes) else str(name),
        utilization_percent=utilization,
        memory_used_bytes=int(memory.used),
        memory_total_bytes=int(memory.total),
        temperature_c=temperature,
    )
