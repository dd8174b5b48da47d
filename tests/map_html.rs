//! The interactive map's new parts in headless Chromium (Debian's
//! `chromium`, from `scripts/setup.sh --browser`): hovering shows a
//! county, the search box finds a county by name or id and zooms to it, the group outlines are drawn over
//! the zones, the legend counts the zones in each class, and the source
//! line is shown. Screenshots are kept under `target/tmp/maps/`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use terralux::map::InteractiveMap;
use terralux::zones::{AttrValue, Attributes, Zone, ZoneId, ZoneSet};

fn browser() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        for dir in std::env::split_paths(&path) {
            if dir.join(name).is_file() {
                return dir.join(name);
            }
        }
    }
    panic!("no chromium found on PATH: run scripts/setup.sh --browser");
}

/// Searches, zooms and reads what the page shows into `<pre id="report">`.
const HARNESS: &str = r##"<script>
(function () {
  const lines = [];
  const say = function (key, value) { lines.push(key + "=" + String(value).replace(/\n/g, " ")); };
  const svg = document.getElementById("map");
  const outline = document.getElementById("outlines");
  const box = outline.getBBox();
  const zonesBox = document.getElementById("zones").getBBox();
  say("outline_length", outline.getTotalLength());
  say("outline_covers", box.width >= zonesBox.width * 0.99 && box.height >= zonesBox.height * 0.99);
  say("outline_last", outline.parentNode.lastElementChild === outline);
  say("counts", Array.from(document.querySelectorAll("#legend span.count")).map(function (s) { return s.textContent; }).join(","));
  say("source", document.getElementById("source").textContent);
  document.querySelector('#zones path[data-index="4"]').dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));
  say("hover", document.getElementById("info").textContent);
  const initial = Number(svg.getAttribute("viewBox").split(" ")[2]);
  const search = document.getElementById("search");
  search.value = "county 1-3";
  search.dispatchEvent(new Event("input"));
  const matches = document.getElementById("matches");
  say("matches_shown", !matches.hidden);
  say("match_first", matches.firstChild ? matches.firstChild.textContent : "");
  search.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter" }));
  say("zoom_ratio", Number(svg.getAttribute("viewBox").split(" ")[2]) / initial);
  say("selected", Array.from(document.querySelectorAll("#zones path.selected")).map(function (p) { return p.dataset.index; }).join(","));
  say("info", document.getElementById("info").textContent);
  search.value = "27";
  search.dispatchEvent(new Event("input"));
  say("id_match_first", matches.firstChild ? matches.firstChild.textContent : "");
  matches.firstChild.dispatchEvent(new MouseEvent("click", { bubbles: true }));
  say("selected_by_id", document.querySelector("#zones path.selected").dataset.index);
  search.value = "no such place";
  search.dispatchEvent(new Event("input"));
  say("nothing_found_hidden", matches.hidden);
  const pre = document.createElement("pre");
  pre.id = "report";
  pre.textContent = lines.join("\n");
  document.body.appendChild(pre);
})();
</script>"##;

fn run_browser(args: &[&str], page: &Path) -> std::process::Output {
    Command::new(browser())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--hide-scrollbars",
            "--window-size=1280,860",
            "--virtual-time-budget=5000",
        ])
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium")
}

/// 6 x 5 squares of 0.2 degrees; three provinces of two columns each.
fn zones() -> ZoneSet {
    let names: std::sync::Arc<[String]> = vec!["province".to_string(), "name".to_string()].into();
    let zones = (0..5)
        .flat_map(|r| (0..6).map(move |c| (r, c)))
        .map(|(r, c)| {
            let (x, y) = (100.0 + 0.2 * c as f64, 25.0 + 0.2 * r as f64);
            let ring: Vec<Coord<f64>> = [
                (x, y),
                (x + 0.2, y),
                (x + 0.2, y + 0.2),
                (x, y + 0.2),
                (x, y),
            ]
            .iter()
            .map(|&(x, y)| Coord { x, y })
            .collect();
            Zone {
                id: ZoneId::Int((r * 6 + c) as i64),
                attributes: Attributes::new(
                    names.clone(),
                    vec![
                        AttrValue::Text(format!("P{}", c / 2)),
                        AttrValue::Text(format!("County {r}-{c}")),
                    ],
                ),
                geometry: MultiPolygon(vec![Polygon::new(LineString::from(ring), vec![])]),
            }
        })
        .collect();
    ZoneSet::new(zones, None)
}

