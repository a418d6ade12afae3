"""Real quarantine entries: a damaged file goes through the ingest run's own claim and
inspection steps (no OCR needed: it is refused on opening)."""

from __future__ import annotations

import os
import time

from chartvault.pipeline.batch import IngestRun
from chartvault.pipeline.quarantine import Quarantined
from chartvault.settings import IntakeFolder
from tests.support.world import World


def intake(world: World, name: str) -> IntakeFolder:
    """The world's intake folder ``name`` (added to the settings if new)."""
    for folder in world.settings.intakes:
        if folder.name == name:
            return folder
    folder = IntakeFolder(name=name)
    world.settings.intakes.append(folder)
    return folder


def drop(world: World, name: str, data: bytes, intake_name: str = "default") -> None:
    """Put a file into an intake folder, settled (its mtime in the past)."""
    path = world.settings.intake_path(intake(world, intake_name)) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    past = time.time() - 600
    os.utime(path, (past, past))


def quarantine_file(world: World, name: str, data: bytes = b"%PDF-1.4\n% damaged\n",
                    intake_name: str = "default") -> str:
    """Drop a damaged file and let the ingest run's steps quarantine it; its id."""
    drop(world, name, data, intake_name)
    run = IngestRun(world.settings, intake(world, intake_name), world.store, world.catalog)
    world.catalog.start_batch(run.batch_id, intake_name, world.settings.user)
    outcomes = [run.inspect(c) for c in run.claim_all()]
    world.catalog.finish_batch(run.batch_id, run.summary.counts())
    got = [o for o in outcomes if isinstance(o, Quarantined)]
    assert len(got) == 1, outcomes
    return got[0].quarantine_id
