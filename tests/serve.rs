//! `roe serve`, started as a user starts it (the real binary on a loopback
//! port) and called with a real HTTP client: every endpoint, every error
//! status, decisions equal to `roe run`'s lines, and a clean stop on SIGTERM.

#![cfg(feature = "service")]
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod service;

use std::path::Path;
use std::process::Command;

use service::*;

/// `roe run`'s lines for the records of `file`.
fn run_lines(file: &str) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_roe"))
        .args([
            "run",
            "examples/inbound_routing.roe",
            "--now",
            NOW,
            "--records",
            file,
        ])
        .output()
        .expect("roe run");
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn decisions_are_roe_runs_lines_one_by_one_in_arrays_and_in_ndjson() {
    let dir = folder(
        "decide",
        &["examples/inbound_routing.roe", "examples/lead_hygiene.roe"],
    );
    let service = Service::start(&dir, &[]);
    let (status, list) = get(&service.url("/v1/policies"));
    assert_eq!(status, 200);
    let list: serde_json::Value = serde_json::from_str(&list).expect("JSON");
    let names: Vec<&str> = list["policies"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["inbound_routing", "lead_hygiene"]);
    let version = list["policies"][0]["version"]
        .as_str()
        .expect("a version")
        .to_owned();

    let expected = run_lines("examples/inbound_leads.jsonl");
    let records = std::fs::read_to_string("examples/inbound_leads.jsonl").expect("records");
    let decide = service.url(&format!("/v1/policies/inbound_routing/decide?now={NOW}"));
    // One record: its line, with index 0.
    let first = records.lines().next().expect("a record");
    let (status, named, line) = post(&decide, "application/json", first);
    assert_eq!((status, named.as_deref()), (200, Some(version.as_str())));
    assert_eq!(line, expected[0]);
    // NDJSON: every line, in input order, failed records included.
    let (status, _, lines) = post(&decide, "application/x-ndjson", &records);
    assert_eq!(status, 200);
    assert_eq!(lines.lines().collect::<Vec<_>>(), expected);
    // A JSON array: an array of the same lines.
    let array = format!("[{}]", records.lines().collect::<Vec<_>>().join(","));
    let (status, _, out) = post(&decide, "application/json", &array);
    assert_eq!(status, 200);
    assert_eq!(out, format!("[{}]", expected.join(",")));
    assert!(service.stop().success(), "SIGTERM stops it cleanly");
}

#[test]
fn bad_requests_get_their_status_and_an_error_object() {
    let dir = folder("errors", &["examples/inbound_routing.roe"]);
    let service = Service::start(&dir, &["--max-body", "4096", "--max-batch", "2"]);
    let decide = service.url(&format!("/v1/policies/inbound_routing/decide?now={NOW}"));
    let code = |body: &str| -> String {
        let v: serde_json::Value = serde_json::from_str(body).expect("JSON");
        v["error"]["code"].as_str().unwrap_or("").to_owned()
    };
    let (status, _, body) = post(
        &service.url("/v1/policies/nope/decide"),
        "application/json",
        "{}",
    );
    assert_eq!((status, code(&body).as_str()), (404, "unknown_policy"));
    let (status, _, body) = post(&decide, "application/json", "{\"id\": 1");
    assert_eq!((status, code(&body).as_str()), (400, "R0101"));
    let (status, _, body) = post(&decide, "application/json", "{\"id\": \"L-1\"}");
    assert_eq!((status, code(&body).as_str()), (422, "R0202"));
    let (status, _, body) = post(
        &decide,
        "application/json",
        &format!("\"{}\"", "x".repeat(5000)),
    );
    assert_eq!((status, code(&body).as_str()), (413, "body_too_large"));
    let (status, _, body) = post(&decide, "application/json", "[{}, {}, {}]");
    assert_eq!((status, code(&body).as_str()), (413, "batch_too_large"));
    let (status, _, body) = post(
        &service.url("/v1/policies/inbound_routing/decide?now=yesterday"),
        "application/json",
        "{}",
    );
    assert_eq!((status, code(&body).as_str()), (400, "bad_now"));
    let (status, body) = get(&service.url("/v1/nothing"));
    assert_eq!((status, code(&body).as_str()), (404, "not_found"));
    assert_eq!(get(&service.url("/healthz")).0, 200);
    assert_eq!(get(&service.url("/readyz")).0, 200);
    // A caller's request id is kept, answered and logged.
    let response = agent()
        .get(&service.url("/healthz"))
        .header("x-request-id", "caller-42")
        .call()
        .expect("an answer");
    assert_eq!(
        response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
        Some("caller-42")
    );
    eventually("the request is logged", || {
        service.logged().lines().any(|l| {
            l.contains("\"request_id\":\"caller-42\"") && l.contains("\"path\":\"/healthz\"")
        })
    });
}

