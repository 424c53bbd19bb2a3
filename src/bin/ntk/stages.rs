//! Progress of a multi-stage job on stderr: one bar per stage (kernel build, spectrum,
//! preconditioner, CG, Lanczos, test pass) with an ETA on a terminal, and one line per stage
//! and per 10% of it (at least once a minute) otherwise (logs of long runs), with the elapsed
//! time.

use std::sync::Mutex;
use std::time::Instant;

struct State {
    stage: String,
    bar: Option<crate::common::Progress>,
    stage_start: Instant,
    last_tenth: usize,
    last_line: Instant,
}

/// Stage-aware progress reporting (call [`Stages::update`] from any thread).
pub struct Stages {
    quiet: bool,
    terminal: bool,
    start: Instant,
    state: Mutex<Option<State>>,
}

impl Stages {
    /// A reporter; `quiet` silences it.
    pub fn new(quiet: bool) -> Self {
        use std::io::IsTerminal;
        Stages {
            quiet,
            terminal: std::io::stderr().is_terminal(),
            start: Instant::now(),
            state: Mutex::new(None),
        }
    }

    fn close(&self, st: &mut State) {
        if let Some(b) = st.bar.as_mut() {
            b.finish();
        }
        eprintln!(
            "[{:7.1} s] {} done in {:.1} s",
            self.start.elapsed().as_secs_f64(),
            st.stage,
            st.stage_start.elapsed().as_secs_f64()
        );
    }

    /// `done` of `total` units of `stage` are finished.
    pub fn update(&self, stage: &str, done: usize, total: usize) {
        if self.quiet {
            return;
        }
        let Ok(mut guard) = self.state.lock() else {
            return;
        };
        if guard.as_ref().is_none_or(|s| s.stage != stage) {
            if let Some(mut old) = guard.take() {
                self.close(&mut old);
            }
            *guard = Some(State {
                stage: stage.to_string(),
                bar: self
                    .terminal
                    .then(|| crate::common::Progress::new(total as u64, stage, false)),
                stage_start: Instant::now(),
                last_tenth: 0,
                last_line: Instant::now(),
            });
        }
        let Some(st) = guard.as_mut() else { return };
        if let Some(b) = st.bar.as_mut() {
            b.total = total as u64;
            b.set(done as u64);
        } else if total > 0 && st.stage_start.elapsed().as_secs_f64() > 5.0 {
            let tenth = 10 * done / total;
            // a line per 10% of the stage, and at least one a minute (CG reports progress on
            // the log of its residual, Lanczos against its basis limit, which it rarely
            // reaches)
            if tenth > st.last_tenth || st.last_line.elapsed().as_secs_f64() > 60.0 {
                st.last_tenth = tenth;
                st.last_line = Instant::now();
                let el = st.stage_start.elapsed().as_secs_f64();
                let now = self.start.elapsed().as_secs_f64();
                if done == 0 {
                    // a stage that only announced itself (no measure of its progress)
                    eprintln!("[{now:7.1} s] {stage}: running for {el:.0} s");
                } else {
                    let eta = el * (total - done.min(total)) as f64 / done as f64;
                    eprintln!(
                        "[{now:7.1} s] {stage}: {done}/{total} ({}%), eta {eta:.0} s",
                        10 * tenth
                    );
                }
            }
        }
    }

    /// Close the last stage.
    pub fn finish(&self) {
        if let Ok(mut g) = self.state.lock() {
            if let Some(mut st) = g.take() {
                if !self.quiet {
                    self.close(&mut st);
                }
            }
        }
    }
}
