//! The `files` layout: migrations of any kind (`.js`, `.sh`, `.rb`, `.sql` run
//! by another program) named by a configurable filename pattern, each one
//! file whose body sluice does not read ([`BodyKind::Opaque`]).
//!
//! What sluice enforces on them: the filename contract, duplicate versions,
//! the ledger (immutability, `check` and `guard`), and the header when one is
//! required. It does not analyse them and does not run them: applying stays
//! the program's that runs them.

use super::{BodyKind, MigrationLayout};
use crate::catalog::{display_path, split_file_name, Catalog, CatalogIssue, CatalogOptions};
use crate::error::CoreError;
use crate::header::Header;
use crate::migration::{decode, Migration, Section};
use crate::tree::{Entry, SourceTree};

/// The `files` layout.
pub struct Files;

/// `<version>_<name>.<extension>`.
pub const DEFAULT_FILENAME: &str = r"^(?P<version>\d+)_(?P<name>[^.]+)\.[A-Za-z0-9.]+$";

impl MigrationLayout for Files {
    fn name(&self) -> &'static str {
        "files"
    }

    fn default_filename(&self) -> &'static str {
        DEFAULT_FILENAME
    }

    fn external_runner(&self) -> Option<&'static str> {
        Some("the job of the program that runs these files")
    }

    fn authoring_refusal(&self, name: &str) -> Option<String> {
        Some(format!(
            "the files layout's migrations are written in the language of the program that runs them: create `<version>_{name}.<ext>` by hand, then run `sluice hash`"
        ))
    }

    fn scan(
        &self,
        opts: &CatalogOptions<'_>,
        tree: &dyn SourceTree,
        entries: Vec<Entry>,
    ) -> Result<Catalog, CoreError> {
        let mut catalog = Catalog::default();
        for e in entries.into_iter().filter(|e| !e.is_dir) {
            let display = display_path(opts.root, &e.path);
            let Some((version, name)) = split_file_name(opts.filename, &e.name) else {
                catalog
                    .issues
                    .push(CatalogIssue::filename_contract(opts, display));
                continue;
            };
            let bytes = tree.read_listed(&e.path)?;
            let (checksum, text) = decode(&e.path, &bytes)?;
            let mut m = Migration::unread(
                version,
                name,
                e.name.clone(),
                e.path.clone(),
                display,
                checksum,
                Header::parse(&text, 1),
                Section {
                    range: 0..text.len(),
                    first_line: 1,
                    no_transaction: true,
                    alone_if_single: false,
                },
                None,
                None,
            );
            m.body = BodyKind::Opaque;
            catalog.migrations.push(m.with_text(text));
        }
        catalog.order_by_version();
        Ok(catalog)
    }
}
