#![cfg(feature = "gdal")]
//! NASA Black Marble as the World Bank's tools read it: default layers per
//! product, mask policies, the gap-filled layer, VNP46A1.
//!
//! The fixtures (testdata/blackmarble/generate.py) hold 50 nW/cm²/sr in a
//! block over the test counties; in the BRDF-corrected A2 layer the poor
//! cells (rows 70..76, columns 1480..1490 of tile h28v06) and the cloudy
//! and snowy ones (rows 80..89, columns 1500..1510) hold a poor retrieval
//! of 5, which the gap-filled layer has replaced by 50 again.

mod common;

use geo_types::{MultiPolygon, polygon};
use terralux::Crs;
use terralux::ntl::blackmarble::MaskPolicy;
use terralux::ntl::{Collection, CountyNtlOptions, ProductChoice, county_ntl};
use terralux::stats::StatValue;
use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};

/// Cells `rows` x `cols` of tile h28v06 (west 100 E, north 30 N, 1/240 degree) as a zone.
fn cells(id: i64, rows: (f64, f64), cols: (f64, f64)) -> Zone {
    let x = |c: f64| 100.0 + c / 240.0;
    let y = |r: f64| 30.0 - r / 240.0;
    let (x0, x1, y0, y1) = (x(cols.0), x(cols.1), y(rows.1), y(rows.0));
    Zone {
        id: ZoneId::Int(id),
        attributes: Attributes::default(),
        geometry: MultiPolygon(vec![
            polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)],
        ]),
    }
}

/// Zone 1: the poor block (60 cells); zone 2: the cloudy and snowy block (90 cells).
fn zones() -> ZoneSet {
    ZoneSet::new(
        vec![
            cells(1, (70.0, 76.0), (1480.0, 1490.0)),
            cells(2, (80.0, 89.0), (1500.0, 1510.0)),
        ],
        Some(Crs::wgs84()),
    )
}

/// tnl (first column) of zones 1 and 2 on the first date.
fn tnl(folder: &str, layer: Option<&str>, masks: MaskPolicy) -> (f64, f64) {
    let collection =
        Collection::from_folder(&common::testdata(folder), ProductChoice::Auto).unwrap();
    let options = CountyNtlOptions {
        bm_layer: layer.map(str::to_string),
        bm_masks: masks,
        ..CountyNtlOptions::default()
    };
    let run = county_ntl(&collection, zones(), &options, &|_| {}).unwrap();
    let value = |z: usize| match &run.series.tables[0].zones[z].values[0] {
        StatValue::Number(v) => *v,
        other => panic!("{other:?}"),
    };
    (value(0), value(1))
}

/// Equal but for the slivers of neighbouring cells that the zones' float
/// edges (100 + c / 240) touch by 1e-11 of a cell.
fn close(a: (f64, f64), b: (f64, f64)) -> bool {
    (a.0 - b.0).abs() < 1e-6 * b.0.max(1.0) && (a.1 - b.1).abs() < 1e-6 * b.1.max(1.0)
}

#[test]
fn the_gap_filled_layer_is_the_default_and_keeps_its_filled_cells() {
    // By default: the gap-filled layer, fill values only: every cell at 50.
    let default = tnl("blackmarble/c2", None, MaskPolicy::Fill);
    assert!(close(default, (60.0 * 50.0, 90.0 * 50.0)), "{default:?}");
    // Strict asks for quality flags, but none apply to a gap-filled layer.
    let strict = tnl("blackmarble/c2", None, MaskPolicy::Strict);
    assert!(close(strict, default), "{strict:?}");
    // The BRDF-corrected layer: its poor retrievals are values under fill...
    let brdf = Some("DNB_BRDF-Corrected_NTL");
    let kept = tnl("blackmarble/c2", brdf, MaskPolicy::Fill);
    assert!(close(kept, (60.0 * 5.0, 90.0 * 5.0)), "{kept:?}");
    // ...and masked under strict: poor (quality 2), cloudy (bits 6-7 = 3) and snow (bit 10).
    let masked = tnl("blackmarble/c2", brdf, MaskPolicy::Strict);
    assert!(close(masked, (0.0, 0.0)), "{masked:?}");
    // Collection 1 (uint16 scaled by 0.1) decodes to the same.
    let c1 = tnl("blackmarble/c1", None, MaskPolicy::Fill);
    assert!(close(c1, default), "{c1:?}");
}