/// `roe serve` with `folder`: its exit status and stderr, when it refuses to start.
fn refused(folder: &Path) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_roe"))
        .args(["serve", "--addr", "127.0.0.1:0", "--policies"])
        .arg(folder)
        .output()
        .expect("roe runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_folder_that_cannot_be_served_stops_the_start_with_the_reason() {
    let dir = folder("both", &["examples/inbound_routing.roe"]);
    let built = Command::new(env!("CARGO_BIN_EXE_roe"))
        .args(["build", "examples/inbound_routing.roe", "-o"])
        .arg(dir.join("inbound_routing.roec"))
        .status()
        .expect("roe build");
    assert!(built.success());
    let (code, stderr) = refused(&dir);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("are both in the folder"), "{stderr}");

    let dir = folder("broken", &[]);
    std::fs::write(
        dir.join("broken.roe"),
        "policy broken for lead\nuse crm\nrule r\n  when nope\n  then drop \"x\"\n",
    )
    .expect("written");
    let (code, stderr) = refused(&dir);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("does not compile") && stderr.contains("E1003"),
        "{stderr}"
    );

    let dir = folder("empty", &[]);
    let (code, stderr) = refused(&dir);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("holds no policy to serve"), "{stderr}");
}

/// The version `GET /v1/policies` lists for `name`.
fn version_of(service: &Service, name: &str) -> Option<String> {
    let (_, list) = get(&service.url("/v1/policies"));
    let list: serde_json::Value = serde_json::from_str(&list).ok()?;
    list["policies"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == name)
        .and_then(|p| p["version"].as_str())
        .map(str::to_owned)
}

