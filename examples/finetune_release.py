"""Predict with a released property model, then fine-tune it on your own data.

    python examples/finetune_release.py                       # the released CGCNN formation-energy model
    python examples/finetune_release.py --init runs/x/checkpoint --target band_gap --epochs 2

The README shows this file; tests run it, so it stays runnable.
"""
import argparse

import crysgnn_zoo as cz
from crysgnn_zoo.data import open_source

ap = argparse.ArgumentParser()
ap.add_argument("--init", default="cgcnn-mp37k-formation-energy", help="release name or checkpoint folder")
ap.add_argument("--data", default="mp_37k_sample", help="your data: a data set, CSV with a CIF column, or folder")
ap.add_argument("--target", default="formation_energy_per_atom")
ap.add_argument("--epochs", type=int, default=20)
ap.add_argument("--n", type=int, default=500, help="crystals drawn from --data")
args = ap.parse_args()

model = cz.load_model(args.init)                            # verified against its card's SHA-256
cifs = [entry.payload for _, entry in zip(range(3), open_source(args.data).entries())]
open("example.cif", "w").write(cifs[0])
print(cz.predict(model, ["example.cif"]))                   # id, prediction, unit, error, unseen_elements

result = cz.train_model(args.data, args.target, init=args.init, max_samples=args.n,
                        split_sizes=(0.8, 0.1, 0.1), train_config=cz.TrainConfig(epochs=args.epochs, lr=1e-3),
                        out_dir="runs/finetuned", progress=False)
print(result.summary())                                     # a new output layer when the target differs
