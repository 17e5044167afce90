//! sluice's own layout: `<13-digit version>_<name>.sql` files with a header
//! and an optional `-- sluice:down` section.

use super::MigrationLayout;
use crate::catalog::{
    display_path, read_all, read_cached, split_file_name, Catalog, CatalogIssue, CatalogOptions,
};
use crate::error::CoreError;
use crate::tree::{Entry, SourceTree};

/// The native layout.
pub struct Native;

impl MigrationLayout for Native {
    fn name(&self) -> &'static str {
        "sluice"
    }

    fn default_filename(&self) -> &'static str {
        crate::config::DEFAULT_FILENAME
    }

    fn scan(
        &self,
        opts: &CatalogOptions<'_>,
        tree: &dyn SourceTree,
        entries: Vec<Entry>,
    ) -> Result<Catalog, CoreError> {
        let mut catalog = Catalog::default();
        let mut parsed = Vec::with_capacity(entries.len());
        // A directory inside the migrations directory is not a migration of
        // this layout (and never was): it is left alone.
        for Entry {
            name: file_name,
            path,
            ..
        } in entries.into_iter().filter(|e| !e.is_dir)
        {
            let display = display_path(opts.root, &path);
            match split_file_name(opts.filename, &file_name) {
                Some((version, name)) => parsed.push((version, name, path, display)),
                None => catalog
                    .issues
                    .push(CatalogIssue::filename_contract(opts, display)),
            }
        }
        let (migrations, issues) = match opts.cache {
            Some(dir) if tree.on_disk() => read_cached(tree, dir, parsed)?,
            _ => read_all(tree, parsed)?,
        };
        catalog.migrations = migrations;
        catalog.issues.extend(issues);
        catalog.order_by_version();
        Ok(catalog)
    }
}
