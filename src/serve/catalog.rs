//! The policies a service serves: every `.roe` (compiled at start) and
//! `.roec` of one folder, by file stem. Test files (`*.test.roe`) and
//! libraries (no `policy` header) are not served; `x.roe` beside `x.roec`
//! is refused rather than guessed between. `x.candidate.roe` (or `.roec`)
//! is a candidate version of `x`, decided beside it in shadow mode.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::bytecode::fingerprint::fnv1a;
use crate::bytecode::format;
use crate::vm::Policy;

/// The stem suffix of a candidate version: `x.candidate.roe` shadows `x`.
const CANDIDATE: &str = ".candidate";

/// One served policy.
#[derive(Clone, Debug)]
pub struct Served {
    /// The name it is served by: its file's stem.
    pub name: String,
    /// The name in its `policy` header, as decisions and the ledger give it.
    pub policy_name: String,
    /// The file it was loaded from.
    pub file: PathBuf,
    /// Its version: FNV-1a 64 of its compiled bytes, in hex. Two files that
    /// compile alike have one version.
    pub version: String,
    /// The fingerprint of the records it accepts, in hex.
    pub fingerprint: String,
    /// The policy.
    pub policy: Policy,
    /// Every file it was read from: its own, and those it `use`s.
    pub sources: Vec<PathBuf>,
    /// The candidate version decided beside it, in shadow mode.
    pub candidate: Option<Arc<Served>>,
}

/// Every served policy, by name. Cloning shares the policies.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    served: BTreeMap<String, Arc<Served>>,
}

impl Catalog {
    /// Loads every policy of `folder`; the error names each file that
    /// cannot be served and why.
    pub fn load(folder: &Path) -> Result<Catalog, String> {
        let (catalog, problems) = Catalog::reload(&Catalog::default(), folder)?;
        if !problems.is_empty() {
            return Err(problems.join("\n"));
        }
        if catalog.served.is_empty() {
            return Err(format!(
                "`{}` holds no policy to serve: put `.roe` or `.roec` files with a `policy` header in it",
                folder.display()
            ));
        }
        Ok(catalog)
    }

    /// The policies of `folder` as it is now, beside what cannot be served:
    /// a file that cannot be served keeps the version `previous` served of
    /// it, if any. A file gone from the folder is no longer served. The
    /// error is a folder that cannot be read.
    pub fn reload(previous: &Catalog, folder: &Path) -> Result<(Catalog, Vec<String>), String> {
        let mut served = BTreeMap::new();
        let mut problems = Vec::new();
        for file in policy_files(folder)? {
            let one = match load_one(&file) {
                Ok(None) => continue,
                Ok(Some(one)) => Arc::new(one),
                Err(problem) => {
                    problems.push(problem);
                    match previous.served.values().find(|s| s.file == file) {
                        Some(kept) => kept.clone(),
                        None => continue,
                    }
                }
            };
            if let Some(other) = served.get(&one.name).map(|o: &Arc<Served>| &o.file) {
                problems.push(format!(
                    "`{}` and `{}` are both served as `{}`: keep one of them in the folder",
                    other.display(),
                    one.file.display(),
                    one.name
                ));
                continue;
            }
            served.insert(one.name.clone(), one);
        }
        // Each candidate goes beside the policy it shadows.
        let candidates: Vec<String> = served
            .keys()
            .filter(|name| name.ends_with(CANDIDATE))
            .cloned()
            .collect();
        let mut shadowed = BTreeMap::new();
        for name in candidates {
            let Some(candidate) = served.remove(&name) else {
                continue;
            };
            let live = name.trim_end_matches(CANDIDATE).to_owned();
            if served.contains_key(&live) {
                shadowed.insert(live, candidate);
            } else {
                problems.push(format!(
                    "`{}` is a candidate for `{live}`, which the folder does not serve: add `{live}.roe` (or `.roec`) beside it, or rename it",
                    candidate.file.display()
                ));
            }
        }
        for (name, one) in &mut served {
            let candidate = shadowed.remove(name);
            if candidate.is_some() || one.candidate.is_some() {
                *one = Arc::new(Served {
                    candidate,
                    ..Served::clone(one)
                });
            }
        }
        Ok((Catalog { served }, problems))
    }

