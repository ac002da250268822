//! The policies a service serves: every `.roe` (compiled at start) and
//! `.roec` of one folder, by file stem. Test files (`*.test.roe`) and
//! libraries (no `policy` header) are not served; `x.roe` beside `x.roec`
//! is refused rather than guessed between.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::bytecode::fingerprint::fnv1a;
use crate::bytecode::format;
use crate::vm::Policy;

/// One served policy.
#[derive(Debug)]
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
}

/// Every served policy, by name.
#[derive(Debug, Default)]
pub struct Catalog {
    served: BTreeMap<String, Arc<Served>>,
}

impl Catalog {
    /// Loads every policy of `folder`; the error names each file that
    /// cannot be served and why.
    pub fn load(folder: &Path) -> Result<Catalog, String> {
        let entries = std::fs::read_dir(folder)
            .map_err(|e| format!("cannot read the folder `{}`: {e}", folder.display()))?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| is_policy_file(p))
            .collect();
        files.sort();
        let mut served = BTreeMap::new();
        let mut problems = Vec::new();
        for file in files {
            match load_one(&file) {
                Ok(None) => {}
                Ok(Some(one)) => {
                    if let Some(other) = served.get(&one.name).map(|o: &Arc<Served>| &o.file) {
                        problems.push(format!(
                            "`{}` and `{}` are both served as `{}`: keep one of them in the folder",
                            other.display(),
                            one.file.display(),
                            one.name
                        ));
                        continue;
                    }
                    served.insert(one.name.clone(), Arc::new(one));
                }
                Err(problem) => problems.push(problem),
            }
        }
        if !problems.is_empty() {
            return Err(problems.join("\n"));
        }
        if served.is_empty() {
            return Err(format!(
                "`{}` holds no policy to serve: put `.roe` or `.roec` files with a `policy` header in it",
                folder.display()
            ));
        }
        Ok(Catalog { served })
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
    }))
}
