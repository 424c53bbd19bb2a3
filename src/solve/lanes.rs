//! CG and Lanczos side by side (the iterative flow's stages 2 and 3), over the shared
//! products of `batch.rs`:
//!
//! ```text
//! lanes:     [CG (t = inf) | Lanczos (finite t)]   each in its own thread, products batched
//! stages:    cg+lanczos = until the first finishes,  then cg or lanczos = the one left
//! progress:  CG's (log of its stopping measure), then Lanczos' once CG is done
//! ```
//!
//! Either lane may be absent; the results are those of running them one after the other.

use super::batch::{self, LaneFn};
use super::cg::Progress;
use super::flow::StageTime;
use super::funcs::FunResult;
use super::infinite::InfStage;
use crate::Result;
use crate::kernel_matrix::KernelMatrix;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// CG and Lanczos (either may be absent) side by side, sharing products (batch.rs), with
/// their progress (Lanczos' only once CG is done, so that a display shows one stage at a
/// time) and the stage times: `cg+lanczos` while both run, then the one left.
pub(crate) fn side_by_side<C, L>(
    k: &dyn KernelMatrix,
    par: faer::Par,
    cg: Option<C>,
    lz: Option<L>,
    progress: Progress<'_>,
) -> (
    Option<Result<InfStage>>,
    Option<Result<FunResult>>,
    Vec<StageTime>,
)
where
    C: FnOnce(&dyn KernelMatrix, Progress<'_>) -> Result<InfStage> + Send,
    L: FnOnce(&dyn KernelMatrix, Progress<'_>) -> Result<FunResult> + Send,
{
    enum Out {
        Cg(Box<Result<InfStage>>, Instant),
        Lz(Result<FunResult>, Instant),
    }
    let both = cg.is_some() && lz.is_some();
    let cg_done = AtomicBool::new(!both);
    let quiet_lz = |s: &str, d: usize, t: usize| {
        if cg_done.load(Ordering::Relaxed) {
            if let Some(f) = progress {
                f(s, d, t)
            }
        }
    };
    let lz_progress: Progress<'_> = if both && progress.is_some() {
        Some(&quiet_lz)
    } else {
        progress
    };
    let mut lanes: Vec<LaneFn<'_, Out>> = Vec::new();
    if let Some(c) = cg {
        let cg_done = &cg_done;
        lanes.push(Box::new(move |op| {
            let r = c(op, progress);
            cg_done.store(true, Ordering::Relaxed);
            Out::Cg(Box::new(r), Instant::now())
        }));
    }
    if let Some(l) = lz {
        lanes.push(Box::new(move |op| {
            Out::Lz(l(op, lz_progress), Instant::now())
        }));
    }
    let t0 = Instant::now();
    let (mut cg_out, mut lz_out, mut ends) = (None, None, Vec::new());
    for o in batch::side_by_side(k, par, lanes) {
        match o {
            Out::Cg(r, t) => {
                cg_out = Some(*r);
                ends.push(("cg", t));
            }
            Out::Lz(r, t) => {
                lz_out = Some(r);
                ends.push(("lanczos", t));
            }
        }
    }
    ends.sort_by_key(|e| e.1);
    let mut stages = Vec::new();
    let mut from = t0;
    for (i, &(name, t)) in ends.iter().enumerate() {
        let name = if i == 0 && ends.len() == 2 {
            "cg+lanczos"
        } else {
            name
        };
        stages.push(StageTime {
            stage: name.into(),
            seconds: t.duration_since(from).as_secs_f64(),
        });
        from = t;
    }
    (cg_out, lz_out, stages)
}
