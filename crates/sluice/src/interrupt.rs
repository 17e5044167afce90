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
            let failed = sluice_db::scratch::cleanup_all();
            if failed.is_empty() {
                let _ = writeln!(
                    err,
                    "interrupted: the scratch database was dropped; the target was not touched"
                );
            } else {
                for f in failed {
                    let _ = writeln!(
                        err,
                        "interrupted: could not drop scratch database {f}; drop it by hand"
                    );
                }
            }
            std::process::exit(130);
        });
        if let Err(e) = r {
            eprintln!("warning: cannot handle Ctrl-C ({e}): an interrupted plan may leave its scratch database behind");
        }
    });
}
