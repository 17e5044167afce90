//! Scratch databases: a fresh, empty database made for one run (`plan`
//! replays migrations into it) and dropped on every path.
//!
//! - Postgres: `CREATE DATABASE sluice_scratch_<host>_<pid>_<n> TEMPLATE
//!   template0` on a server the caller chose, dropped (its sessions terminated
//!   first) when the [`Scratch`] is dropped.
//! - SQLite: a file in a new temporary directory, removed with it.
//!
//! Every live scratch database is also kept in a process-wide registry, so a
//! signal handler can drop them before the process exits ([`cleanup_all`]):
//! Ctrl-C during a replay leaves nothing behind. A signal that arrives while
//! `CREATE DATABASE` is still in flight cancels it and waits for its outcome
//! before dropping (a drop sent earlier would be a no-op and the create would
//! then commit), and the report says whether a database existed at all. A `kill -9` cannot be caught;
//! the next scratch database made on the same server by the same host drops
//! those whose process is gone and that nobody is connected to.

use crate::postgres::{parse_url, PostgresDb};
use crate::sqlite::SqliteDb;
use crate::{Database, DbError};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// The prefix of every scratch database's name.
pub const PREFIX: &str = "sluice_scratch_";

#[derive(Clone)]
enum Kind {
    Postgres {
        admin: Box<postgres::Config>,
        name: String,
        server_url: String,
    },
    Sqlite {
        dir: PathBuf,
        path: PathBuf,
    },
    Mysql {
        /// The scratch database's URL (the server's, with its name).
        url: String,
        name: String,
    },
}

/// Where a scratch database's creation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// `CREATE DATABASE` has been sent and has not returned.
    Creating,
    /// The create returned (whether the database exists is asked of the
    /// server: a late cancel can fail a create that committed).
    Settled,
}

/// A registry entry's phase, shared with the thread that creates it.
type PhaseCell = std::sync::Arc<(Mutex<Phase>, std::sync::Condvar)>;

struct Entry {
    id: u64,
    kind: Kind,
    phase: PhaseCell,
    cancel: Option<postgres::CancelToken>,
}

static REGISTRY: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

fn set_phase(cell: &PhaseCell, phase: Phase) {
    let (m, cv) = &**cell;
    *m.lock().unwrap_or_else(|e| e.into_inner()) = phase;
    cv.notify_all();
}

/// What [`cleanup_all`] did.
#[derive(Debug, Default)]
pub struct Cleanup {
    /// Scratch databases that existed and were dropped.
    pub dropped: Vec<String>,
    /// Scratch databases whose creation was cancelled or had failed: nothing
    /// was left to drop.
    pub never_created: Vec<String>,
    /// Scratch databases that could not be dropped, with the reason.
    pub failed: Vec<String>,
}
static NEXT: AtomicU64 = AtomicU64::new(1);

/// A scratch database; dropped (with everything in it) when this is dropped.
pub struct Scratch {
    id: u64,
    kind: Kind,
    dropped: bool,
}

fn host_tag() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default();
    let mut h: u32 = 0x811c_9dc5;
    for b in host.trim().bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("{h:08x}")
}

