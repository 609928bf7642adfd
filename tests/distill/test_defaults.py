"""A student's own settings: DistillConfig fields left None resolve to its registry entry's; runs record the values."""
import json

from crysgnn_zoo.config import DEFAULT_ALPHA, DistillConfig, TrainConfig
from crysgnn_zoo.distill.defaults import for_student, settings_text, student_setting
from crysgnn_zoo.factory import get_model
from crysgnn_zoo.train.run import train_model


def student_alpha(name):
    return student_setting(name, "alpha")


def student_settings_text(models):
    return settings_text({m: (student_setting(m, "alpha"), student_setting(m, "alpha_schedule")) for m in models})


def test_none_means_the_students_own_setting():
    assert DistillConfig().alpha is None and DistillConfig().alpha_schedule is None
    assert student_alpha("crysxpp") == 0.25 and student_alpha("cgcnn") == student_alpha("gatgnn") == DEFAULT_ALPHA
    assert student_alpha("my-own-net") == student_alpha(None) == DEFAULT_ALPHA  # not registered: the paper's
    assert for_student(DistillConfig(), "crysxpp") == DistillConfig(alpha=0.25, alpha_schedule="half_decay")
    assert for_student(DistillConfig(), "cgcnn") == DistillConfig(alpha=0.5, alpha_schedule="half_decay")
    assert for_student(DistillConfig(), None) == DistillConfig(alpha=0.5, alpha_schedule="linear_decay")
    given = DistillConfig(alpha=0.7, alpha_schedule="constant")
    assert for_student(given, "crysxpp") == given  # given values are kept


def test_get_model_distils_each_student_with_its_alpha():
    assert get_model("crysxpp", distill=True, pretrained=None, atom_dim=16, n_conv=1).alpha == 0.25
    cgcnn = get_model("cgcnn", distill=True, atom_dim=16, n_conv=1)
    assert cgcnn.alpha == 0.5 and cgcnn.alpha_schedule == "half_decay"
    assert get_model("crysxpp", distill=True, alpha=0.5, pretrained=None, atom_dim=16, n_conv=1).alpha == 0.5


def test_a_run_records_the_resolved_alpha(tmp_path):
    train_model("mp_37k_sample", "band_gap", "crysxpp", model_overrides={"n_conv": 1}, pretrained=None,
                train_config=TrainConfig(epochs=1), max_samples=40, split_sizes=(30, 5, 5), distill=True,
                out_dir=tmp_path / "run", workers=1, progress=False)
    result = json.loads((tmp_path / "run" / "result.json").read_text())
    assert result["extra"]["distill"]["alpha"] == 0.25 and result["extra"]["distill"]["alpha_schedule"] == "half_decay"
    assert json.loads((tmp_path / "run" / "run.json").read_text())["distill"]["alpha"] == 0.25


def test_settings_text_names_the_students_that_differ():
    assert student_settings_text(["gatgnn", "alignn"]) == "alpha 0.5 decaying linearly to 0"
    assert student_settings_text(["crysxpp"]) == "alpha 0.25 decaying linearly to 0 at half the epochs"
    assert student_settings_text(["cgcnn", "crysxpp", "gatgnn"]) == (
        "alpha 0.5 decaying linearly to 0 (cgcnn: alpha 0.5 decaying linearly to 0 at half the epochs; "
        "crysxpp: alpha 0.25 decaying linearly to 0 at half the epochs)")
    assert settings_text({"a": (0.25, "constant"), "b": (0.8, "constant"), "c": (0.8, "constant")}) == \
        "alpha 0.8 (a: alpha 0.25)"


def test_every_registry_entry_resolves_its_settings_through_the_one_function():
    from crysgnn_zoo.nets.registry import list_models, model_entry
    from crysgnn_zoo.train.recipes import recipe

    for name in list_models():
        resolved = for_student(DistillConfig(), name)
        assert resolved.alpha is not None and resolved.alpha_schedule is not None, name
        assert {k: getattr(resolved, k) for k in model_entry(name).distill} == model_entry(name).distill
        TrainConfig(**recipe(name))  # each entry's recipe is a set of valid TrainConfig fields
