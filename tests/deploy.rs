//! The deployment files an SRE runs replicas of `roe serve` with: every
//! Kubernetes manifest of `deploy/` parses and names its apiVersion, kind and
//! name; the Deployment's arguments use only the flags the real `roe serve
//! --help` lists, each with a value when it takes one, and start the real
//! service on the ConfigMap's policies, whose probe paths then answer 200; its
//! port is the Service's target; and the Dockerfile's final stage runs `roe
//! serve` as a non-root user. A manifest that passes a flag roe does not have
//! fails here.

#![cfg(feature = "service")]
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod service;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use yaml_rust2::{Yaml, YamlLoader};

/// Every manifest document of `deploy/`: (file, document), files in name order.
fn documents() -> Vec<(PathBuf, Yaml)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir("deploy")
        .expect("the deploy/ folder")
        .map(|e| e.expect("a folder entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "deploy/ holds no .yaml manifest");
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("a manifest");
        let docs = YamlLoader::load_from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not YAML: {e}", file.display()));
        assert!(!docs.is_empty(), "{}: no document", file.display());
        // An empty document (a trailing `---`) is skipped, as kubectl skips it.
        out.extend(
            docs.into_iter()
                .filter(|d| !matches!(d, Yaml::Null))
                .map(|d| (file.clone(), d)),
        );
    }
    out
}

/// The one document of `kind`.
fn only(kind: &str) -> (PathBuf, Yaml) {
    let mut found: Vec<_> = documents()
        .into_iter()
        .filter(|(_, d)| d["kind"].as_str() == Some(kind))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "deploy/ should hold one {kind}, not {}",
        found.len()
    );
    found.remove(0)
}

/// `node` as a list (a missing one is empty).
fn list(node: &Yaml) -> &[Yaml] {
    node.as_vec().map_or(&[], Vec::as_slice)
}

/// `node`, which must be a string, at `what`.
fn text<'y>(node: &'y Yaml, what: &str) -> &'y str {
    node.as_str()
        .unwrap_or_else(|| panic!("{what} should be a string, not {node:?}"))
}

/// The flags `roe serve --help` lists, each with whether it takes a value
/// (`--addr <HOST:PORT>`), read from the real binary's option lines.
fn serve_flags() -> BTreeMap<String, bool> {
    let out = Command::new(env!("CARGO_BIN_EXE_roe"))
        .args(["serve", "--help"])
        .output()
        .expect("roe runs");
    assert!(out.status.success(), "roe serve --help failed");
    let help = String::from_utf8(out.stdout).expect("UTF-8 help");
    let mut flags = BTreeMap::new();
    for line in help.lines() {
        let line = line.trim_start();
        // `-h, --help`: the long form follows the short one.
        let line = match line.split_once(", ") {
            Some((short, rest)) if short.len() == 2 && short.starts_with('-') => rest,
            _ => line,
        };
        let Some(rest) = line.strip_prefix("--") else {
            continue;
        };
        let mut words = rest.split_whitespace();
        let name = words.next().expect("a flag's name");
        let takes_value = words.next().is_some_and(|w| w.starts_with('<'));
        flags.insert(format!("--{name}"), takes_value);
    }
    for expected in ["--policies", "--addr", "--help"] {
        assert!(
            flags.contains_key(expected),
            "reading `roe serve --help` found no {expected}: {flags:?}"
        );
    }
    flags
}

/// Checks that `args` are flags of `roe serve` (`flags`), each flag that takes
/// a value followed by one (or given one with `=`) and nothing else: the
/// flag-value pairs, in order, or what is wrong.
fn serve_args(
    args: &[String],
    flags: &BTreeMap<String, bool>,
) -> Result<Vec<(String, Option<String>)>, String> {
    let mut pairs = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if !arg.starts_with("--") {
            return Err(format!(
                "`{arg}` is not a flag: `roe serve` takes no other arguments"
            ));
        }
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) => (name, Some(value.to_owned())),
            None => (arg.as_str(), None),
        };
        let Some(&takes_value) = flags.get(name) else {
            return Err(format!(
                "`{name}` is not a flag of `roe serve` (its --help lists {:?})",
                flags.keys().collect::<Vec<_>>()
            ));
        };
        let value = match (takes_value, inline) {
            (true, Some(value)) => Some(value),
            (true, None) => match args.next() {
                Some(value) if !value.starts_with("--") => Some(value.clone()),
                _ => return Err(format!("`{name}` needs a value")),
            },
            (false, Some(_)) => return Err(format!("`{name}` takes no value")),
            (false, None) => None,
        };
        pairs.push((name.to_owned(), value));
    }
    Ok(pairs)
}

