//! Ctrl-C and SIGTERM while a scratch database exists: drop it, then exit 130.
//!
//! Installed only by commands that make scratch databases, so every other
//! command keeps the default signal behaviour. The handler holds stdout and
//! stderr while it cleans up, so the main thread (whose connection it just
//! terminated) cannot print a misleading error before the process exits.

use std::io::Write as _;
use std::sync::Once;

static INSTALL: Once = Once::new();

/// Installs the handler (once per process).
pub fn install() {
    INSTALL.call_once(|| {
        let r = ctrlc::set_handler(|| {
            let _out = std::io::stdout().lock();
            let mut err = std::io::stderr().lock();
            let done = sluice_db::scratch::cleanup_all();
            for f in &done.failed {
                let _ = writeln!(
                    err,
                    "interrupted: could not drop scratch database {f}; drop it by hand"
                );
            }
            if done.failed.is_empty() {
                let what = if !done.dropped.is_empty() {
                    "the scratch database was dropped"
                } else if !done.never_created.is_empty() {
                    "no scratch database had been created (its creation was cancelled)"
                } else {
                    "no scratch database existed"
                };
                let _ = writeln!(err, "interrupted: {what}; the target was not touched");
            }
            std::process::exit(130);
        });
        if let Err(e) = r {
            eprintln!("warning: cannot handle Ctrl-C ({e}): an interrupted plan may leave its scratch database behind");
        }
    });
}