/// Waits (up to 20 s) until `check` holds.
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !check() {
        assert!(start.elapsed().as_secs() < 20, "never: {what}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// A one-rule policy `p` handing every lead to `team`.
fn to_team(team: &str) -> String {
    format!(
        "policy p for lead\nrecord lead\n  id: string\nteam {team}\n  queue\notherwise\n  hand off to {team}\n"
    )
}

#[test]
fn a_changed_policy_is_served_and_a_broken_one_keeps_the_old_version() {
    let dir = folder("watch", &[]);
    std::fs::write(dir.join("p.roe"), to_team("first")).expect("written");
    let service = Service::start(&dir, &["--watch", "0.1"]);
    let decide = service.url(&format!("/v1/policies/p/decide?now={NOW}"));
    let before = version_of(&service, "p").expect("served");
    std::fs::write(dir.join("p.roe"), to_team("second")).expect("written");
    eventually("the new version is served", || {
        version_of(&service, "p").is_some_and(|v| v != before)
    });
    let (_, version, line) = post(&decide, "application/json", "{\"id\":\"L-1\"}");
    assert!(line.contains("\"team\":\"second\""), "{line}");
    assert_eq!(version, version_of(&service, "p"));
    // A broken policy is reported, and the last good version keeps serving.
    let good = version_of(&service, "p");
    std::fs::write(
        dir.join("p.roe"),
        "policy p for lead\nrecord lead\n  id: strin\n",
    )
    .expect("written");
    eventually("the failed reload is counted", || {
        get(&service.url("/metrics"))
            .1
            .contains("roe_reloads_total{result=\"failed\"}")
    });
    assert_eq!(version_of(&service, "p"), good);
    let (status, _, line) = post(&decide, "application/json", "{\"id\":\"L-1\"}");
    assert_eq!(status, 200);
    assert!(line.contains("\"team\":\"second\""), "{line}");
}

#[test]
fn sighup_reloads_and_admin_calls_need_the_token() {
    let dir = folder("admin", &[]);
    std::fs::write(dir.join("p.roe"), to_team("first")).expect("written");
    let service = Service::with_admin(&dir, "s3cret\n", &["--watch", "0"]);
    let reload = service.url("/v1/admin/reload");
    let before = version_of(&service, "p").expect("served");
    std::fs::write(dir.join("p.roe"), to_team("second")).expect("written");
    let _ = Command::new("kill")
        .args(["-HUP", &service.child.id().to_string()])
        .status();
    eventually("SIGHUP reloads", || {
        version_of(&service, "p").is_some_and(|v| v != before)
    });
    assert_eq!(post_as(&reload, "wrong", "").0, 401);
    std::fs::write(dir.join("p.roe"), to_team("third")).expect("written");
    let (status, report) = post_as(&reload, "s3cret", "");
    assert_eq!(status, 200, "{report}");
    assert!(report.contains("\"problems\":[]"), "{report}");
    std::fs::write(dir.join("q.roe"), "policy q for lead\nrule r\n").expect("written");
    let (status, report) = post_as(&reload, "s3cret", "");
    assert_eq!(status, 422, "{report}");
    assert!(report.contains("q.roe"), "{report}");
    // The service without an admin token has admin calls off.
    let plain = Service::start(&folder("no-admin", &["examples/inbound_routing.roe"]), &[]);
    let (status, body) = post_as(&plain.url("/v1/admin/reload"), "anything", "");
    assert_eq!(status, 403, "{body}");
}

#[test]
fn decide_calls_can_require_a_token_and_are_counted() {
    let dir = folder("token", &["examples/inbound_routing.roe"]);
    std::fs::write(dir.join("decide.token"), "d3cide").expect("written");
    let service = Service::start(
        &dir,
        &[
            "--decide-token-file",
            &dir.join("decide.token").display().to_string(),
        ],
    );
    let decide = service.url(&format!("/v1/policies/inbound_routing/decide?now={NOW}"));
    let record = std::fs::read_to_string("examples/hot_lead.json").expect("a record");
    let (status, _, _) = post(&decide, "application/json", &record);
    assert_eq!(status, 401);
    let (status, line) = post_as(&decide, "d3cide", &record);
    assert_eq!(status, 200, "{line}");
    let (status, _) = post_as(&decide, "d3cide", "{\"id\":\"x\"}");
    assert_eq!(status, 422);
    let metrics = get(&service.url("/metrics")).1;
    for expected in [
        "roe_requests_total{policy=\"inbound_routing\",status=\"200\"} 1",
        "roe_requests_total{policy=\"inbound_routing\",status=\"422\"} 1",
        "roe_decisions_total{policy=\"inbound_routing\",rule=\"enterprise_hot_emea\"} 1",
        "roe_record_errors_total{policy=\"inbound_routing\",code=\"R0202\"} 1",
        "roe_policies 1",
    ] {
        assert!(metrics.contains(expected), "{expected} not in\n{metrics}");
    }
}

#[test]
fn a_policy_replaced_100_times_under_load_fails_no_request() {
    let dir = folder("load", &[]);
    std::fs::write(dir.join("p.roe"), to_team("first")).expect("written");
    let service = Service::with_admin(&dir, "t", &["--watch", "0"]);
    let first = version_of(&service, "p").expect("served");
    std::fs::write(dir.join("p.roe"), to_team("second")).expect("written");
    assert_eq!(post_as(&service.url("/v1/admin/reload"), "t", "").0, 200);
    let second = version_of(&service, "p").expect("served");
    let decide = service.url(&format!("/v1/policies/p/decide?now={NOW}"));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let clients: Vec<_> = (0..3)
        .map(|_| {
            let (decide, stop) = (decide.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let (status, version, line) =
                        post(&decide, "application/json", "{\"id\":\"L\"}");
                    seen.push((status, version, line));
                }
                seen
            })
        })
        .collect();
    for i in 0..100 {
        let team = if i % 2 == 0 { "first" } else { "second" };
        std::fs::write(dir.join("p.roe"), to_team(team)).expect("written");
        assert_eq!(post_as(&service.url("/v1/admin/reload"), "t", "").0, 200);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut answered = 0;
    for client in clients {
        for (status, version, line) in client.join().expect("a client") {
            answered += 1;
            assert_eq!(status, 200, "{line}");
            let version = version.expect("a version header");
            // The version named is the one that decided.
            let team = if version == first { "first" } else { "second" };
            assert!(version == first || version == second, "{version}");
            assert!(
                line.contains(&format!("\"team\":\"{team}\"")),
                "{version}: {line}"
            );
        }
    }
    assert!(answered > 0);
}

#[test]
fn a_candidate_is_decided_beside_the_live_policy_and_its_differences_counted() {
    let dir = folder("shadow", &[]);
    std::fs::write(dir.join("p.roe"), to_team("first")).expect("written");
    let candidate = "policy p for lead\nrecord lead\n  id: string\nteam first\n  queue\nteam second\n  queue\nrule b\n  when id = \"B\"\n  then hand off to second\notherwise\n  hand off to first\n";
    std::fs::write(dir.join("p.candidate.roe"), candidate).expect("written");
    let service = Service::start(&dir, &[]);
    let (_, list) = get(&service.url("/v1/policies"));
    let list: serde_json::Value = serde_json::from_str(&list).expect("JSON");
    assert_eq!(list["policies"].as_array().map(Vec::len), Some(1), "{list}");
    let candidate_version = list["policies"][0]["candidate"]
        .as_str()
        .expect("a candidate");
    let decide = service.url(&format!("/v1/policies/p/decide?now={NOW}"));
    let mut response = agent()
        .post(&decide)
        .header("content-type", "application/x-ndjson")
        .send("{\"id\":\"A\"}\n{\"id\":\"B\"}\n")
        .expect("an answer");
    assert_eq!(
        response
            .headers()
            .get("roe-candidate-version")
            .and_then(|v| v.to_str().ok()),
        Some(candidate_version)
    );
    let request_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("a request id")
        .to_owned();
    let lines = response.body_mut().read_to_string().expect("a body");
    // The answer is the live policy's.
    assert_eq!(lines.matches("\"team\":\"first\"").count(), 2, "{lines}");
    // The difference is logged, as JSON, with the request's id.
    let logged = service.logged();
    let difference = logged
        .lines()
        .find(|l| l.contains("the candidate decides differently"))
        .unwrap_or_else(|| panic!("no difference logged in\n{logged}"));
    let difference: serde_json::Value = serde_json::from_str(difference).expect("a JSON line");
    assert_eq!(difference["fields"]["request_id"], request_id.as_str());
    assert!(
        difference["fields"]["candidate_line"]
            .as_str()
            .is_some_and(|l| l.contains("\"team\":\"second\"")),
        "{difference}"
    );
    let metrics = get(&service.url("/metrics")).1;
    for expected in [
        "roe_shadow_records_total{policy=\"p\",result=\"same\"} 1",
        "roe_shadow_records_total{policy=\"p\",result=\"different\"} 1",
    ] {
        assert!(metrics.contains(expected), "{expected} not in\n{metrics}");
    }
    // A candidate with nothing to shadow stops the start.
    let orphan = folder("orphan", &[]);
    std::fs::write(orphan.join("q.candidate.roe"), to_team("first")).expect("written");
    let (code, stderr) = refused(&orphan);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("is a candidate for `q`"), "{stderr}");
}

