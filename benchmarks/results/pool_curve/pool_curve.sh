#!/usr/bin/env bash
# Teacher quality against pool size (issue 43, item 1): v1's recipe on seeded 25 % and 50 % shares of the
# curated pool, the same number of optimiser steps as v1 (17,725: 25 epochs x 709 steps of 64).
set -u
cd "$(dirname "$0")/.."
for spec in "25 0.25 100" "50 0.5 50"; do
  set -- $spec
  .venv/bin/crysgnn-zoo -v pretrain --curated runs/curated_all --out runs/pretrain_pool$1 --name crysgnn-pool$1 \
    --epochs $3 --batch-size 64 --lr 1e-3 --pool-fraction $2 --no-progress --resume >> runs/pretrain_pool$1.log 2>&1
done
