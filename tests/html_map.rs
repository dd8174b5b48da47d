//! The interactive HTML map in a real headless browser (Debian's
//! `chromium`, installed by `scripts/setup.sh --browser`): it loads with no
//! console error, draws one shape per zone, recolours when another indicator
//! is chosen, shows a zone's values when clicked, zooms to a group and with
//! the wheel. Screenshots are kept under the target directory
//! (`target/tmp/maps/`), not committed.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use terralux::map::InteractiveMap;
use terralux::zones::{AttrValue, Attributes, Zone, ZoneId, ZoneSet};

/// The browser: `chromium` (Debian), `chromium-browser` (Ubuntu) or `google-chrome`.
fn browser() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!(
        "no chromium found on PATH: run scripts/setup.sh --browser (it installs Debian's chromium)"
    );
}

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("maps");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Records errors from the first moment the page runs.
const ERROR_TRAP: &str = r##"<script>
window.__errors = [];
window.addEventListener("error", function (e) { window.__errors.push(String(e.message)); });
(function () {
  const original = console.error;
  console.error = function () { window.__errors.push(Array.from(arguments).join(" ")); original.apply(console, arguments); };
})();
</script>"##;

/// Drives the page as a user would and writes what it saw into `<pre id="report">`.
const HARNESS: &str = r##"<script>
(function () {
  const lines = [];
  const say = function (key, value) { lines.push(key + "=" + String(value).replace(/\n/g, " ")); };
  const svg = document.getElementById("map");
  const paths = Array.from(document.querySelectorAll("#zones path"));
  say("ready", document.body.dataset.ready);
  say("paths", paths.length);
  say("indicators", document.getElementById("indicator").options.length);
  say("groups", document.getElementById("group").options.length - 1);
  const fills = function () { return paths.map(function (p) { return p.getAttribute("fill"); }); };
  const before = fills();
  say("unfilled", before.filter(function (f) { return !f; }).length);
  const select = document.getElementById("indicator");
  select.value = "1";
  select.dispatchEvent(new Event("change"));
  const after = fills();
  say("recoloured", before.filter(function (f, i) { return f !== after[i]; }).length);
  say("legend_title", document.getElementById("legend-title").textContent);
  say("legend_entries", document.querySelectorAll("#legend > div").length);
  const target = document.querySelector('#zones path[data-index="3"]');
  target.dispatchEvent(new MouseEvent("click", { bubbles: true }));
  say("info", document.getElementById("info").textContent);
  say("selected", document.querySelectorAll("#zones path.selected").length);
  const initial = svg.getAttribute("viewBox");
  say("viewbox_initial", initial);
  const group = document.getElementById("group");
  group.value = "1";
  group.dispatchEvent(new Event("change"));
  say("viewbox_group", svg.getAttribute("viewBox"));
  const width = function () { return Number(svg.getAttribute("viewBox").split(" ")[2]); };
  const w0 = width();
  const box = svg.getBoundingClientRect();
  svg.dispatchEvent(new WheelEvent("wheel", { deltaY: -100, clientX: box.x + box.width / 2, clientY: box.y + box.height / 2, bubbles: true, cancelable: true }));
  say("wheel_ratio", width() / w0);
  const pointer = function (type, button, buttons, x) {
    svg.dispatchEvent(new PointerEvent(type, { button: button, buttons: buttons, clientX: box.x + x, clientY: box.y + 100, pointerId: 1, bubbles: true }));
  };
  const beforeDrag = svg.getAttribute("viewBox");
  pointer("pointerdown", 2, 2, 100);
  pointer("pointermove", -1, 0, 300);
  say("right_button_pans", svg.getAttribute("viewBox") !== beforeDrag);
  pointer("pointerdown", 0, 1, 100);
  pointer("pointermove", 0, 1, 300);
  pointer("pointerup", 0, 0, 300);
  say("left_drag_pans", svg.getAttribute("viewBox") !== beforeDrag);
  const afterDrag = svg.getAttribute("viewBox");
  pointer("pointermove", -1, 0, 500);
  say("moves_after_release_pan", svg.getAttribute("viewBox") !== afterDrag);
  say("errors", window.__errors.length);
  say("error_messages", window.__errors.join(" | "));
  const pre = document.createElement("pre");
  pre.id = "report";
  pre.textContent = lines.join("\n");
  document.body.appendChild(pre);
})();
</script>"##;