/// Whether `value` fits `schema`, a subset of OpenAPI 3.0 schemas (type,
/// nullable, properties, required, items, oneOf, anyOf, $ref into `document`):
/// the reasons it does not.
fn misfits(
    document: &serde_json::Value,
    schema: &serde_json::Value,
    value: &serde_json::Value,
    at: &str,
) -> Vec<String> {
    use serde_json::Value;
    if let Some(reference) = schema["$ref"].as_str() {
        let path = reference.trim_start_matches("#/").split('/');
        let target = path.fold(document, |v, part| &v[part]);
        return misfits(document, target, value, at);
    }
    if let Some(choices) = schema["anyOf"].as_array() {
        let fits = choices
            .iter()
            .any(|c| misfits(document, c, value, at).is_empty());
        return if fits {
            vec![]
        } else {
            vec![format!("{at}: fits none of anyOf")]
        };
    }
    if let Some(choices) = schema["oneOf"].as_array() {
        let fitting = choices
            .iter()
            .filter(|c| misfits(document, c, value, at).is_empty())
            .count();
        return match fitting {
            1 => vec![],
            n => vec![format!("{at}: fits {n} of oneOf, not one")],
        };
    }
    if value.is_null() && schema["nullable"] == true {
        return vec![];
    }
    let fits_type = match schema["type"].as_str() {
        None => true,
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        Some(other) => panic!("the test does not know type {other}"),
    };
    if !fits_type {
        return vec![format!("{at}: {value} is not {}", schema["type"])];
    }
    let mut out = Vec::new();
    if let Value::Object(fields) = value {
        for required in schema["required"].as_array().into_iter().flatten() {
            let name = required.as_str().unwrap_or_default();
            if !fields.contains_key(name) {
                out.push(format!("{at}: `{name}` is missing"));
            }
        }
        if let Some(properties) = schema["properties"].as_object() {
            for (name, field) in fields {
                if let Some(property) = properties.get(name) {
                    out.extend(misfits(document, property, field, &format!("{at}.{name}")));
                }
            }
        }
    }
    if let (Value::Array(items), Some(item)) = (value, schema.get("items")) {
        for (i, each) in items.iter().enumerate() {
            out.extend(misfits(document, item, each, &format!("{at}[{i}]")));
        }
    }
    out
}

