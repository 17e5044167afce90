//! Progress on long work (`apply` of many migrations, `plan`'s replay,
//! `check` over thousands of files, `verify`/`snapshot`, `guard`):
//!
//! - on a terminal (stderr is a TTY, `CI` unset, `TERM` not `dumb`): a bar
//!   with counts and the current item, cleared when the work ends;
//! - otherwise (piped, in CI): plain lines on stderr, at most one per item
//!   and at most about twenty per task;
//! - nothing with `-q`.
//!
//! Progress always goes to stderr, so `--format json` (stdout) never holds
//! it.

use crate::project::Project;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Nothing (`-q`).
    Quiet,
    /// Plain lines.
    Lines,
    /// A bar on the terminal.
    Bar,
}

/// The mode for this run.
pub fn mode(project: &Project) -> Mode {
    if project.global.quiet {
        Mode::Quiet
    } else if std::io::stderr().is_terminal()
        && std::env::var_os("CI").is_none()
        && std::env::var("TERM").map_or(true, |t| t != "dumb")
    {
        Mode::Bar
    } else {
        Mode::Lines
    }
}

/// One task's progress.
pub struct Progress {
    mode: Mode,
    label: String,
    total: usize,
    done: usize,
    every: usize,
    bar: Option<ProgressBar>,
}

impl Progress {
    /// Starts a task of `total` items (nothing is shown for fewer than
    /// `min` items: short work needs no progress).
    pub fn start(project: &Project, label: &str, total: usize, min: usize) -> Progress {
        let mode = if total < min {
            Mode::Quiet
        } else {
            mode(project)
        };
        let bar = (mode == Mode::Bar).then(|| {
            let b = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            b.set_style(
                ProgressStyle::with_template(
                    "{prefix:>8} [{bar:30}] {pos}/{len} {elapsed:>4} {wide_msg}",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            );
            b.set_prefix(label.to_string());
            b
        });
        Progress {
            mode,
            label: label.to_string(),
            total,
            done: 0,
            every: total.div_ceil(20).max(1),
            bar,
        }
    }

    /// The item now being worked on.
    pub fn working_on(&self, item: &str) {
        if let Some(b) = &self.bar {
            b.set_message(item.to_string());
        }
    }

    /// One item finished.
    pub fn tick(&mut self, item: &str) {
        self.advance(1, item);
    }

    /// Whether every item is done.
    pub fn finished(&self) -> bool {
        self.done >= self.total
    }

    /// Several items finished at once.
    pub fn advance(&mut self, n: usize, item: &str) {
        if n == 0 {
            return;
        }
        let before = self.done;
        self.done += n;
        match self.mode {
            Mode::Quiet => {}
            Mode::Bar => {
                if let Some(b) = &self.bar {
                    b.set_position(self.done as u64);
                    b.set_message(item.to_string());
                }
            }
            Mode::Lines => {
                if before / self.every != self.done / self.every || self.done == self.total {
                    let sep = if item.is_empty() { "" } else { " " };
                    eprintln!("{}: {}/{}{sep}{item}", self.label, self.done, self.total);
                }
            }
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl Progress {
    /// Runs `f` (which prints to stdout) without tearing the bar.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(b) => b.suspend(f),
            None => f(),
        }
    }
}

/// Work counted from several threads (`check` judges migrations on every
/// core): the workers count into [`WORK`], and [`watch`] shows it.
pub struct Work {
    total: std::sync::atomic::AtomicUsize,
    done: std::sync::atomic::AtomicUsize,
}

/// The work of the current command.
pub static WORK: Work = Work {
    total: std::sync::atomic::AtomicUsize::new(0),
    done: std::sync::atomic::AtomicUsize::new(0),
};

impl Work {
    /// `n` items are about to be worked on.
    pub fn begin(&self, n: usize) {
        use std::sync::atomic::Ordering::Relaxed;
        self.done.store(0, Relaxed);
        self.total.store(n, Relaxed);
    }

    /// One item is done.
    pub fn inc(&self) {
        self.done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Runs `f`, showing [`WORK`]'s counts under `label` while it runs (for
/// tasks of at least `min` items).
pub fn watch<R>(project: &Project, label: &str, min: usize, f: impl FnOnce() -> R) -> R {
    use std::sync::atomic::Ordering::Relaxed;
    let mode = mode(project);
    if mode == Mode::Quiet {
        return f();
    }
    WORK.begin(0);
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut shown: Option<Progress> = None;
            let mut last = 0;
            loop {
                let finished = stop.load(Relaxed);
                let (total, done) = (WORK.total.load(Relaxed), WORK.done.load(Relaxed));
                if shown.is_none() && total >= min {
                    shown = Some(Progress::start(project, label, total, min));
                }
                if let Some(p) = &mut shown {
                    if done > last {
                        p.advance(done - last, "");
                        last = done;
                    }
                }
                if finished {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(80));
            }
        });
        let r = f();
        stop.store(true, Relaxed);
        r
    })
}
