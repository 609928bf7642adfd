"""A student's own alpha: DistillConfig(alpha=None) resolves to its registry entry's, and runs record the number."""
import json

from crysgnn_zoo.config import DEFAULT_ALPHA, DistillConfig, TrainConfig
from crysgnn_zoo.distill.defaults import alpha_text, alphas_text, for_student, student_alpha
from crysgnn_zoo.factory import get_model
from crysgnn_zoo.train.run import train_model


def test_none_means_the_students_own_alpha():
    assert DistillConfig().alpha is None
    assert student_alpha("crysxpp") == 0.25 and student_alpha("cgcnn") == student_alpha("gatgnn") == DEFAULT_ALPHA
    assert student_alpha("my-own-net") == student_alpha(None) == DEFAULT_ALPHA  # not registered: the paper's
    assert for_student(DistillConfig(), "crysxpp") == DistillConfig(alpha=0.25)
    assert for_student(DistillConfig(alpha=0.7), "crysxpp").alpha == 0.7  # a given alpha is kept


def test_get_model_distils_each_student_with_its_alpha():
    assert get_model("crysxpp", distill=True, pretrained=None, atom_dim=16, n_conv=1).alpha == 0.25
    assert get_model("cgcnn", distill=True, atom_dim=16, n_conv=1).alpha == 0.5
    assert get_model("crysxpp", distill=True, alpha=0.5, pretrained=None, atom_dim=16, n_conv=1).alpha == 0.5


def test_a_run_records_the_resolved_alpha(tmp_path):
    train_model("mp_37k_sample", "band_gap", "crysxpp", model_overrides={"n_conv": 1}, pretrained=None,
                train_config=TrainConfig(epochs=1), max_samples=40, split_sizes=(30, 5, 5), distill=True,
                out_dir=tmp_path / "run", workers=1, progress=False)
    result = json.loads((tmp_path / "run" / "result.json").read_text())
    assert result["extra"]["distill"]["alpha"] == 0.25
    assert json.loads((tmp_path / "run" / "run.json").read_text())["distill"]["alpha"] == 0.25


def test_alpha_text_names_the_students_that_differ():
    assert alpha_text(["cgcnn", "gatgnn"]) == 0.5
    assert alpha_text(["crysxpp"]) == 0.25
    assert alpha_text(["cgcnn", "crysxpp", "gatgnn"]) == "0.5 (crysxpp 0.25)"
    assert alphas_text({"a": 0.25, "b": 0.8, "c": 0.8}) == "0.8 (a 0.25)"
