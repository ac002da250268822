//! How an I/O error is worded for a policy author: one short sentence without
//! Rust's error-kind jargon, for the loader's `use` diagnostics, for
//! `compile_file`, and for the command line's messages about the files it
//! reads and writes.

/// How a missing file is described.
pub const NOT_FOUND: &str = "no such file";

/// A short sentence for an I/O error, without Rust's error-kind jargon.
pub fn io_problem(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => NOT_FOUND.to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        std::io::ErrorKind::IsADirectory => "is a directory, not a file".to_owned(),
        _ => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Error, ErrorKind};

    use super::*;

    #[test]
    fn common_errors_read_as_a_few_plain_words() {
        assert_eq!(io_problem(&Error::from(ErrorKind::NotFound)), NOT_FOUND);
        assert_eq!(
            io_problem(&Error::from(ErrorKind::PermissionDenied)),
            "permission denied"
        );
        assert_eq!(io_problem(&Error::other("disk on fire")), "disk on fire");
    }
}
