//! Follows `use` declarations from the root file: `use crm` (or `salesforce`,
//! `hubspot`) loads a shipped schema embedded in the binary, `use "file.roe"` a file relative to the file
//! that uses it. Every file is parsed once; a `use` that leads back to a file
//! still being loaded is a cycle and reported with the chain of files.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::diagnostics::suggest::help_did_you_mean;
use crate::diagnostics::{Diagnostic, codes, io};
use crate::source::{FileId, SourceMap, Span};
use crate::syntax::ast::{Item, Use};
use crate::syntax::parser;

/// A schema roe ships, brought in with `use NAME`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Library {
    /// The name after `use`.
    pub name: &'static str,
    /// The name diagnostics give its file: `<crm>`.
    pub file: &'static str,
    /// Its source text.
    pub source: &'static str,
}

/// The schemas roe ships: `crm`, the neutral one, and the standard objects
/// of Salesforce and HubSpot as their exports write them.
pub const LIBRARIES: &[Library] = &[
    Library {
        name: "crm",
        file: "<crm>",
        source: include_str!("../../stdlib/crm.roe"),
    },
    Library {
        name: "salesforce",
        file: "<salesforce>",
        source: include_str!("../../stdlib/salesforce.roe"),
    },
    Library {
        name: "hubspot",
        file: "<hubspot>",
        source: include_str!("../../stdlib/hubspot.roe"),
    },
];
/// The largest source file roe reads.
pub const MAX_SOURCE_BYTES: usize = 64 * 1024 * 1024;

/// One parsed file.
#[derive(Clone, Debug)]
pub struct Module {
    /// Its id in the source map.
    pub file: FileId,
    /// Its declarations.
    pub items: Vec<Item>,
    /// Whether it is a schema roe ships (`use crm`), not a file of the user's.
    pub shipped: bool,
}

impl Modules {
    /// Whether `name` may have been declared in text that failed to parse or
    /// to load; an "unknown name" error for it would only repeat that failure.
    pub fn may_declare(&self, name: &str) -> bool {
        self.incomplete || self.unparsed_names.contains(name)
    }
}

/// The root file and everything it uses, each parsed once; the root comes first.
#[derive(Clone, Debug, Default)]
pub struct Modules {
    /// The files in load order, the root first.
    pub modules: Vec<Module>,
    /// Names in text of any file that did not parse.
    pub unparsed_names: HashSet<String>,
    /// Whether a `use` failed, so names may be missing.
    pub incomplete: bool,
}

#[derive(Clone, PartialEq)]
enum Origin {
    Builtin(&'static Library),
    Path(PathBuf),
}

struct Loader<'a> {
    sources: &'a mut SourceMap,
    loaded: Vec<(Origin, FileId)>,
    stack: Vec<Origin>,
    modules: Vec<Module>,
    unparsed_names: HashSet<String>,
    incomplete: bool,
    diagnostics: Vec<Diagnostic>,
}

