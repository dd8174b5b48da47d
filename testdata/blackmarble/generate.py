"""Black Marble VNP46A1-A4 fixtures for terralux's tests (collections 1 and 2).

    python3 -m venv /tmp/h5 && /tmp/h5/bin/pip install h5py numpy
    /tmp/h5/bin/python testdata/blackmarble/generate.py   # from the repository root

Each file is one 2400 x 2400 tile laid out as NASA's HDF-EOS5 files are
(group, layer names, _FillValue / scale_factor / add_offset attributes,
tile numbers and bounding coordinates as root attributes), with synthetic
values; see testdata/README.md for what the tests rely on. Deterministic.
"""

from pathlib import Path

import h5py
import numpy as np

N = 2400
HERE = Path(__file__).parent


def tile(path, collection, h, v, factor, product="A2"):
    """Radiance 0.5 nW everywhere, 50 nW in a block over the test counties, fill and flags in known places.

    A2 tiles have the BRDF-corrected layer, whose poor and cloudy cells hold
    a poor retrieval (5 nW instead of 50), and the gap-filled layer, where
    those cells hold the good value again; A1 tiles have the at-sensor
    radiance (the BRDF layer's values) and the cloud mask, no quality flag.
    """
    radiance = np.full((N, N), 0.5, dtype=np.float64)
    if (h, v) == (28, 6):
        radiance[48:96, 1464:1512] = 50.0  # 106.1-106.3 E, 29.6-29.8 N
    radiance *= factor
    fill = np.zeros((N, N), dtype=bool)
    fill[:10, :10] = True
    if (h, v) == (28, 6):
        fill[48:60, 1524:1536] = True  # 106.35-106.40 E, 29.75-29.80 N
    quality = np.zeros((N, N), dtype=np.uint8)
    quality[70:76, 1480:1490] = 2  # poor
    quality[fill] = 255
    cloud = np.zeros((N, N), dtype=np.uint16)
    cloud[80:86, 1500:1510] |= 0b11 << 6  # confident cloudy
    cloud[86:89, 1500:1510] |= 1 << 10  # snow/ice
    gap_filled = radiance.copy()
    if (h, v) == (28, 6):
        retrieved = radiance.copy()
        retrieved[70:76, 1480:1490] = 5.0 * factor  # the poor retrieval
        retrieved[80:89, 1500:1510] = 5.0 * factor  # under cloud and snow
        radiance = retrieved
    with h5py.File(path, "w") as f:
        f.attrs["HorizontalTileNumber"] = np.int32(h)
        f.attrs["VerticalTileNumber"] = np.int32(v)
        west, north = -180.0 + 10 * h, 90.0 - 10 * v
        f.attrs["WestBoundingCoord"] = west
        f.attrs["EastBoundingCoord"] = west + 10
        f.attrs["NorthBoundingCoord"] = north
        f.attrs["SouthBoundingCoord"] = north - 10
        group = f.require_group("HDFEOS/GRIDS/VNP_Grid_DNB/Data Fields" if collection == 1 else "HDFEOS/GRIDS/VIIRS_Grid_DNB_2d/Data Fields")
        opts = dict(chunks=(240, 240), compression="gzip", compression_opts=9)
        layers = {"DNB_At_Sensor_Radiance_500m": radiance} if product == "A1" else {
            "DNB_BRDF-Corrected_NTL": radiance,
            "Gap_Filled_DNB_BRDF-Corrected_NTL": gap_filled,
        }
        for layer, values in layers.items():
            if collection == 1:
                raw = np.round(values * 10).astype(np.uint16)
                raw[fill] = 65535
                ntl = group.create_dataset(layer, data=raw, **opts)
                ntl.attrs["_FillValue"] = np.uint16(65535)
                ntl.attrs["scale_factor"] = np.float32(0.1)
            else:
                raw = values.astype(np.float32)
                raw[fill] = -999.9
                ntl = group.create_dataset(layer, data=raw, **opts)
                ntl.attrs["_FillValue"] = np.float32(-999.9)
                ntl.attrs["scale_factor"] = np.float32(1.0)
            ntl.attrs["add_offset"] = np.float32(0.0)
        if product == "A2":
            q = group.create_dataset("Mandatory_Quality_Flag", data=quality, **opts)
            q.attrs["_FillValue"] = np.uint8(255)
        c = group.create_dataset("QF_Cloud_Mask", data=cloud, **opts)
        c.attrs["_FillValue"] = np.uint16(65535)