#[test]
fn the_openapi_document_describes_every_real_response() {
    let dir = folder("openapi", &["examples/inbound_routing.roe"]);
    let service = Service::with_admin(&dir, "a", &["--assign", "--max-body", "4096"]);
    let (status, text) = get(&service.url("/openapi.json"));
    assert_eq!(status, 200);
    let document: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(document["openapi"], "3.0.3");
    let hot = std::fs::read_to_string("examples/hot_lead.json").expect("a record");
    let decide = "/v1/policies/inbound_routing/decide";
    // (path in the document, method, URL, bearer token, content type, body, status)
    let calls: Vec<(&str, &str, String, &str, &str, String, u16)> = vec![
        (
            "/healthz",
            "get",
            "/healthz".into(),
            "",
            "",
            String::new(),
            200,
        ),
        (
            "/readyz",
            "get",
            "/readyz".into(),
            "",
            "",
            String::new(),
            200,
        ),
        (
            "/metrics",
            "get",
            "/metrics".into(),
            "",
            "",
            String::new(),
            200,
        ),
        (
            "/openapi.json",
            "get",
            "/openapi.json".into(),
            "",
            "",
            String::new(),
            200,
        ),
        (
            "/v1/policies",
            "get",
            "/v1/policies".into(),
            "",
            "",
            String::new(),
            200,
        ),
        (
            "/v1/policies/{name}/decide",
            "post",
            format!("{decide}?now={NOW}"),
            "",
            "application/json",
            hot.clone(),
            200,
        ),
        (
            "/v1/policies/{name}/decide",
            "post",
            format!("{decide}?now={NOW}"),
            "",
            "application/json",
            format!("[{hot}]"),
            200,
        ),
        (
            "/v1/policies/{name}/decide",
            "post",
            decide.into(),
            "",
            "application/x-ndjson",
            hot.replace('\n', " ") + "\n",
            200,
        ),
        (
            "/v1/policies/{name}/decide",
            "post",
            decide.into(),
            "",
            "application/json",
            "{".into(),
            400,
        ),
        (
            "/v1/policies/{name}/decide",
            "post",
            format!("{decide}?now=noon"),
            "",
            "application/json",
            "{}".into(),
            400,
        ),
        (
            "/v1/policies/{name}/decide",
            "post",
            "/v1/policies/nope/decide".into(),
            "",
            "application/json",
            "{}".into(),
            404,
        ),
        (
            "/v1/policies/{name}/decide",
            "post",
            decide.into(),
            "",
            "application/json",
            format!("[{}]", "1,".repeat(3000) + "1"),
            413,
        ),
        (
            "/v1/policies/{name}/decide",
            "post",
            decide.into(),
            "",
            "application/json",
            "{\"id\":\"x\"}".into(),
            422,
        ),
        (
            "/v1/admin/roster",
            "put",
            "/v1/admin/roster".into(),
            "a",
            "application/json",
            "[{\"member\":\"ana@x\",\"user_id\":\"005A\"}]".into(),
            200,
        ),
        (
            "/v1/admin/roster",
            "put",
            "/v1/admin/roster".into(),
            "a",
            "application/json",
            "{}".into(),
            422,
        ),
        (
            "/v1/admin/roster",
            "put",
            "/v1/admin/roster".into(),
            "b",
            "application/json",
            "[]".into(),
            401,
        ),
        (
            "/v1/admin/roster",
            "get",
            "/v1/admin/roster".into(),
            "a",
            "",
            String::new(),
            200,
        ),
        (
            "/v1/admin/roster",
            "get",
            "/v1/admin/roster".into(),
            "b",
            "",
            String::new(),
            401,
        ),
        (
            "/v1/admin/reload",
            "post",
            "/v1/admin/reload".into(),
            "a",
            "",
            String::new(),
            200,
        ),
        (
            "/v1/admin/reload",
            "post",
            "/v1/admin/reload".into(),
            "wrong",
            "",
            String::new(),
            401,
        ),
    ];
    let mut exercised = std::collections::BTreeSet::new();
    for (path, method, url, token, content_type, body, expected) in &calls {
        let url = service.url(url);
        let mut response = if *method == "get" {
            let mut request = agent().get(&url);
            if !token.is_empty() {
                request = request.header("authorization", &format!("Bearer {token}"));
            }
            request.call().expect("an answer")
        } else {
            let mut request = match *method {
                "put" => agent().put(&url),
                _ => agent().post(&url),
            };
            if !token.is_empty() {
                request = request.header("authorization", &format!("Bearer {token}"));
            }
            if !content_type.is_empty() {
                request = request.header("content-type", *content_type);
            }
            request.send(body.as_str()).expect("an answer")
        };
        let status = response.status().as_u16();
        assert_eq!(status, *expected, "{method} {url}");
        let operation = &document["paths"][*path][*method];
        assert!(
            operation.is_object(),
            "{method} {path} is not in the document"
        );
        let declared = &operation["responses"][status.to_string()];
        assert!(
            declared.is_object(),
            "{method} {path} answers {status}, which the document does not declare"
        );
        exercised.insert((*path, *method, status));
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let text = response.body_mut().read_to_string().expect("a body");
        let media = content_type.split(';').next().unwrap_or("").trim();
        let schema = &declared["content"][media]["schema"];
        assert!(
            schema.is_object(),
            "{method} {path} {status}: {media} is not declared"
        );
        if media == "application/json" {
            let value: serde_json::Value = serde_json::from_str(&text).expect("a JSON body");
            let wrong = misfits(&document, schema, &value, "body");
            assert!(
                wrong.is_empty(),
                "{method} {path} {status}: {wrong:?}\n{text}"
            );
        }
    }
    // Every operation and status the document declares was seen.
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("operations") {
            for status in operation["responses"]
                .as_object()
                .expect("responses")
                .keys()
            {
                let status: u16 = status.parse().expect("a status");
                let seen = exercised.contains(&(path.as_str(), method.as_str(), status));
                // Statuses that need another start of the service are tested above.
                let elsewhere = matches!(
                    (path.as_str(), status),
                    ("/v1/policies/{name}/decide", 401 | 408 | 503)
                        | ("/v1/admin/reload", 403 | 422)
                        | ("/v1/admin/roster", 403 | 404)
                );
                assert!(
                    seen || elsewhere,
                    "{method} {path} {status} is declared but never checked"
                );
            }
        }
    }
}

