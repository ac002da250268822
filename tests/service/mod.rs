//! Starting `roe serve` as a user starts it (the real binary on a loopback
//! port, picking its port) and calling it with a real HTTP client, for the
//! test crates that need a running service.

#![allow(dead_code, reason = "each test crate uses the helpers it needs")]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub const NOW: &str = "2026-11-30T10:00:00Z";

/// A running service, stopped (SIGTERM) when dropped.
pub struct Service {
    pub child: Child,
    pub base: String,
    /// Where its stderr (the log) goes.
    log: PathBuf,
}

impl Service {
    /// Serves `folder` with extra arguments, once it says where it listens.
    pub fn start(folder: &Path, extra: &[&str]) -> Service {
        let log = folder.with_extension("log");
        let mut child = Command::new(env!("CARGO_BIN_EXE_roe"))
            .args(["serve", "--addr", "127.0.0.1:0", "--policies"])
            .arg(folder)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("a log file"))
            .spawn()
            .expect("roe starts");
        let mut first = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut first)
            .expect("a first line");
        let base = first
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in {first:?}"))
            .to_owned();
        Service { child, base, log }
    }

    /// Serves `folder` with an admin token (written beside the folder).
    pub fn with_admin(folder: &Path, token: &str, extra: &[&str]) -> Service {
        let file = folder.with_extension("admin-token");
        std::fs::write(&file, token).expect("the token written");
        let file = file.display().to_string();
        let mut args = vec!["--admin-token-file", file.as_str()];
        args.extend(extra);
        Service::start(folder, &args)
    }

    /// What it logged so far.
    pub fn logged(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends SIGTERM and waits: the exit status.
    pub fn stop(mut self) -> std::process::ExitStatus {
        terminate(&self.child);
        let status = self.child.wait().expect("exits");
        std::mem::forget(self);
        status
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        terminate(&self.child);
        let _ = self.child.wait();
    }
}

pub fn terminate(child: &Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
}

/// An agent that hands back every status instead of failing on 4xx/5xx.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent()
}

/// POSTs `body` with `content_type`: (status, version header, body).
pub fn post(url: &str, content_type: &str, body: &str) -> (u16, Option<String>, String) {
    let mut response = agent()
        .post(url)
        .header("content-type", content_type)
        .send(body)
        .expect("an answer");
    let version = response
        .headers()
        .get("roe-policy-version")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = response.body_mut().read_to_string().expect("a body");
    (response.status().as_u16(), version, text)
}

pub fn get(url: &str) -> (u16, String) {
    let mut response = agent().get(url).call().expect("an answer");
    let text = response.body_mut().read_to_string().expect("a body");
    (response.status().as_u16(), text)
}

/// A folder holding copies of `files` (paths in the repository).
pub fn folder(name: &str, files: &[&str]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("roe-serve-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a folder");
    for file in files {
        let to = dir.join(Path::new(file).file_name().expect("a name"));
        std::fs::copy(file, to).expect("copied");
    }
    dir
}

/// POSTs with a bearer token: (status, body).
pub fn post_as(url: &str, token: &str, body: &str) -> (u16, String) {
    let mut response = agent()
        .post(url)
        .header("authorization", &format!("Bearer {token}"))
        .header("content-type", "application/json")
        .send(body)
        .expect("an answer");
    let text = response.body_mut().read_to_string().expect("a body");
    (response.status().as_u16(), text)
}

/// PUTs a roster with the admin token: (status, body).
pub fn put_roster(url: &str, token: &str, content_type: &str, body: &str) -> (u16, String) {
    let mut response = agent()
        .put(url)
        .header("authorization", &format!("Bearer {token}"))
        .header("content-type", content_type)
        .send(body)
        .expect("an answer");
    let text = response.body_mut().read_to_string().expect("a body");
    (response.status().as_u16(), text)
}