/// The strings of a YAML list.
fn strings(node: &Yaml, what: &str) -> Vec<String> {
    list(node)
        .iter()
        .map(|a| match a {
            Yaml::String(s) => s.clone(),
            Yaml::Integer(i) => i.to_string(),
            other => panic!("{what}: {other:?} should be a string"),
        })
        .collect()
}

/// The Deployment's one container.
fn container(deployment: &Yaml) -> &Yaml {
    let containers = list(&deployment["spec"]["template"]["spec"]["containers"]);
    assert_eq!(
        containers.len(),
        1,
        "the Deployment should run one container, roe"
    );
    &containers[0]
}

/// The Dockerfile's final stage: its instructions (continuation lines joined,
/// comments left out) as (INSTRUCTION, arguments).
fn final_stage() -> Vec<(String, String)> {
    let text = std::fs::read_to_string("Dockerfile").expect("a Dockerfile");
    let mut instructions = Vec::new();
    let mut pending = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && pending.is_empty()) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(part) => {
                pending.push_str(part);
                pending.push(' ');
            }
            None => {
                pending.push_str(trimmed);
                let (word, rest) = pending
                    .split_once(char::is_whitespace)
                    .unwrap_or((&pending, ""));
                instructions.push((word.to_uppercase(), rest.trim().to_owned()));
                pending.clear();
            }
        }
    }
    let last = instructions
        .iter()
        .rposition(|(word, _)| word == "FROM")
        .expect("the Dockerfile has a FROM");
    assert!(
        instructions[..last].iter().any(|(word, _)| word == "FROM"),
        "the Dockerfile should be multi-stage: a build stage, then the final one"
    );
    instructions.split_off(last)
}

/// The exec-form (JSON array) arguments of the final stage's `word`.
fn exec_form(stage: &[(String, String)], word: &str) -> Vec<String> {
    let (_, args) = stage
        .iter()
        .rev()
        .find(|(w, _)| w == word)
        .unwrap_or_else(|| panic!("the Dockerfile's final stage has no {word}"));
    serde_json::from_str(args).unwrap_or_else(|e| {
        panic!("the final stage's {word} should be a JSON array (exec form), not {args}: {e}")
    })
}

#[test]
fn every_manifest_names_its_api_kind_and_name() {
    let docs = documents();
    for (file, doc) in &docs {
        let at = file.display();
        assert!(
            doc.as_hash().is_some(),
            "{at}: a document should be a mapping"
        );
        for key in ["apiVersion", "kind"] {
            assert!(
                doc[key].as_str().is_some_and(|s| !s.is_empty()),
                "{at}: a document has no {key}"
            );
        }
        assert!(
            doc["metadata"]["name"]
                .as_str()
                .is_some_and(|s| !s.is_empty()),
            "{at}: the {} has no metadata.name",
            text(&doc["kind"], "kind")
        );
    }
    let kinds: Vec<&str> = docs
        .iter()
        .filter_map(|(_, d)| d["kind"].as_str())
        .collect();
    for kind in [
        "Deployment",
        "Service",
        "ConfigMap",
        "HorizontalPodAutoscaler",
    ] {
        assert!(kinds.contains(&kind), "deploy/ has no {kind}: {kinds:?}");
    }
}

#[test]
fn a_flag_roe_serve_lacks_is_refused() {
    let flags = serve_flags();
    let args = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert!(serve_args(&args(&["--policies", "/p", "--addr=0.0.0.0:8080"]), &flags).is_ok());
    let refused = [
        args(&["--policies", "/p", "--no-such-flag"]),
        args(&["--policies"]),
        args(&["--policies", "/p", "--assign=yes"]),
        args(&["serve", "--policies", "/p"]),
    ];
    for wrong in refused {
        assert!(
            serve_args(&wrong, &flags).is_err(),
            "{wrong:?} should be refused"
        );
    }
}