/// Parses the root file `name` with `text` and every file it uses.
/// `path` is where the root lives on disk, if it does, for resolving relative `use`s.
pub fn load(
    sources: &mut SourceMap,
    name: &str,
    text: String,
    path: Option<&Path>,
) -> (Modules, Vec<Diagnostic>) {
    let origin = match path {
        Some(p) => Origin::Path(canonical(p)),
        None => Origin::Path(PathBuf::from(name)),
    };
    let mut loader = Loader {
        sources,
        loaded: Vec::new(),
        stack: Vec::new(),
        modules: Vec::new(),
        unparsed_names: HashSet::new(),
        incomplete: false,
        diagnostics: Vec::new(),
    };
    loader.visit(origin, name.to_owned(), text);
    (
        Modules {
            modules: loader.modules,
            unparsed_names: loader.unparsed_names,
            incomplete: loader.incomplete,
        },
        loader.diagnostics,
    )
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

impl Loader<'_> {
    fn visit(&mut self, origin: Origin, name: String, text: String) -> FileId {
        let file = self.sources.add(name, text);
        self.loaded.push((origin.clone(), file));
        let text = self
            .sources
            .get(file)
            .map(|f| f.text.clone())
            .unwrap_or_default();
        let parsed = parser::parse(file, &text);
        self.diagnostics.extend(parsed.diagnostics);
        self.unparsed_names.extend(parsed.unparsed_names);
        let items = parsed.items;
        let index = self.modules.len();
        self.modules.push(Module {
            file,
            items: Vec::new(),
            shipped: matches!(origin, Origin::Builtin(_)),
        });
        self.stack.push(origin.clone());
        for item in &items {
            if let Item::Use(use_) = item {
                self.follow(&origin, use_);
            }
        }
        self.stack.pop();
        if let Some(module) = self.modules.get_mut(index) {
            module.items = items;
        }
        file
    }

    fn follow(&mut self, from: &Origin, use_: &Use) {
        let (target, span) = match use_ {
            Use::Library(name) => match LIBRARIES.iter().find(|l| l.name == name.node) {
                Some(library) => (Origin::Builtin(library), name.span),
                None => {
                    self.incomplete = true;
                    let names: Vec<&str> = LIBRARIES.iter().map(|l| l.name).collect();
                    let help = help_did_you_mean(&name.node, names.iter().copied())
                        .map(|d| format!("{d} "))
                        .unwrap_or_default();
                    self.diagnostics.push(
                        Diagnostic::error(
                            codes::BAD_USE,
                            format!("there is no shipped library `{}`", name.node),
                            name.span,
                        )
                        .label(name.span, "not a library roe ships")
                        .help(format!(
                            "{help}the shipped libraries are {}; for a file of your own write `use \"path/to/file.roe\"`",
                            names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                        )),
                    );
                    return;
                }
            },
            Use::File(path) => {
                let base = match from {
                    Origin::Path(p) => p.parent().map(Path::to_path_buf).unwrap_or_default(),
                    Origin::Builtin(_) => PathBuf::new(),
                };
                (Origin::Path(canonical(&base.join(&path.node))), path.span)
            }
        };
        if let Some(position) = self.stack.iter().position(|o| *o == target) {
            let chain: Vec<String> = self.stack[position..]
                .iter()
                .chain(std::iter::once(&target))
                .map(origin_name)
                .collect();
            self.diagnostics.push(
                Diagnostic::error(codes::BAD_USE, "`use` cycle", span)
                    .label(
                        span,
                        "this `use` leads back to a file that is still being loaded",
                    )
                    .note(format!("the cycle: {}", chain.join(" → ")))
                    .help(
                        "move the shared declarations into a file that uses nothing that uses it",
                    ),
            );
            return;
        }
        if self.loaded.iter().any(|(o, _)| *o == target) {
            return;
        }
        match &target {
            Origin::Builtin(library) => {
                self.visit(
                    target.clone(),
                    library.file.to_owned(),
                    library.source.to_owned(),
                );
            }
            Origin::Path(path) => match read_source(path) {
                Ok(text) => {
                    let shown = match use_ {
                        Use::File(p) => p.node.clone(),
                        Use::Library(n) => n.node.clone(),
                    };
                    self.visit(target.clone(), shown, text);
                }
                Err(problem) => {
                    self.incomplete = true;
                    let written = match use_ {
                        Use::File(p) => p.node.clone(),
                        Use::Library(n) => n.node.clone(),
                    };
                    let mut d =
                        Diagnostic::error(codes::BAD_USE, format!("cannot load `{written}`"), span)
                            .label(span, problem.clone());
                    if problem == io::NOT_FOUND {
                        d = d.help("the path is relative to the file that has the `use`");
                    }
                    self.diagnostics.push(d);
                }
            },
        }
    }
}

fn origin_name(origin: &Origin) -> String {
    match origin {
        Origin::Builtin(library) => library.file.to_owned(),
        Origin::Path(p) => p.file_name().map_or_else(
            || p.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
    }
}

/// Reads a source file, refusing huge and non-UTF-8 files with a sentence.
pub fn read_source(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| io::io_problem(&e))?;
    if bytes.len() > MAX_SOURCE_BYTES {
        return Err(format!(
            "the file is {} bytes; roe reads sources up to {MAX_SOURCE_BYTES} bytes",
            bytes.len()
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "the file is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

/// An error for a root text that is not UTF-8 (the CLI reads bytes first).
pub fn not_utf8(file: FileId, valid_up_to: usize) -> Diagnostic {
    let span = Span::new(file, valid_up_to, valid_up_to);
    Diagnostic::error(codes::NOT_UTF8, "the file is not UTF-8 text", span)
        .label(span, format!("invalid byte at offset {valid_up_to}"))
        .help("save the policy as UTF-8")
}
