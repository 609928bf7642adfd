"""CrysGNN pre-training: curation of untagged crystals and self-supervised objectives."""
