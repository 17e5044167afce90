//! The migration lock as an RAII guard with a deadline.

use crate::{Database, DbError};
use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LockError {
    /// Someone else held it for the whole wait.
    #[error("could not take the migration lock within {}s: another sluice run holds it on this database (or a killed run's session has not ended yet); wait for it to finish and run the command again, or raise lock_wait / MIGRATION_TIMEOUT_SECONDS", waited.as_secs_f64().round())]
    Timeout {
        /// How long we waited.
        waited: Duration,
    },
    /// The database failed while we asked.
    #[error("taking the migration lock failed: {0}")]
    Db(#[from] DbError),
}

/// Holds the migration lock on a connection; releases it when dropped.
///
/// The guard owns the connection, so no code can keep using a connection after
/// its lock is gone, and every exit path (return, `?`, panic) releases it.
pub struct LockGuard {
    db: Box<dyn Database>,
}

impl LockGuard {
    /// Polls [`crate::Locker::try_lock`] with exponential backoff (50 ms doubling
    /// to 1 s) until `wait` has passed. `on_wait` is called once, the first time
    /// the lock is found taken, so the caller can say it is waiting.
    pub fn acquire(
        mut db: Box<dyn Database>,
        wait: Duration,
        mut on_wait: impl FnMut(),
    ) -> Result<LockGuard, LockError> {
        let start = Instant::now();
        let mut delay = Duration::from_millis(50);
        let mut told = false;
        loop {
            if db.try_lock()? {
                return Ok(LockGuard { db });
            }
            let elapsed = start.elapsed();
            if elapsed >= wait {
                return Err(LockError::Timeout { waited: elapsed });
            }
            if !told {
                on_wait();
                told = true;
            }
            std::thread::sleep(delay.min(wait - elapsed));
            delay = (delay * 2).min(Duration::from_secs(1));
        }
    }
}

impl Deref for LockGuard {
    type Target = dyn Database;
    fn deref(&self) -> &Self::Target {
        &*self.db
    }
}

impl DerefMut for LockGuard {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut *self.db
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        // Failure to unlock is survivable: the lock is session-scoped and ends with
        // the connection, which is dropped right after this.
        let _ = self.db.unlock();
    }
}