#[test]
fn vnp46a1_reads_its_at_sensor_radiance() {
    let collection = Collection::from_folder(
        &common::testdata("blackmarble/a1"),
        ProductChoice::BlackMarble,
    )
    .unwrap();
    assert_eq!(collection.dates(), ["2020-04-09"]);
    let notes = std::sync::Mutex::new(Vec::new());
    let run = county_ntl(
        &collection,
        zones(),
        &CountyNtlOptions::default(),
        &|event| {
            if let terralux::ntl::RunEvent::Note(text) = event {
                notes.lock().unwrap().push(text.to_string());
            }
        },
    )
    .unwrap();
    // A1 has the retrieved values (5 in both blocks) and no Mandatory_Quality_Flag.
    let first = |run: &terralux::ntl::CountyNtlRun| {
        let zones = &run.series.tables[0].zones;
        (
            zones[0].values[0].as_f64().unwrap(),
            zones[1].values[0].as_f64().unwrap(),
        )
    };
    assert!(
        close(first(&run), (60.0 * 5.0, 90.0 * 5.0)),
        "{:?}",
        first(&run)
    );
    assert!(
        notes
            .lock()
            .unwrap()
            .iter()
            .any(|n| n.contains("layer DNB_At_Sensor_Radiance_500m, masks 'fill'")),
        "{:?}",
        notes.lock().unwrap()
    );
    // Strict on A1 is the cloud mask alone: the cloudy and snowy block goes, the poor one stays.
    let options = CountyNtlOptions {
        bm_masks: MaskPolicy::Strict,
        ..CountyNtlOptions::default()
    };
    let strict = county_ntl(&collection, zones(), &options, &|_| {}).unwrap();
    assert!(
        close(first(&strict), (60.0 * 5.0, 0.0)),
        "{:?}",
        first(&strict)
    );
}

/// tnl of zones 1 and 2 over a composite folder, with the date(s) found.
fn composite_tnl(
    folder: &str,
    layer: Option<&str>,
    masks: MaskPolicy,
) -> (Vec<String>, (f64, f64)) {
    let collection =
        Collection::from_folder(&common::testdata(folder), ProductChoice::Auto).unwrap();
    let dates = collection.dates();
    (dates, tnl(folder, layer, masks))
}

#[test]
fn monthly_and_yearly_composites_read_their_near_nadir_layer_and_quality() {
    // The fixtures: near-nadir 5 (quality 1, poor) over zone 1's 60 cells and
    // 40 (quality 2, gap-filled) over zone 2's 90 cells; all-angle twice that.
    for (folder, date) in [
        ("blackmarble/a3", "2020-03-01"),
        ("blackmarble/a4", "2020-01-01"),
    ] {
        // The default: NearNadir_Composite_Snow_Free, fill values only.
        let (dates, default) = composite_tnl(folder, None, MaskPolicy::Fill);
        assert_eq!(dates, [date], "{folder}");
        assert!(
            close(default, (60.0 * 5.0, 90.0 * 40.0)),
            "{folder}: {default:?}"
        );
        // Strict keeps _Quality 0 only: both blocks go.
        let (_, strict) = composite_tnl(folder, None, MaskPolicy::Strict);
        assert!(close(strict, (0.0, 0.0)), "{folder}: {strict:?}");
        // Another composite layer on request.
        let all_angle = Some("AllAngle_Composite_Snow_Free");
        let (_, all) = composite_tnl(folder, all_angle, MaskPolicy::Fill);
        assert!(close(all, (60.0 * 10.0, 90.0 * 80.0)), "{folder}: {all:?}");
        // _Num and _Std are masked by their composite's _Quality.
        let num = Some("NearNadir_Composite_Snow_Free_Num");
        let (_, observations) = composite_tnl(folder, num, MaskPolicy::Fill);
        assert!(
            close(observations, (60.0 * 7.0, 90.0 * 7.0)),
            "{folder}: {observations:?}"
        );
        let (_, strict_num) = composite_tnl(folder, num, MaskPolicy::Strict);
        assert!(close(strict_num, (0.0, 0.0)), "{folder}: {strict_num:?}");
        let std = Some("AllAngle_Composite_Snow_Free_Std");
        let (_, deviation) = composite_tnl(folder, std, MaskPolicy::Fill);
        assert!(
            close(deviation, (60.0 * 1.5, 90.0 * 1.5)),
            "{folder}: {deviation:?}"
        );
    }
}

