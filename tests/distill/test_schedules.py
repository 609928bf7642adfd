import pytest

from crysgnn_zoo.config import ALPHA_SCHEDULES
from crysgnn_zoo.distill.schedules import ALPHA_SCHEDULE_REGISTRY, alpha_words, scheduled_alpha
from crysgnn_zoo.errors import ConfigError


def test_the_config_lists_exactly_the_registered_schedules():
    assert sorted(ALPHA_SCHEDULES) == sorted(ALPHA_SCHEDULE_REGISTRY)


@pytest.mark.parametrize("name, progress, expected", [
    ("constant", 0.0, 0.5), ("constant", 1.0, 0.5),
    ("linear_decay", 0.0, 0.5), ("linear_decay", 0.5, 0.25), ("linear_decay", 1.0, 0.0),
    ("half_decay", 0.0, 0.5), ("half_decay", 0.25, 0.25), ("half_decay", 0.5, 0.0), ("half_decay", 0.9, 0.0),
    ("cosine_decay", 0.0, 0.5), ("cosine_decay", 0.5, 0.25), ("cosine_decay", 1.0, 0.0),
])
def test_scheduled_alpha(name, progress, expected):
    assert scheduled_alpha(0.5, name, progress) == pytest.approx(expected, abs=1e-12)


def test_progress_outside_0_1_is_clipped_and_unknown_names_are_refused():
    assert scheduled_alpha(0.5, "linear_decay", 1.7) == 0.0
    assert scheduled_alpha(0.5, "linear_decay", -1.0) == 0.5
    with pytest.raises(ConfigError, match="alpha_schedule must be one of"):
        scheduled_alpha(0.5, "exponential", 0.1)


def test_alpha_words_name_the_schedule():
    assert alpha_words(0.5) == "alpha 0.5"
    assert alpha_words(0.5, "linear_decay") == "alpha 0.5 decaying linearly to 0"
    assert "half the epochs" in alpha_words(0.5, "half_decay")