#[test]
fn the_deployment_uses_only_flags_roe_serve_has() {
    let flags = serve_flags();
    let (file, deployment) = only("Deployment");
    let container = container(&deployment);
    assert!(
        container["command"].is_badvalue(),
        "{}: the container should keep the image's ENTRYPOINT (`roe serve`) and give only args",
        file.display()
    );
    let args = strings(&container["args"], "the container's args");
    let pairs = serve_args(&args, &flags)
        .unwrap_or_else(|e| panic!("{}: the container's args {args:?}: {e}", file.display()));
    let given = |flag: &str| {
        pairs
            .iter()
            .find(|(f, _)| f == flag)
            .and_then(|(_, v)| v.clone())
    };
    assert_eq!(given("--policies").as_deref(), Some("/policies"));
    assert_eq!(given("--addr").as_deref(), Some("0.0.0.0:8080"));
    // Every $(VAR) of the args is an env entry of the container.
    let env: Vec<&str> = list(&container["env"])
        .iter()
        .map(|e| text(&e["name"], "an env entry's name"))
        .collect();
    for arg in &args {
        if let Some(var) = arg.strip_prefix("$(").and_then(|a| a.strip_suffix(')')) {
            assert!(
                env.contains(&var),
                "the args use $({var}), which the container's env does not set"
            );
        }
    }
    assert_eq!(
        given("--state").as_deref(),
        Some("$(ROE_STATE)"),
        "the state should come from the environment (a Secret)"
    );
    // The files the args name are in mounted volumes.
    let mounts: Vec<&str> = list(&container["volumeMounts"])
        .iter()
        .map(|m| text(&m["mountPath"], "a mountPath"))
        .collect();
    for flag in ["--policies", "--admin-token-file"] {
        let path = given(flag).unwrap_or_else(|| panic!("the args give no {flag}"));
        assert!(
            mounts.iter().any(|m| Path::new(&path).starts_with(m)),
            "{flag} {path} is in no volume mounted in the container ({mounts:?})"
        );
    }
}

#[test]
fn the_deployment_probes_and_ports_meet_the_service() {
    let (_, deployment) = only("Deployment");
    let (_, service) = only("Service");
    let pod = &deployment["spec"]["template"];
    let container = container(&deployment);
    assert_eq!(
        text(
            &container["livenessProbe"]["httpGet"]["path"],
            "the liveness path"
        ),
        "/healthz"
    );
    assert_eq!(
        text(
            &container["readinessProbe"]["httpGet"]["path"],
            "the readiness path"
        ),
        "/readyz"
    );
    let ports: Vec<(Option<&str>, i64)> = list(&container["ports"])
        .iter()
        .map(|p| {
            let number = p["containerPort"].as_i64().expect("a containerPort number");
            (p["name"].as_str(), number)
        })
        .collect();
    assert_eq!(
        ports.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
        [8080],
        "the container listens on 8080, as its --addr says"
    );
    // A port given by number or by the container port's name.
    let names_a_port = |port: &Yaml, what: &str| match port {
        Yaml::Integer(n) => assert!(
            ports.iter().any(|(_, p)| p == n),
            "{what} {n} is no containerPort ({ports:?})"
        ),
        Yaml::String(name) => assert!(
            ports.iter().any(|(p, _)| *p == Some(name.as_str())),
            "{what} `{name}` names no container port ({ports:?})"
        ),
        other => panic!("{what} should be a number or a name, not {other:?}"),
    };
    names_a_port(
        &container["livenessProbe"]["httpGet"]["port"],
        "the liveness probe's port",
    );
    names_a_port(
        &container["readinessProbe"]["httpGet"]["port"],
        "the readiness probe's port",
    );
    let service_ports = list(&service["spec"]["ports"]);
    assert!(!service_ports.is_empty(), "the Service has no ports");
    for port in service_ports {
        assert_eq!(port["port"].as_i64(), Some(80), "the Service listens on 80");
        names_a_port(&port["targetPort"], "the Service's targetPort");
    }
    // The Service selects the Deployment's pods.
    let labels = pod["metadata"]["labels"].as_hash().expect("pod labels");
    let selector = service["spec"]["selector"]
        .as_hash()
        .expect("a Service selector");
    for (key, value) in selector {
        assert_eq!(
            labels.get(key),
            Some(value),
            "the Service selects {key:?}: {value:?}, which the Deployment's pods lack"
        );
    }
    let security = &container["securityContext"];
    assert_eq!(security["readOnlyRootFilesystem"].as_bool(), Some(true));
    assert!(
        security["runAsNonRoot"].as_bool() == Some(true)
            || pod["spec"]["securityContext"]["runAsNonRoot"].as_bool() == Some(true),
        "the pod should run as non-root"
    );
    for kind in ["requests", "limits"] {
        assert!(
            container["resources"][kind]["cpu"].as_str().is_some()
                || container["resources"][kind]["cpu"].as_i64().is_some(),
            "the container sets no CPU {kind} (the autoscaler needs the request)"
        );
    }
}