/// NDJSON of inbound leads from `country`, with these ids.
fn leads(ids: &[&str], country: &str) -> String {
    ids.iter()
        .map(|id| {
            format!(
                "{{\"id\":\"{id}\",\"email\":\"x@y.example\",\"country\":\"{country}\",\"segment\":\"smb\",\"source\":\"web\",\"status\":\"mql\",\"score\":50,\"created_at\":\"2026-11-30T08:00:00Z\",\"do_not_route\":false}}\n"
            )
        })
        .collect()
}

/// The assignee of each line of an NDJSON answer.
fn assignees(lines: &str) -> Vec<String> {
    lines
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            v["actions"][0]["assignee"]
                .as_str()
                .unwrap_or("-")
                .to_owned()
        })
        .collect()
}

#[test]
fn the_service_assigns_people_with_the_roster_it_keeps() {
    let dir = folder("assign", &["tests/assign/teams.roe"]);
    std::fs::write(dir.join("admin.token"), "a").expect("written");
    let state = dir.with_extension("db");
    let _ = std::fs::remove_file(&state);
    let start = || {
        Service::start(
            &dir,
            &[
                "--state",
                &state.display().to_string(),
                "--admin-token-file",
                &dir.join("admin.token").display().to_string(),
            ],
        )
    };
    let service = start();
    let decide = service.url(&format!("/v1/policies/teams/decide?now={NOW}"));
    let (status, _, lines) = post(
        &decide,
        "application/x-ndjson",
        &leads(&["1", "2", "3"], "FR"),
    );
    assert_eq!(status, 200, "{lines}");
    assert_eq!(
        assignees(&lines),
        ["ana@acme.example", "ben@acme.example", "chen@acme.example"]
    );
    // Ben is away from now on: the roster, kept over the API (CSV here).
    let roster = service.url("/v1/admin/roster");
    let (status, body) = put_roster(
        &roster,
        "a",
        "text/csv",
        "member,user_id,away_from,away_until\nben@acme.example,005B,2026-11-30T00:00:00Z,2026-12-01T00:00:00Z\n",
    );
    assert_eq!((status, body.as_str()), (200, "{\"people\":1}"));
    let (status, body) = put_roster(&roster, "a", "application/json", "[{\"name\":1}]");
    assert_eq!(status, 422, "{body}");
    let (_, lines) = {
        let (s, _, l) = post(&decide, "application/x-ndjson", &leads(&["4", "5"], "FR"));
        (s, l)
    };
    assert_eq!(assignees(&lines), ["ana@acme.example", "chen@acme.example"]);
    let mut kept = agent()
        .get(&roster)
        .header("authorization", "Bearer a")
        .call()
        .expect("an answer");
    let kept = kept.body_mut().read_to_string().expect("a body");
    assert!(kept.contains("005B"), "{kept}");
    assert!(service.stop().success());
    // Restarted on the same state: a lead assigned before keeps its person,
    // and the turn goes on where it was.
    let again = start();
    let decide = again.url(&format!("/v1/policies/teams/decide?now={NOW}"));
    let (_, _, lines) = post(&decide, "application/x-ndjson", &leads(&["2", "6"], "FR"));
    assert_eq!(assignees(&lines), ["ben@acme.example", "ana@acme.example"]);
    // A service that does not assign has no roster.
    let plain = Service::start(
        &folder("no-assign", &["tests/assign/teams.roe"]),
        &[
            "--admin-token-file",
            &dir.join("admin.token").display().to_string(),
        ],
    );
    let (status, body) = put_roster(
        &plain.url("/v1/admin/roster"),
        "a",
        "application/json",
        "[]",
    );
    assert_eq!(status, 404, "{body}");
}

