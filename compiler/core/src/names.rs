//! What every name of a workspace refers to, for the language server's references and rename:
//! the static pass's scope resolution ([`hl_eval::check_statically`]) over parsed files, with
//! the embedded standard library in scope.

use std::sync::OnceLock;

use hl_diagnostics::FileId;
use hl_eval::{EvalInput, InputFile, Limits, WorkspacePaths};
use hl_syntax::ast::SourceFile;

pub use hl_eval::{NameUse, Resolved, Target};

/// The standard library's files get ids from here up, so that they never meet a workspace
/// file's.
const STD_BASE: u32 = u32::MAX - 64;

/// One workspace file to resolve: its id (which its spans carry), its path relative to the
/// workspace root with `/` (how imports name it), and its syntax tree.
pub struct NameFile<'a> {
    /// The id the file's spans carry.
    pub id: FileId,
    /// Relative to the workspace root, `/`-separated.
    pub path: String,
    /// The parsed file.
    pub ast: &'a SourceFile,
}

/// Whether a span's file is the standard library's (as [`resolve_names`] numbers it).
pub fn is_stdlib(file: FileId) -> bool {
    file.0 >= STD_BASE
}

/// The logical path (`std/k8s.hl`) of a standard library file as [`resolve_names`] numbers
/// them.
pub fn stdlib_path(file: FileId) -> Option<&'static str> {
    let i = file.0.checked_sub(STD_BASE)?;
    crate::STDLIB.get(i as usize).map(|(path, _)| *path)
}

fn stdlib_trees() -> &'static [(String, FileId, SourceFile)] {
    static TREES: OnceLock<Vec<(String, FileId, SourceFile)>> = OnceLock::new();
    TREES.get_or_init(|| {
        crate::STDLIB
            .iter()
            .enumerate()
            .map(|(i, (path, text))| {
                let id = FileId(STD_BASE + i as u32);
                (path.to_string(), id, hl_syntax::parse(id, text).file)
            })
            .collect()
    })
}

/// Resolve every name of `files` (a whole workspace, so that imports and stack references
/// across files resolve): for each file, in order, its names' uses and definitions.
pub fn resolve_names(files: &[NameFile<'_>]) -> Vec<Resolved> {
    let mut inputs: Vec<InputFile<'_>> = stdlib_trees()
        .iter()
        .map(|(path, id, ast)| InputFile { id: *id, path: path.clone(), ast, stdlib: true, declares: false })
        .collect();
    inputs.extend(files.iter().map(|f| InputFile {
        id: f.id,
        path: f.path.clone(),
        ast: f.ast,
        stdlib: false,
        declares: false,
    }));
    let paths = WorkspacePaths::default();
    let input = EvalInput {
        files: inputs,
        root_schema: "Workspace",
        workspace_paths: &paths,
        prelude: false,
        types: None,
        stdlib_scopes: None,
        assets: None,
    };
    let targets: Vec<FileId> = files.iter().map(|f| f.id).collect();
    hl_eval::check_statically(&input, Limits::default(), &targets, true)
}