    /// A hash of the folder's policy files and every file the served
    /// policies were read from, as they are now (through symbolic links, so
    /// a Kubernetes ConfigMap's swap of its folder shows): when it changes,
    /// a reload may serve something new.
    pub fn signature(&self, folder: &Path) -> u64 {
        let mut files = policy_files(folder).unwrap_or_default();
        let with_candidates = self
            .served
            .values()
            .flat_map(|s| std::iter::once(s).chain(s.candidate.as_ref()));
        files.extend(with_candidates.flat_map(|s| s.sources.iter().cloned()));
        files.sort();
        files.dedup();
        let mut seen = Vec::new();
        for file in files {
            seen.extend_from_slice(file.as_os_str().as_encoded_bytes());
            seen.push(0);
            seen.extend(std::fs::read(&file).unwrap_or_default());
            seen.push(0);
        }
        fnv1a(&seen)
    }

    /// The policy served as `name`.
    pub fn get(&self, name: &str) -> Option<Arc<Served>> {
        self.served.get(name).cloned()
    }

    /// Every served policy, by name.
    pub fn all(&self) -> impl Iterator<Item = &Arc<Served>> {
        self.served.values()
    }
}

/// The files of `folder` the service would serve, in name order.
fn policy_files(folder: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(folder)
        .map_err(|e| format!("cannot read the folder `{}`: {e}", folder.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| is_policy_file(p))
        .collect();
    files.sort();
    Ok(files)
}

/// Whether `path` is a file the service would serve: a `.roe` that is not
/// a test file, or a `.roec`.
fn is_policy_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    path.is_file()
        && (name.ends_with(".roec") || (name.ends_with(".roe") && !name.ends_with(".test.roe")))
}

/// The policy of one file; `None` for a library.
fn load_one(file: &Path) -> Result<Option<Served>, String> {
    let name = file
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| format!("`{}`: the file name is not UTF-8", file.display()))?
        .to_owned();
    let bytes =
        std::fs::read(file).map_err(|e| format!("cannot read `{}`: {e}", file.display()))?;
    let mut sources = vec![file.to_owned()];
    let program = if bytes.starts_with(format::MAGIC) {
        format::decode(&bytes).map_err(|e| format!("cannot load `{}`: {e}", file.display()))?
    } else {
        let compilation = crate::pipeline::compile_file(file)
            .map_err(|e| format!("cannot read `{}`: {e}", file.display()))?;
        if compilation.has_errors() {
            let errors: Vec<String> = compilation
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .map(|d| format!("  {}: {}", d.code, d.message))
                .collect();
            return Err(format!(
                "`{}` does not compile (run `roe check {}`):\n{}",
                file.display(),
                file.display(),
                errors.join("\n")
            ));
        }
        // The files it `use`s (shipped libraries have names in brackets).
        sources.extend(
            compilation
                .sources
                .iter()
                .map(|(_, f)| f.name.as_str())
                .filter(|name| !name.starts_with('<'))
                .map(PathBuf::from),
        );
        match compilation.program {
            Some(program) => program,
            None => return Ok(None),
        }
    };
    let roec = file.with_extension("roec");
    if file.extension().is_some_and(|e| e == "roe") && roec.is_file() {
        return Err(format!(
            "`{}` and `{}` are both in the folder: serve one (build the `.roec` from the `.roe`, or remove it)",
            file.display(),
            roec.display()
        ));
    }
    let version = format!("{:016x}", fnv1a(&format::encode(&program)));
    Ok(Some(Served {
        name,
        policy_name: program.parts().name.clone(),
        file: file.to_owned(),
        version,
        fingerprint: format!("{:016x}", program.schema_fingerprint()),
        policy: Policy::new(program),
        sources,
        candidate: None,
    }))
}
