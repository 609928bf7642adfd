"""ALIGNN's bond-angle line graph on a crystal whose angles are known."""
from __future__ import annotations

import numpy as np

from crysgnn_zoo._dgl import dgl
from crysgnn_zoo.graphs.collate import collate
from crysgnn_zoo.graphs.neighbors import find_neighbors
from crysgnn_zoo.graphs.store import GraphStore
from crysgnn_zoo.nets.alignn import bond_angle_cosines


def test_cscl_bond_angles_are_the_cube_vertex_angles():
    lattice = np.eye(3) * 4.0
    nl = find_neighbors(lattice, np.array([[0.0, 0.0, 0.0], [0.5, 0.5, 0.5]]), 3.6, None)  # 8 neighbours each
    store = GraphStore.from_graphs(["CsCl"], [np.array([55, 17], np.uint8)], [lattice], [nl])
    g = collate(store, [0], with_vectors=True)
    lg = dgl.line_graph(g, backtracking=True)
    angles = np.degrees(np.arccos(bond_angle_cosines(g, lg).numpy()))
    values, counts = np.unique(np.round(angles, 1), return_counts=True)
    # per centre, 8 incoming bonds x 8 outgoing bonds = 64 ordered pairs:
    # 8 back along the same atom (0 deg), 24 at 70.5, 24 at 109.5, 8 opposite (180)
    assert dict(zip(values.tolist(), counts.tolist())) == {0.0: 16, 70.5: 48, 109.5: 48, 180.0: 16}
