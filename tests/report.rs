//! `roe diff --format html` in a real headless browser (Debian's
//! `chromium`, driven from its command line): the page loads without a
//! console error, the numbers in its DOM are the JSON summary's, and its
//! screenshot is not blank. Without a browser the test says so in one line
//! and passes, unless ROE_REQUIRE_CHROMIUM=1 (as `.ci/run` sets it, after
//! installing one).

#![cfg(feature = "compiler")]
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The browser to drive, or `None` (after saying so) when there is none.
fn chromium() -> Option<&'static str> {
    for name in ["chromium", "chromium-browser"] {
        let found = Command::new(name)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if found {
            return Some(name);
        }
    }
    if std::env::var("ROE_REQUIRE_CHROMIUM").as_deref() == Ok("1") {
        panic!("ROE_REQUIRE_CHROMIUM=1 but no chromium is installed");
    }
    let _ = writeln!(
        std::io::stderr(),
        "tests/report.rs: skipped: no chromium (apt-get install chromium; .ci/run installs it)"
    );
    None
}

/// Runs roe with `args`, expecting exit 0: its stdout.
fn roe(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_roe"))
        .args(args)
        .output()
        .expect("roe runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// Runs the headless browser on `page` with `args`: (stdout, stderr).
fn browse(browser: &str, page: &Path, args: &[&str]) -> (String, String) {
    let profile = page.with_extension("profile");
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("the browser runs");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The value of `data-value` of the element with `id` in `dom`.
fn value(dom: &str, id: &str) -> u64 {
    let at = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    let rest = &dom[at..];
    let start = rest.find("data-value=\"").expect("a data-value") + "data-value=\"".len();
    rest[start..]
        .split('"')
        .next()
        .and_then(|v| v.parse().ok())
        .expect("a number")
}

#[test]
fn the_html_report_shows_the_summary_in_a_real_browser() {
    let Some(browser) = chromium() else { return };
    let dir = std::env::temp_dir().join(format!("roe-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let example = std::fs::read_to_string("examples/inbound_routing.roe").unwrap();
    let new: PathBuf = dir.join("new.roe");
    std::fs::write(
        &new,
        example
            .replace(
                "then hand off to sales_emea within 1d",
                "then hand off to sales_na within 4h",
            )
            .replace("rule competitor_lead", "rule competitor"),
    )
    .unwrap();
    let new = new.display().to_string();
    let common = [
        "diff",
        "examples/inbound_routing.roe",
        new.as_str(),
        "--records",
        "examples/inbound_leads.jsonl",
        "--now",
        "2026-11-30T10:00:00Z",
        "--format",
    ];
    let html = roe(&[&common[..], &["html"]].concat());
    let json = roe(&[&common[..], &["json"]].concat());
    let summary: serde_json::Value =
        serde_json::from_str(json.lines().last().expect("a summary")).expect("JSON");
    let summary = &summary["summary"];
    let page = dir.join("diff.html");
    std::fs::write(&page, &html).unwrap();

    // The DOM after the page's script ran.
    let (dom, log) = browse(browser, &page, &["--dump-dom"]);
    assert!(!log.contains("Uncaught"), "a script error:\n{log}");
    assert!(!log.contains(":CONSOLE("), "a console message:\n{log}");
    assert_eq!(value(&dom, "changed"), summary["changed"].as_u64().unwrap());
    assert_eq!(value(&dom, "records"), summary["records"].as_u64().unwrap());
    assert_eq!(
        value(&dom, "slo-tightened"),
        summary["slo_tightened"].as_u64().unwrap()
    );
    // Each move of the summary is a cell of the heatmap with its count.
    for m in summary["moves"].as_array().unwrap() {
        let cell = format!(
            "data-from=\"{}\" data-to=\"{}\" data-records=\"{}\"",
            m["from"].as_str().unwrap(),
            m["to"].as_str().unwrap(),
            m["records"]
        );
        assert!(dom.contains(&cell), "no cell {cell}");
    }
    // The changed rule's text, before and after.
    assert!(
        dom.contains("data-rule=\"emea_sales_ready\""),
        "no side by side"
    );
    assert!(dom.contains("then hand off to sales_na within 4h"));
    // The rename is shown, and each changed record is a row.
    assert!(dom.contains("<code>competitor_lead</code> is now <code>competitor</code>"));
    assert_eq!(
        dom.matches("<tr><td class=\"n\">").count() as u64,
        summary["changed"].as_u64().unwrap()
    );

    // A screenshot that is not blank: a page of one colour compresses to
    // a few kilobytes.
    let shot = dir.join("diff.png");
    let _ = browse(
        browser,
        &page,
        &[
            "--window-size=1200,1600",
            &format!("--screenshot={}", shot.display()),
        ],
    );
    let bytes = std::fs::read(&shot).expect("a screenshot");
    assert!(bytes.starts_with(b"\x89PNG"), "not a PNG");
    assert!(
        bytes.len() > 30_000,
        "a blank-looking screenshot: {} bytes",
        bytes.len()
    );
}