/// What the harness reported, by key.
struct Report(Vec<(String, String)>);

impl Report {
    fn get(&self, key: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no '{key}' in the report"))
    }

    fn number(&self, key: &str) -> f64 {
        self.get(key).parse().unwrap()
    }
}

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

/// Open `html` with the harness, keep screenshots named `name`, return the report.
fn drive(html: &str, name: &str) -> Report {
    let tmp = common::TempDir::new(&format!("html-{name}"));
    let plain = tmp.join("plain.html");
    std::fs::write(&plain, html).unwrap();
    let driven = tmp.join("driven.html");
    let with_trap = html.replacen("<head>", &format!("<head>{ERROR_TRAP}"), 1);
    let (body, end) = with_trap.rsplit_once("</body>").unwrap();
    std::fs::write(&driven, format!("{body}{HARNESS}</body>{end}")).unwrap();

    let screenshots = artifacts();
    for (page, shot) in [
        (&plain, format!("{name}.png")),
        (&driven, format!("{name}-driven.png")),
    ] {
        let target = screenshots.join(shot);
        let output = run_browser(&[&format!("--screenshot={}", target.display())], page);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(target.exists(), "no screenshot {}", target.display());
    }

    let output = run_browser(&["--dump-dom"], &driven);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let dom = String::from_utf8_lossy(&output.stdout);
    let start =
        dom.find("<pre id=\"report\">").expect("the harness ran") + "<pre id=\"report\">".len();
    let end = start + dom[start..].find("</pre>").unwrap();
    let text = dom[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    Report(
        text.lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

fn wobbly_square(x: f64, y: f64, vertices: usize) -> MultiPolygon<f64> {
    let ring: Vec<Coord<f64>> = (0..=vertices)
        .map(|i| {
            let t = i as f64 / vertices as f64 * std::f64::consts::TAU;
            let r = 0.45 + 0.03 * (5.0 * t).sin();
            Coord {
                x: x + 0.5 + r * t.cos(),
                y: y + 0.5 + r * t.sin(),
            }
        })
        .collect();
    MultiPolygon(vec![Polygon::new(LineString::from(ring), vec![])])
}

/// `columns x rows` zones in groups of ten columns (the "provinces").
fn synthetic_zones(columns: usize, rows: usize, vertices: usize) -> ZoneSet {
    let names: std::sync::Arc<[String]> = vec!["province".to_string(), "name".to_string()].into();
    let zones = (0..rows)
        .flat_map(|r| (0..columns).map(move |c| (r, c)))
        .map(|(r, c)| Zone {
            id: ZoneId::Int((r * columns + c) as i64),
            attributes: Attributes::new(
                names.clone(),
                vec![
                    AttrValue::Text(format!("P{}", c / 10)),
                    AttrValue::Text(format!("County {r}-{c}")),
                ],
            ),
            // Degrees around the Sichuan basin.
            geometry: {
                let mut g = wobbly_square(c as f64, r as f64, vertices);
                for p in &mut g.0 {
                    p.exterior_mut(|ring| {
                        for point in ring.0.iter_mut() {
                            point.x = 100.0 + point.x * 0.2;
                            point.y = 25.0 + point.y * 0.2;
                        }
                    });
                }
                g
            },
        })
        .collect();
    ZoneSet::new(zones, None)
}

fn indicators(n: usize) -> (Vec<Option<f64>>, Vec<Option<f64>>) {
    let a = (0..n).map(|i| Some(((i * 37) % 101) as f64)).collect();
    let b = (0..n)
        .map(|i| {
            if i % 13 == 0 {
                None
            } else {
                Some(((i * 53) % 97) as f64 / 7.0)
            }
        })
        .collect();
    (a, b)
}

/// The page of `zones` with two indicators, grouped by `province`.
fn page(zones: &ZoneSet, title: &str, names: [&str; 2], values: [&[Option<f64>]; 2]) -> String {
    let mut map = InteractiveMap::new(zones, title).group_by("province");
    if zones.field_names().iter().any(|f| f == "name") {
        map = map.label_field("name");
    }
    for (name, values) in names.into_iter().zip(values) {
        map = map.indicator(name, values).unwrap();
    }
    map.to_html().unwrap()
}

fn assert_no_errors(report: &Report) {
    assert_eq!(
        report.number("errors"),
        0.0,
        "{}",
        report.get("error_messages")
    );
}

#[test]
fn the_map_loads_draws_recolours_shows_values_and_zooms() {
    let zones = synthetic_zones(30, 12, 48);
    let (density, index) = indicators(zones.len());
    let html = page(
        &zones,
        "Synthetic counties",
        ["density", "poverty index"],
        [&density, &index],
    );
    let report = drive(&html, "synthetic");
    assert_no_errors(&report);
    assert_eq!(report.get("ready"), "true");
    assert_eq!(report.number("paths"), zones.len() as f64);
    assert_eq!(report.number("unfilled"), 0.0);
    assert_eq!(report.number("indicators"), 2.0);
    assert_eq!(report.number("groups"), 3.0);
    // Another indicator: most zones change colour, the legend follows, with a no-data entry.
    assert!(report.number("recoloured") > zones.len() as f64 / 2.0);
    assert_eq!(report.get("legend_title"), "poverty index");
    assert_eq!(report.number("legend_entries"), 6.0);
    // Zone 3 clicked: its id, name, province and both values.
    let info = report.get("info");
    for expected in ["3 County 0-3", "province: P0", "density", "poverty index"] {
        assert!(info.contains(expected), "'{expected}' not in '{info}'");
    }
    assert!(info.contains(&format!("{}", density[3].unwrap())), "{info}");
    assert_eq!(report.number("selected"), 1.0);
    // Zooming to the second province narrows the view; the wheel zooms in by 0.8.
    let width = |key: &str| -> f64 { report.get(key).split(' ').nth(2).unwrap().parse().unwrap() };
    assert!(width("viewbox_group") < width("viewbox_initial") / 2.0);
    assert!((report.number("wheel_ratio") - 0.8).abs() < 1e-9);
    // Only a primary-button drag pans, and it ends with the button.
    assert_eq!(report.get("right_button_pans"), "false");
    assert_eq!(report.get("left_drag_pans"), "true");
    assert_eq!(report.get("moves_after_release_pan"), "false");
}

#[test]
fn three_thousand_counties_load_without_errors() {
    // About the number of Chinese counties, each with 96 vertices before simplification.
    let zones = synthetic_zones(60, 48, 96);
    let (density, index) = indicators(zones.len());
    let html = page(
        &zones,
        "2,880 counties",
        ["density", "index"],
        [&density, &index],
    );
    let started = std::time::Instant::now();
    let report = drive(&html, "counties-2880");
    eprintln!(
        "2,880 counties: page {} KB, browser runs (2 screenshots + 1 DOM dump) {:.1} s",
        html.len() / 1024,
        started.elapsed().as_secs_f64()
    );
    assert_no_errors(&report);
    assert_eq!(report.number("paths"), 2880.0);
    assert_eq!(report.number("unfilled"), 0.0);
}

#[cfg(feature = "gdal")]
#[test]
fn the_test_counties_map_groups_by_province() {
    let zones = common::test_counties();
    let ids: Vec<Option<f64>> = (0..zones.len()).map(|i| Some(i as f64)).collect();
    let reversed: Vec<Option<f64>> = (0..zones.len()).map(|i| Some(-(i as f64))).collect();
    let html = page(
        &zones,
        "Test counties",
        ["order", "reverse order"],
        [&ids, &reversed],
    );
    let report = drive(&html, "test-counties");
    assert_no_errors(&report);
    assert_eq!(report.number("paths"), zones.len() as f64);
    assert_eq!(report.number("groups"), 2.0);
}