fn unique() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{}_{nanos:x}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Set (under the registry's lock) once a signal handler has started cleaning
/// up: from then on no scratch database may be created, so none can appear
/// after the handler has looked.
static SHUTTING_DOWN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Registers a scratch database about to be made; an error once the process
/// is being interrupted.
fn register(
    kind: &Kind,
    phase: Phase,
    cancel: Option<postgres::CancelToken>,
) -> Result<(u64, PhaseCell), DbError> {
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    let cell: PhaseCell = std::sync::Arc::new((Mutex::new(phase), std::sync::Condvar::new()));
    let mut r = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    if SHUTTING_DOWN.load(Ordering::SeqCst) {
        return Err(DbError::msg(
            "interrupted: no scratch database is created while the process stops",
        ));
    }
    r.push(Entry {
        id,
        kind: kind.clone(),
        phase: cell.clone(),
        cancel,
    });
    Ok((id, cell))
}

fn unregister(id: u64) {
    if let Ok(mut r) = REGISTRY.lock() {
        r.retain(|e| e.id != id);
    }
}

fn cleanup(kind: &Kind) -> Result<(), DbError> {
    match kind {
        Kind::Postgres { admin, name, .. } => crate::postgres::scratch::drop_database(admin, name),
        Kind::Sqlite { dir, .. } => match std::fs::remove_dir_all(dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(DbError::msg(format!("removing {}: {e}", dir.display()))),
        },
        Kind::Mysql { url, name } => mysql_drop(url, name).map(|_| ()),
    }
}

/// Drops a MySQL scratch database through a connection to it (dropping the
/// database one is connected to is allowed); whether it existed.
fn mysql_drop(url: &str, name: &str) -> Result<bool, DbError> {
    use crate::Executor as _;
    let mut db = match crate::mysql::MysqlDb::connect(url) {
        Ok(db) => db,
        // Unknown database: nothing to drop.
        Err(e) if e.code.as_deref() == Some("1049") || e.message.contains("Unknown database") => {
            return Ok(false)
        }
        Err(e) => return Err(e),
    };
    db.run_alone(&format!("DROP DATABASE IF EXISTS `{name}`"))?;
    Ok(true)
}

/// Drops every scratch database this process still has (for signal
/// handlers). One whose `CREATE DATABASE` is in flight is cancelled first, and
/// dropped only once the create has returned (if it committed after all).
pub fn cleanup_all() -> Cleanup {
    let entries: Vec<Entry> = {
        let mut r = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
        SHUTTING_DOWN.store(true, Ordering::SeqCst);
        r.drain(..).collect()
    };
    let mut out = Cleanup::default();
    for e in entries {
        let label = match &e.kind {
            Kind::Postgres { name, .. } | Kind::Mysql { name, .. } => name.clone(),
            Kind::Sqlite { dir, .. } => dir.display().to_string(),
        };
        let (m, cv) = &*e.phase;
        let creating = *m.lock().unwrap_or_else(|p| p.into_inner()) == Phase::Creating;
        if creating {
            if let Some(t) = &e.cancel {
                let _ = t.cancel_query(postgres::NoTls);
            }
            // Wait for the create to return (committed or not) before looking.
            let guard = m.lock().unwrap_or_else(|p| p.into_inner());
            let _ = cv
                .wait_timeout_while(guard, Duration::from_secs(30), |p| *p == Phase::Creating)
                .unwrap_or_else(|p| p.into_inner());
        }
        // Whatever the create returned, ask the server: a cancel that lands
        // after CREATE DATABASE committed still fails the statement on the
        // client, and the database exists.
        match cleanup_existing(&e.kind) {
            Ok(true) => out.dropped.push(label),
            Ok(false) => out.never_created.push(label),
            Err(err) => out.failed.push(format!("{label}: {err}")),
        }
    }
    out
}

/// Drops a scratch database; Ok(false) when it did not exist.
fn cleanup_existing(kind: &Kind) -> Result<bool, DbError> {
    match kind {
        Kind::Postgres { admin, name, .. } => {
            let exists = crate::postgres::scratch::database_exists(admin, name)?;
            if exists {
                crate::postgres::scratch::drop_database(admin, name)?;
            }
            Ok(exists)
        }
        Kind::Sqlite { dir, .. } => {
            let exists = dir.exists();
            cleanup(kind)?;
            Ok(exists)
        }
        Kind::Mysql { url, name } => mysql_drop(url, name),
    }
}

/// Drops scratch databases that this host's processes left behind when they
/// were killed outright: same host tag, a process id that no longer exists,
/// and nobody connected. Linux only (it asks `/proc`).
fn cleanup_stale(admin_db: &mut PostgresDb, admin: &postgres::Config) {
    if !cfg!(target_os = "linux") {
        return;
    }
    let mine = format!("{PREFIX}{}_", host_tag());
    let Ok(names) = crate::postgres::scratch::idle_databases_like(admin_db, &mine) else {
        return;
    };
    for name in names {
        let pid = name[mine.len()..].split('_').next().unwrap_or("");
        if !pid.is_empty()
            && pid.bytes().all(|b| b.is_ascii_digit())
            && !Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = crate::postgres::scratch::drop_database(admin, &name);
        }
    }
}

impl Scratch {
    /// Creates an empty scratch database on the server `server_url` names, of
    /// that server's kind (the driver chosen by the URL's scheme, as
    /// [`crate::connect`] does): a Postgres database on that server, or an
    /// SQLite file in a new temporary directory.
    pub fn create(server_url: &str) -> Result<Scratch, DbError> {
        match crate::backend_of(server_url)? {
            crate::Backend::Postgres => Scratch::postgres(server_url),
            crate::Backend::Sqlite => Scratch::sqlite(),
            crate::Backend::Mysql => Scratch::mysql(server_url),
        }
    }

    /// Creates an empty Postgres database on the server `server_url` points at
    /// (the URL's own database is only used to connect).
    pub fn postgres(server_url: &str) -> Result<Scratch, DbError> {
        let admin = parse_url(server_url)?;
        let mut admin_db = PostgresDb::connect_config(admin.clone(), "public")?;
        cleanup_stale(&mut admin_db, &admin);
        let name = format!("{PREFIX}{}_{}_{}", host_tag(), std::process::id(), unique());
        let kind = Kind::Postgres {
            admin: Box::new(admin.clone()),
            name: name.clone(),
            server_url: server_url.to_string(),
        };
        // Registered before it exists, as being created: a signal handler
        // cancels the create and waits for its outcome before dropping.
        let (id, phase) = register(&kind, Phase::Creating, Some(admin_db.cancel_token()))?;
        let created = crate::postgres::scratch::create_database(&mut admin_db, &name);
        set_phase(&phase, Phase::Settled);
        if let Err(mut e) = created {
            // The statement can fail on the client after the database was
            // committed (a cancel arriving late): never leave it behind.
            let _ = crate::postgres::scratch::drop_database_once(&mut admin_db, &name);
            unregister(id);
            e.message = format!(
                "could not create a scratch database: {}; the role needs CREATEDB on that server (or set scratch_url to a server where it has it)",
                e.message
            );
            return Err(e);
        }
        Ok(Scratch {
            id,
            kind,
            dropped: false,
        })
    }

