from __future__ import annotations

import pytest

from crysgnn_zoo.pretrain.curate import CurateConfig, curate, load_curated


@pytest.fixture(scope="session")
def curated_dir(tmp_path_factory):
    """The embedded sample, curated twice over (so every crystal has a duplicate), in 4 blocks."""
    out = tmp_path_factory.mktemp("curated")
    curate(["mp_37k_sample", "mp_37k_sample"], out, config=CurateConfig(block_size=500), workers=2, progress=False)
    return out


@pytest.fixture(scope="session")
def curated_store(curated_dir):
    return load_curated(curated_dir)
