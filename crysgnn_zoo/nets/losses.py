"""The task losses on standardised targets, by the name ``TrainConfig.loss`` gives them (the one
table: the trainer and the distillation wrapper both read it)."""
from __future__ import annotations

import torch.nn.functional as F

TASK_LOSSES = {"mse": F.mse_loss, "l1": F.l1_loss, "huber": F.smooth_l1_loss}
