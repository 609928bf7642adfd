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


def test_teacher_span_compresses_the_schedule_only_past_the_clock():
    from crysgnn_zoo.distill.schedules import teacher_span

    assert teacher_span(150_000, 5_000, 30) == 1.0  # the MP 5,000 / 30 dev row: unchanged
    assert teacher_span(150_000, 1_000, 10) == 1.0  # the quick rows: unchanged
    assert teacher_span(150_000, 31_834, 60) == pytest.approx(150_000 / (31_834 * 60))
    assert teacher_span(None, 31_834, 60) == 1.0  # no size rule


def test_a_span_runs_the_schedule_over_the_first_part_of_training():
    # half_decay over the first 40 % of training reaches 0 at 20 %
    assert scheduled_alpha(0.5, "half_decay", 0.1, span=0.4) == pytest.approx(0.25)
    assert scheduled_alpha(0.5, "half_decay", 0.2, span=0.4) == 0.0
    assert scheduled_alpha(0.5, "linear_decay", 0.2, span=0.4) == pytest.approx(0.25)
    assert scheduled_alpha(0.5, "constant", 0.9, span=0.4) == 0.5
    with pytest.raises(ConfigError, match="span"):
        scheduled_alpha(0.5, "linear_decay", 0.1, span=0.0)