    /// Creates an empty database on the MySQL server `server_url` points at
    /// (the URL's own database is only used to connect).
    pub fn mysql(server_url: &str) -> Result<Scratch, DbError> {
        use crate::Executor as _;
        let mut admin = crate::mysql::MysqlDb::connect(server_url)?;
        let name = format!("{PREFIX}{}_{}_{}", host_tag(), std::process::id(), unique());
        let mut u = url::Url::parse(server_url)
            .map_err(|e| DbError::msg(format!("the scratch server's URL: {e}")))?;
        u.set_path(&format!("/{name}"));
        let kind = Kind::Mysql {
            url: u.to_string(),
            name: name.clone(),
        };
        let (id, phase) = register(&kind, Phase::Creating, None)?;
        let created = admin.run_alone(&format!("CREATE DATABASE `{name}`"));
        set_phase(&phase, Phase::Settled);
        if let Err(mut e) = created {
            unregister(id);
            e.message = format!(
                "could not create a scratch database: {}; the user needs CREATE and DROP on that server (or set scratch_url to a server where it has them)",
                e.message
            );
            return Err(e);
        }
        Ok(Scratch {
            id,
            kind,
            dropped: false,
        })
    }

    /// Creates an empty SQLite database file in a new temporary directory.
    pub fn sqlite() -> Result<Scratch, DbError> {
        let dir = std::env::temp_dir().join(format!(
            "sluice-scratch-{}-{}",
            std::process::id(),
            unique()
        ));
        let kind = Kind::Sqlite {
            path: dir.join("scratch.db"),
            dir: dir.clone(),
        };
        // Registered first: a signal after the directory exists removes it.
        let (id, _) = register(&kind, Phase::Settled, None)?;
        if let Err(e) = std::fs::create_dir_all(&dir) {
            unregister(id);
            return Err(DbError::msg(format!("creating {}: {e}", dir.display())));
        }
        Ok(Scratch {
            id,
            kind,
            dropped: false,
        })
    }

    /// The scratch database's name (Postgres) or file (SQLite).
    pub fn name(&self) -> String {
        match &self.kind {
            Kind::Postgres { name, .. } | Kind::Mysql { name, .. } => name.clone(),
            Kind::Sqlite { path, .. } => path.display().to_string(),
        }
    }

    /// A URL of it, for another program that migrates it (the server's URL
    /// with the scratch database's name; SQLite: `sqlite://` and the file's
    /// absolute path).
    pub fn url(&self) -> Result<String, DbError> {
        match &self.kind {
            Kind::Postgres {
                name, server_url, ..
            } => {
                let mut u = url::Url::parse(server_url).map_err(|e| {
                    DbError::msg(format!(
                        "the scratch server's address is not a URL ({e}): another program cannot be pointed at the scratch database; write scratch_url as postgres://..."
                    ))
                })?;
                u.set_path(&format!("/{name}"));
                Ok(u.to_string())
            }
            Kind::Sqlite { path, .. } => Ok(format!("sqlite://{}", path.display())),
            Kind::Mysql { url, .. } => Ok(url.clone()),
        }
    }

    /// Opens a connection to it.
    pub fn connect(&self, history_schema: &str) -> Result<Box<dyn Database>, DbError> {
        match &self.kind {
            Kind::Postgres { admin, name, .. } => {
                let mut cfg = (**admin).clone();
                cfg.dbname(name);
                Ok(Box::new(PostgresDb::connect_config(cfg, history_schema)?))
            }
            Kind::Sqlite { path, .. } => Ok(Box::new(SqliteDb::open(
                &format!("//{}", path.display()),
                Path::new("/"),
            )?)),
            Kind::Mysql { url, .. } => Ok(Box::new(crate::mysql::MysqlDb::connect(url)?)),
        }
    }

    /// Drops it now (connections to it are terminated first) and reports
    /// failure; dropping the value does the same, silently.
    pub fn drop_now(&mut self) -> Result<(), DbError> {
        if self.dropped {
            return Ok(());
        }
        self.dropped = true;
        let r = cleanup(&self.kind);
        unregister(self.id);
        r
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = self.drop_now();
    }
}