/// A Kubernetes ConfigMap volume: the policy is a symbolic link into
/// `..data`, itself a link to a timestamped folder that an update replaces
/// by swapping the link. The service sees the swap and serves the new file.
#[cfg(unix)]
#[test]
fn a_configmap_style_symlink_swap_is_reloaded() {
    use std::os::unix::fs::symlink;
    let dir = folder("configmap", &[]);
    for (version, team) in [("..v1", "first"), ("..v2", "second")] {
        std::fs::create_dir_all(dir.join(version)).expect("a folder");
        std::fs::write(dir.join(version).join("p.roe"), to_team(team)).expect("written");
    }
    symlink("..v1", dir.join("..data")).expect("a link");
    symlink("..data/p.roe", dir.join("p.roe")).expect("a link");
    let service = Service::start(&dir, &["--watch", "0.1"]);
    let decide = service.url(&format!("/v1/policies/p/decide?now={NOW}"));
    let (_, _, line) = post(&decide, "application/json", "{\"id\":\"L\"}");
    assert!(line.contains("\"team\":\"first\""), "{line}");
    // The swap, as the kubelet does it: a new link renamed over the old.
    symlink("..v2", dir.join("..data_tmp")).expect("a link");
    std::fs::rename(dir.join("..data_tmp"), dir.join("..data")).expect("renamed");
    eventually("the swapped policy is served", || {
        post(&decide, "application/json", "{\"id\":\"L\"}")
            .2
            .contains("\"team\":\"second\"")
    });
}