/// `masked_frac`: the share of a zone's valid radiance cells that the masks
/// removed, by hand on the A2 fixture.
#[test]
fn masked_frac_is_the_share_of_valid_cells_the_masks_removed() {
    // Zone 1: the poor block (60 cells, quality 2); zone 2: the cloudy and
    // snowy block (90 cells); zone 3: the poor block and the 60 good cells
    // left of it; zone 4: the fill corner of h28v06 (no valid radiance).
    let zones = ZoneSet::new(
        vec![
            cells(1, (70.0, 76.0), (1480.0, 1490.0)),
            cells(2, (80.0, 89.0), (1500.0, 1510.0)),
            cells(3, (70.0, 76.0), (1470.0, 1490.0)),
            cells(4, (0.0, 5.0), (0.0, 5.0)),
        ],
        Some(Crs::wgs84()),
    );
    let collection =
        Collection::from_folder(&common::testdata("blackmarble/c2"), ProductChoice::Auto).unwrap();
    let masked_frac = |layer: Option<&str>, masks: MaskPolicy| {
        let options = CountyNtlOptions {
            bm_layer: layer.map(str::to_string),
            bm_masks: masks,
            masked_frac: true,
            ..CountyNtlOptions::default()
        };
        let run = county_ntl(&collection, zones.clone(), &options, &|_| {}).unwrap();
        let table = &run.series.tables[0];
        let last = table.columns.len() - 1;
        assert_eq!(table.columns[last].name, "masked_frac");
        assert_eq!(
            table.columns[last - 1].name,
            "valid_frac",
            "appended after the indicators"
        );
        table
            .zones
            .iter()
            .map(|z| z.values[last].as_f64())
            .collect::<Vec<_>>()
    };
    let near = |got: Option<f64>, want: f64| got.is_some_and(|g| (g - want).abs() < 1e-6);
    // Strict on the BRDF-corrected layer: quality, cloud and snow flags remove whole blocks.
    let strict = masked_frac(Some("DNB_BRDF-Corrected_NTL"), MaskPolicy::Strict);
    assert!(near(strict[0], 1.0) && near(strict[1], 1.0), "{strict:?}");
    assert!(near(strict[2], 0.5), "half of zone 3 is poor: {strict:?}");
    assert_eq!(
        strict[3], None,
        "no valid radiance: nothing for a mask to remove"
    );
    // Fill only: the flags remove nothing (the fill cells are not valid radiance).
    let fill = masked_frac(Some("DNB_BRDF-Corrected_NTL"), MaskPolicy::Fill);
    assert!(fill[..3].iter().all(|v| near(*v, 0.0)), "{fill:?}");
    // The gap-filled default under strict: no same-day flags, nothing removed.
    let gap_filled = masked_frac(None, MaskPolicy::Strict);
    assert!(
        gap_filled[..3].iter().all(|v| near(*v, 0.0)),
        "{gap_filled:?}"
    );
}