#[test]
fn the_autoscaler_scales_the_deployment() {
    let (_, deployment) = only("Deployment");
    let (_, hpa) = only("HorizontalPodAutoscaler");
    assert_eq!(hpa["apiVersion"].as_str(), Some("autoscaling/v2"));
    let target = &hpa["spec"]["scaleTargetRef"];
    assert_eq!(target["kind"].as_str(), Some("Deployment"));
    assert_eq!(
        target["name"].as_str(),
        deployment["metadata"]["name"].as_str()
    );
    let min = hpa["spec"]["minReplicas"].as_i64().expect("minReplicas");
    assert!(
        min >= 2,
        "the autoscaler should keep at least 2 replicas, not {min}"
    );
    assert!(hpa["spec"]["maxReplicas"].as_i64().expect("maxReplicas") >= min);
}

/// A running `roe serve`, stopped (SIGTERM) when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        service::terminate(&self.0);
        let _ = self.0.wait();
    }
}

#[test]
fn the_deployment_args_serve_the_configmap_and_its_probes_answer() {
    let flags = serve_flags();
    let (_, deployment) = only("Deployment");
    let container = container(&deployment);
    let args = strings(&container["args"], "the container's args");
    let pairs = serve_args(&args, &flags).expect("flags of roe serve");

    // The ConfigMap mounted at --policies, written out as the pod sees it.
    let policies = pairs
        .iter()
        .find(|(f, _)| f == "--policies")
        .and_then(|(_, v)| v.clone())
        .expect("--policies");
    let mount = list(&container["volumeMounts"])
        .iter()
        .find(|m| m["mountPath"].as_str() == Some(policies.as_str()))
        .expect("a volume mounted at --policies");
    let volume = list(&deployment["spec"]["template"]["spec"]["volumes"])
        .iter()
        .find(|v| v["name"] == mount["name"])
        .expect("the volume of the policies' mount");
    let config_name = text(
        &volume["configMap"]["name"],
        "the policies volume's ConfigMap",
    );
    let config = documents()
        .into_iter()
        .map(|(_, d)| d)
        .find(|d| {
            d["kind"].as_str() == Some("ConfigMap")
                && d["metadata"]["name"].as_str() == Some(config_name)
        })
        .unwrap_or_else(|| panic!("deploy/ has no ConfigMap `{config_name}`"));
    assert!(
        config["binaryData"].is_badvalue(),
        "this test writes out `data` only: give the example's policies as text"
    );
    let dir = std::env::temp_dir().join(format!("roe-deploy-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let folder = dir.join("policies");
    std::fs::create_dir_all(&folder).expect("a folder");
    let data = config["data"].as_hash().expect("the ConfigMap's data");
    let mut names = Vec::new();
    for (key, value) in data {
        let key = text(key, "a data key");
        std::fs::write(folder.join(key), text(value, key)).expect("written");
        if let Some(stem) = key.strip_suffix(".roe").filter(|s| !s.ends_with(".test")) {
            names.push(stem.to_owned());
        }
    }
    assert!(!names.is_empty(), "the ConfigMap holds no policy");

    // The Deployment's args, with this machine's paths, port and state.
    let token = dir.join("admin-token");
    std::fs::write(&token, "a-long-random-token\n").expect("written");
    let mut local = Vec::new();
    for (flag, value) in &pairs {
        local.push(flag.clone());
        let Some(value) = value else { continue };
        local.push(match flag.as_str() {
            "--policies" => folder.display().to_string(),
            "--addr" => "127.0.0.1:0".to_owned(),
            "--admin-token-file" | "--decide-token-file" => token.display().to_string(),
            // SQLite here, where the pods have PostgreSQL.
            "--state" => dir.join("state.sqlite").display().to_string(),
            _ => value.clone(),
        });
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_roe"))
        .arg("serve")
        .args(&local)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("roe starts");
    let stdout = child.stdout.take().expect("stdout");
    let running = Running(child);
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("a first line");
    let base = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("roe serve {local:?} did not start: {first:?}"));
    for probe in ["livenessProbe", "readinessProbe"] {
        let path = text(&container[probe]["httpGet"]["path"], probe);
        let (status, _) = service::get(&format!("{base}{path}"));
        assert_eq!(status, 200, "the {probe} path {path} answers {status}");
    }
    let (status, listed) = service::get(&format!("{base}/v1/policies"));
    assert_eq!(status, 200);
    for name in &names {
        assert!(
            listed.contains(&format!("\"name\":\"{name}\"")),
            "the ConfigMap's policy `{name}` is not served: {listed}"
        );
    }
    drop(running);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_image_runs_roe_serve_as_a_non_root_user() {
    let text = std::fs::read_to_string("Dockerfile").expect("a Dockerfile");
    let build = text
        .lines()
        .find(|l| l.trim_start().starts_with("RUN cargo build"))
        .expect("the build stage runs cargo build");
    assert!(
        build.contains("--release") && build.contains("--locked"),
        "the build should be `cargo build --release --locked`: {build}"
    );
    let stage = final_stage();
    assert!(
        stage[0].1.starts_with("debian:bookworm-slim"),
        "the final stage should be debian:bookworm-slim, not {}",
        stage[0].1
    );
    let (_, user) = stage
        .iter()
        .rev()
        .find(|(w, _)| w == "USER")
        .expect("the final stage sets a USER");
    let uid = user.split(':').next().unwrap_or_default();
    assert!(
        !uid.is_empty() && uid != "root" && uid != "0",
        "the final stage should run as a non-root user, not `{user}`"
    );
    assert!(
        uid.bytes().all(|b| b.is_ascii_digit()),
        "the USER should be a numeric uid, so Kubernetes' runAsNonRoot can check it: `{user}`"
    );

    // What `docker run IMAGE` runs: ENTRYPOINT, then CMD.
    let entrypoint = exec_form(&stage, "ENTRYPOINT");
    let cmd = exec_form(&stage, "CMD");
    let program = entrypoint.first().expect("an ENTRYPOINT program");
    assert_eq!(
        Path::new(program).file_name().and_then(|n| n.to_str()),
        Some("roe"),
        "the image should run roe, not {program}"
    );
    assert_eq!(
        entrypoint.get(1).map(String::as_str),
        Some("serve"),
        "the ENTRYPOINT should be `roe serve`, so args are its flags: {entrypoint:?}"
    );
    let mut rest = entrypoint[2..].to_vec();
    rest.extend(cmd);
    let pairs = serve_args(&rest, &serve_flags())
        .unwrap_or_else(|e| panic!("the image's command {rest:?}: {e}"));
    assert!(
        pairs.contains(&("--policies".to_owned(), Some("/policies".to_owned())))
            && pairs.contains(&("--addr".to_owned(), Some("0.0.0.0:8080".to_owned()))),
        "the image should serve /policies on 0.0.0.0:8080: {rest:?}"
    );
    assert!(
        stage
            .iter()
            .any(|(w, a)| w == "EXPOSE"
                && a.split_whitespace().any(|p| p == "8080" || p == "8080/tcp")),
        "the final stage should EXPOSE 8080"
    );
}
