//! Errors raised while reading migrations, the ledger or the configuration.

use std::path::PathBuf;

/// An error that stops a command before it changes anything. Every variant names
/// the file (and line where one is known) and says what to do next.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CoreError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A migration file is not valid UTF-8.
    #[error("{}:{line}: the file is not valid UTF-8 (invalid byte at offset {offset}); save it as UTF-8 and run the command again", path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// The 1-based line holding the first invalid byte.
        line: usize,
        /// The byte offset of the first invalid byte.
        offset: usize,
    },
    /// `sluice.toml` is malformed or holds an unknown key.
    #[error("invalid configuration in {}: {message}", path.display())]
    Config {
        /// The configuration file (or the key's origin).
        path: PathBuf,
        /// What is wrong, with line and key.
        message: String,
    },
    /// The ledger file is malformed.
    #[error("{}:{line}:{column}: the ledger is not valid: {message}; restore it from version control, or run `sluice hash` to rewrite it after reviewing every migration", path.display())]
    LedgerSyntax {
        /// The ledger file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser said.
        message: String,
    },
    /// Anything else, with its own explanation.
    #[error("{0}")]
    Other(String),
}

impl CoreError {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        CoreError::Io {
            path: path.into(),
            source,
        }
    }
}