def composite(path, collection, h, v):
    """A monthly (A3) or yearly (A4) composite tile as NASA lays it out.

    NearNadir_Composite_Snow_Free (the default layer) holds 0.5 nW
    everywhere and 50 in the block over the test counties; in the block of
    rows 70..76, columns 1480..1490 its _Quality is 1 (poor) and the value
    5, in rows 80..89, columns 1500..1510 _Quality 2 (gap-filled) and the
    value 40. AllAngle_Composite_Snow_Free holds twice the near-nadir
    values, so a test tells which layer was read; _Num is 7 observations
    everywhere and _Std 1.5. Cells [:10, :10] are fill in every layer.
    """
    near = np.full((N, N), 0.5, dtype=np.float64)
    if (h, v) == (28, 6):
        near[48:96, 1464:1512] = 50.0
    quality = np.zeros((N, N), dtype=np.uint8)
    quality[70:76, 1480:1490] = 1
    near[70:76, 1480:1490] = 5.0
    quality[80:89, 1500:1510] = 2
    near[80:89, 1500:1510] = 40.0
    fill = np.zeros((N, N), dtype=bool)
    fill[:10, :10] = True
    quality[fill] = 255
    with h5py.File(path, "w") as f:
        f.attrs["HorizontalTileNumber"] = np.int32(h)
        f.attrs["VerticalTileNumber"] = np.int32(v)
        west, north = -180.0 + 10 * h, 90.0 - 10 * v
        f.attrs["WestBoundingCoord"] = west
        f.attrs["EastBoundingCoord"] = west + 10
        f.attrs["NorthBoundingCoord"] = north
        f.attrs["SouthBoundingCoord"] = north - 10
        group = f.require_group("HDFEOS/GRIDS/VIIRS_Grid_DNB_2d/Data Fields")
        opts = dict(chunks=(240, 240), compression="gzip", compression_opts=9)
        for angle, factor in (("NearNadir", 1.0), ("AllAngle", 2.0)):
            base = f"{angle}_Composite_Snow_Free"
            layers = {
                base: (near * factor, 0.1),
                f"{base}_Num": (np.full((N, N), 7.0), 1.0),
                f"{base}_Std": (np.full((N, N), 1.5), 0.1),
            }
            for layer, (values, scale) in layers.items():
                if collection == 1:
                    raw = np.round(values / scale).astype(np.uint16)
                    raw[fill] = 65535
                    data = group.create_dataset(layer, data=raw, **opts)
                    data.attrs["_FillValue"] = np.uint16(65535)
                    data.attrs["scale_factor"] = np.float32(scale)
                else:
                    raw = values.astype(np.float32)
                    raw[fill] = -999.9
                    data = group.create_dataset(layer, data=raw, **opts)
                    data.attrs["_FillValue"] = np.float32(-999.9)
                    data.attrs["scale_factor"] = np.float32(1.0)
                data.attrs["add_offset"] = np.float32(0.0)
            q = group.create_dataset(f"{base}_Quality", data=quality, **opts)
            q.attrs["_FillValue"] = np.uint8(255)


def main():
    (HERE / "c1").mkdir(exist_ok=True)
    (HERE / "c2").mkdir(exist_ok=True)
    tile(HERE / "c1" / "VNP46A2.A2020100.h28v06.001.2021125000000.h5", 1, 28, 6, 1.0)
    for day, factor in (("100", 1.0), ("101", 1.2)):
        for h in (28, 29):
            tile(HERE / "c2" / f"VNP46A2.A2020{day}.h{h}v06.002.2021125000000.h5", 2, h, 6, factor)
    (HERE / "a1").mkdir(exist_ok=True)
    tile(HERE / "a1" / "VNP46A1.A2020100.h28v06.002.2021125000000.h5", 2, 28, 6, 1.0, "A1")
    (HERE / "a3").mkdir(exist_ok=True)
    composite(HERE / "a3" / "VNP46A3.A2020061.h28v06.002.2021125000000.h5", 2, 28, 6)
    (HERE / "a4").mkdir(exist_ok=True)
    composite(HERE / "a4" / "VNP46A4.A2020001.h28v06.001.2021125000000.h5", 1, 28, 6)


if __name__ == "__main__":
    main()