#[test]
fn a_large_ndjson_stream_gets_a_line_per_record_in_order() {
    let dir = folder("stream", &["examples/inbound_routing.roe"]);
    // 20,000 leads: the example's, with distinct ids, sent as a stream.
    let example: Vec<serde_json::Value> = std::fs::read_to_string("examples/inbound_leads.jsonl")
        .expect("records")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a lead"))
        .collect();
    let mut text = String::new();
    for n in 0..20_000 {
        let mut lead = example[n % example.len()].clone();
        lead["id"] = format!("S-{n}").into();
        text.push_str(&lead.to_string());
        text.push('\n');
    }
    let file = dir.with_extension("jsonl");
    std::fs::write(&file, &text).expect("written");
    let expected: Vec<String> = {
        let out = Command::new(env!("CARGO_BIN_EXE_roe"))
            .args([
                "run",
                "examples/inbound_routing.roe",
                "--now",
                NOW,
                "--records",
            ])
            .arg(&file)
            .output()
            .expect("roe run");
        String::from_utf8(out.stdout)
            .expect("UTF-8")
            .lines()
            .map(str::to_owned)
            .collect()
    };
    // A body far over --max-body: a stream has no size limit.
    let service = Service::start(&dir, &["--max-body", "65536"]);
    let mut response = agent()
        .post(&service.url(&format!("/v1/policies/inbound_routing/decide?now={NOW}")))
        .header("content-type", "application/x-ndjson")
        .send(ureq::SendBody::from_reader(&mut std::io::Cursor::new(
            text.as_bytes(),
        )))
        .expect("an answer");
    assert_eq!(response.status().as_u16(), 200);
    let lines = response
        .body_mut()
        .with_config()
        .limit(u64::MAX)
        .read_to_string()
        .expect("a body");
    let lines: Vec<&str> = lines.lines().collect();
    assert_eq!(lines.len(), 20_000);
    assert!(
        lines.iter().zip(&expected).all(|(a, b)| a == b),
        "the lines differ from roe run's"
    );
}

/// What the service at `address` answers to `request` (raw HTTP) when
/// the caller then sends nothing more.
fn stalled(address: &str, request: &str) -> String {
    use std::io::{Read, Write};
    let mut socket = std::net::TcpStream::connect(address).expect("a connection");
    socket.write_all(request.as_bytes()).expect("sent");
    socket
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("a timeout");
    let mut answer = Vec::new();
    let _ = socket.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn a_stream_that_stalls_is_ended_with_an_error_line() {
    let dir = folder("stall", &["examples/inbound_routing.roe"]);
    let service = Service::start(&dir, &["--idle-timeout", "0.3"]);
    let address = service.base.trim_start_matches("http://").to_owned();
    let lead = std::fs::read_to_string("examples/hot_lead.json")
        .expect("a lead")
        .replace('\n', " ")
        + "\n";
    let head = format!(
        "POST /v1/policies/inbound_routing/decide?now={NOW} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{lead}\r\n",
        lead.len()
    );
    // Then nothing: the service ends the stream after 0.3 s.
    let answer = stalled(&address, &head);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains("\"rule\":\"enterprise_hot_emea\""),
        "{answer}"
    );
    assert!(answer.contains("\"code\":\"idle_timeout\""), "{answer}");
    // A JSON body that stalls is given up too: 408.
    let head = format!(
        "POST /v1/policies/inbound_routing/decide HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n{{\"id\":"
    );
    let answer = stalled(&address, &head);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
}
