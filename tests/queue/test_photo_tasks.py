"""The photo tasks through a real worker: what each stores in the catalog."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from photoq.catalog.models import Photo
from photoq.catalog.photos import PhotoRepository
from photoq.pipeline.analysis import ANALYSIS_VERSION
from photoq.queue.dispatch import new_job
from photoq.services.ingest import ingest
from tests.conftest import CORPUS
from tests.helpers import QueueHarness

pytestmark = pytest.mark.integration


def _photo(h: QueueHarness, photo_id: int) -> Photo:
    with h.catalog.transaction() as db:
        photo = db.get(Photo, photo_id)
        assert photo is not None
        db.expunge(photo)
        return photo


def test_each_photo_task_fills_its_columns(harness: QueueHarness, tmp_path: Path) -> None:
    if not CORPUS.exists():
        pytest.skip("../shared/corpus is not present")
    shoot = tmp_path / "shoot"
    shoot.mkdir()
    shutil.copyfile(CORPUS / "hdkai+Raw-IO/test/media/group/1.jpg", shoot / "a.jpg")
    shutil.copyfile(CORPUS / "recurser+exif-orientation-examples/Portrait_5.jpg", shoot / "b.jpg")
    shutil.copyfile(CORPUS / "recurser+exif-orientation-examples/Portrait_8.jpg", shoot / "c.jpg")
    result = ingest(harness.catalog, shoot)
    ids = {Path(p.path).name: p.id for p in result.photos}
    harness.start_worker(concurrency=2)
    jobs = harness.submit(
        [
            new_job("analyze_exif", 5, 3, photo_id=ids["a.jpg"], session_id=result.session_id),
            new_job("evaluate_quality", 5, 3, photo_id=ids["b.jpg"], session_id=result.session_id),
            new_job("process_photo", 5, 3, photo_id=ids["c.jpg"], session_id=result.session_id),
        ]
    )
    assert [j.queue for j in (harness.jobs.get(i) for i in jobs) if j] == [
        "high",
        "medium",
        "medium",
    ]
    assert [i.status for i in harness.wait_final(jobs)] == ["succeeded"] * 3

    exif_only = _photo(harness, ids["a.jpg"])
    assert (exif_only.make, exif_only.iso, exif_only.width) == ("OLYMPUS CORPORATION", 200, 1920)
    assert exif_only.quality_score is None

    quality_only = _photo(harness, ids["b.jpg"])
    assert quality_only.quality_score is not None
    assert quality_only.make is None
    assert quality_only.phash is not None

    full = _photo(harness, ids["c.jpg"])
    assert full.orientation == 8
    assert (full.width, full.height) == (1200, 1800)  # stored 1800×1200, orientation 8
    assert full.quality_score is not None
    assert full.analysis_version == ANALYSIS_VERSION

    # A second process_photo job for an unchanged, analysed photo does no work.
    [again] = harness.submit([new_job("process_photo", 5, 3, photo_id=ids["c.jpg"])])
    [info] = harness.wait_final([again])
    assert info.result == {"skipped": "already analysed by this version"}
    assert PhotoRepository(harness.catalog).get(ids["c.jpg"]) is not None
