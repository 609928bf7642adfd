"""Predict with a released property model, then fine-tune it to a property it never saw labels of.

    python examples/finetune_release.py           # the released CGCNN formation-energy model, to band gaps
    python examples/finetune_release.py --init runs/x/checkpoint --target band_gap --epochs 2

The donor learned formation energies; fine-tuning puts a new output layer on its trained atom
features and learns band gaps from ``--n`` crystals. (Fine-tuning it on its own target here would
mislead: the embedded sample is drawn from mp_37k, and most of it was in the donor's training split.)
The README shows this file; tests run it, so it stays runnable.
"""
import argparse

import crysgnn_zoo as cz
from crysgnn_zoo.data import open_source

ap = argparse.ArgumentParser()
ap.add_argument("--init", default="cgcnn-mp37k-formation-energy", help="release name or checkpoint folder")
ap.add_argument("--data", default="mp_37k_sample", help="your data: a data set, CSV with a CIF column, or folder")
ap.add_argument("--target", default="band_gap", help="a property the donor never saw labels of")
ap.add_argument("--epochs", type=int, default=20)
ap.add_argument("--n", type=int, default=500, help="crystals drawn from --data")
args = ap.parse_args()

model = cz.load_model(args.init)                            # verified against its card's SHA-256
cifs = [entry.payload for _, entry in zip(range(3), open_source(args.data).entries())]
open("example.cif", "w").write(cifs[0])
print(cz.predict(model, ["example.cif"]).to_string())       # id, prediction, std, interval_95, in_domain, unit, ...

result = cz.train_model(args.data, args.target, init=args.init, max_samples=args.n, split_sizes=(0.8, 0.1, 0.1),
                        train_config=cz.TrainConfig(epochs=args.epochs, lr=1e-3), out_dir="runs/finetuned",
                        overwrite=True, progress=False)     # a new output layer: the target differs
print(f"{args.init} ({model.target}) fine-tuned to {args.target} on {result.split_sizes[0]} crystals:")
print(result.summary())                                     # test MAE beside the mean predictor's