fn report(html: &str, name: &str) -> Vec<(String, String)> {
    let tmp = common::TempDir::new(&format!("map-html-{name}"));
    let plain = tmp.join("plain.html");
    std::fs::write(&plain, html).unwrap();
    let (body, end) = html.rsplit_once("</body>").unwrap();
    let driven = tmp.join("driven.html");
    std::fs::write(&driven, format!("{body}{HARNESS}</body>{end}")).unwrap();
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("maps");
    std::fs::create_dir_all(&shots).unwrap();
    for (page, shot) in [
        (&plain, format!("{name}.png")),
        (&driven, format!("{name}-searched.png")),
    ] {
        let target = shots.join(shot);
        let out = run_browser(&[&format!("--screenshot={}", target.display())], page);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(target.exists());
    }
    let out = run_browser(&["--dump-dom"], &driven);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    let start =
        dom.find("<pre id=\"report\">").expect("the harness ran") + "<pre id=\"report\">".len();
    let end = start + dom[start..].find("</pre>").unwrap();
    dom[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn search_outlines_counts_and_source_work_in_a_browser() {
    let zones = zones();
    let values: Vec<Option<f64>> = (0..30)
        .map(|i| if i % 7 == 0 { None } else { Some(i as f64) })
        .collect();
    let html = InteractiveMap::new(&zones, "Search test")
        .indicator("score", &values)
        .unwrap()
        .group_by("province")
        .label_field("name")
        .source("Data: synthetic squares")
        .to_html()
        .unwrap();
    let report = report(&html, "search");
    let get = |key: &str| -> &str {
        report
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {key} in {report:?}"))
    };
    // Outlines: around the whole layer and between the three provinces
    // (2 vertical borders of 5 squares' height), on top of the zones.
    let length: f64 = get("outline_length").parse().unwrap();
    // Squares 1000/6 page units wide, taller by 1 / cos(25.5 N) (longitudes shrunk).
    let width = 1000.0 / 6.0;
    let height = width / 25.5f64.to_radians().cos();
    // Perimeter (6 widths and 5 heights, twice) plus two inner borders of 5 heights.
    let expected = 2.0 * 6.0 * width + (2.0 + 2.0) * 5.0 * height;
    assert!(
        (length - expected).abs() < expected * 0.05,
        "{length} vs {expected}"
    );
    assert_eq!(get("outline_covers"), "true");
    assert_eq!(get("outline_last"), "true");
    // Counts: 25 zones with a value in 5 classes of 5, 5 without.
    assert_eq!(get("counts"), "5,5,5,5,5,5");
    assert!(get("source").starts_with("Data: synthetic squares · terralux "));
    // Hovering a county shows its name, province and value.
    let hover = get("hover");
    assert!(
        hover.contains("4 County 0-4")
            && hover.contains("province: P2")
            && hover.contains("score4"),
        "{hover}"
    );
    // Search by name: the list shows it, Enter zooms in and selects it.
    assert_eq!(get("matches_shown"), "true");
    assert_eq!(get("match_first"), "9 County 1-3 (P1)");
    let ratio: f64 = get("zoom_ratio").parse().unwrap();
    assert!(ratio < 0.5, "zoomed to {ratio}");
    assert_eq!(get("selected"), "9");
    assert!(get("info").contains("9 County 1-3"), "{}", get("info"));
    // By id: the exact id first, and a click selects it.
    assert!(
        get("id_match_first").starts_with("27 County 4-3"),
        "{}",
        get("id_match_first")
    );
    assert_eq!(get("selected_by_id"), "27");
    assert_eq!(get("nothing_found_hidden"), "true");
}
