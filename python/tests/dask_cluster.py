"""What the terralux.distributed test modules share: a LocalCluster of
two worker processes with one thread each (the ``client`` fixture, one
cluster per module: a module's tests kill its workers, the nannies start
them again), and tables compared bit for bit.

A module (not a ``conftest.py``: tests/python has its own, imported by
name) that the test modules import ``client`` and ``same`` from."""

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=50)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def same(got, want):
    """Bit for bit: values (exact), dtypes and NaN positions."""
    assert list(got.columns) == list(want.columns)
    for name in want.columns:
        g, w = got[name], want[name]
        if g.dtype == np.float64:
            assert np.array_equal(np.isnan(g.to_numpy()), np.isnan(w.to_numpy())), name
            assert np.array_equal(g.to_numpy().view(np.int64), w.to_numpy().view(np.int64)), name
    pd.testing.assert_frame_equal(got, want, check_exact=True)
