//! The memory plan of the iterative prediction job, checked before anything is allocated:
//!
//! ```text
//! bytes(storage: 1 or 2 kernels) + bytes(solver: preconditioner, outputs, inputs, ensemble)
//!     + 8 n (k + m) basis   <= budget       (f64, else f32, else refuse with the numbers)
//! ```
//!
//! `k` outputs, `m` ensemble test points (0 without `--ensemble`); the Lanczos basis is sized to
//! what the budget leaves, at least [`MIN_BASIS`] vectors per column.

use super::ensemble_scale::ensemble_bytes;
use super::predict::{KernelSource, PredictJob};
use crate::distributed::{self as dist, Comm};
use crate::dynamics::{Point, Training};
use crate::kernel_matrix::{self as km, Precision, StoragePlan, StorageRequest};
use crate::solve;
use crate::{Error, Result};
/// The points of a job: its times, then its steps.
pub fn points_of(job: &PredictJob<'_>) -> Vec<Point> {
    let mut p: Vec<Point> = job.times.iter().map(|&t| Point::Time(t)).collect();
    p.extend(job.steps.iter().map(|&k| Point::Steps(k)));
    p
}

/// Fewest Lanczos vectors per output column the planner accepts for finite times (the
/// Fashion-MNIST NTK needs ~170 at n = 5,000 for 1e-8; docs/solvers.md).
pub const MIN_BASIS: usize = 200;

/// Bytes the solver needs besides the kernel storage and the Lanczos bases, for `n` training
/// points, `k` outputs and `n_test` test points: the preconditioner (`n x rank`, three times
/// that for the randomized Nystrom sketch), per-point
/// outputs and coefficients (`3 p n k`, `2 p n_test k`), the inputs, and the products of CG
/// and Lanczos side by side: CG's vectors (`6 n k`), the shared product's blocks and their
/// copies (`8 n k`) and its scratch for `2k` columns (chunk partials and a copy of X).
pub fn fixed_solver_bytes(job: &PredictJob<'_>, n: usize, k: usize, n_test: usize) -> f64 {
    let p = points_of(job).len() as f64;
    let (nf, kf) = (n as f64, k as f64);
    let rank = job
        .solve
        .preconditioner_rank
        .unwrap_or_else(|| solve::precond::default_rank(n)) as f64;
    let inputs = match job.kernels {
        KernelSource::Network {
            x_train, x_test, ..
        } => 8.0 * x_train.ncols() as f64 * (nf + x_test.map_or(0.0, |x| x.nrows() as f64)),
        KernelSource::Given(_) => 0.0,
    };
    let partials = km::TileLayout::new(n, km::DEFAULT_TILE, job.chunks.max(1))
        .map_or(nf * 2.0 * kf * job.chunks as f64, |l| {
            l.partial_entries(2 * k) as f64
        });
    let products = 14.0 * nf * kf + partials + 2.0 * nf * kf;
    // the randomized Nystrom sketch holds Omega, Y and B while it is formed
    let copies = match job.solve.preconditioner {
        solve::precond::PreconditionerKind::PivotedCholesky => 1.0,
        solve::precond::PreconditionerKind::RandomizedNystrom => 3.0,
    };
    8.0 * (copies * nf * rank + 3.0 * p * nf * kf + 2.0 * p * n_test as f64 * kf + products)
        + inputs
}

/// Kernels the iterative job stores: the training kernel, and the NNGP prior beside an NTK
/// for the ensemble.
pub(super) fn stored_kernels(job: &PredictJob<'_>) -> usize {
    if job.ensemble && job.kernel == Training::Ntk {
        2
    } else {
        1
    }
}

/// Does the job have finite, nonzero points (the ones that need a Lanczos basis)?
fn needs_basis(job: &PredictJob<'_>) -> bool {
    points_of(job)
        .iter()
        .any(|q| !q.is_infinite() && q.as_time() > 0.0)
}

/// The memory plan, and the Lanczos basis size it affords: f64 storage if the storage, the
/// fixed solver bytes and at least [`MIN_BASIS`] basis vectors per output fit the budget, else
/// f32 (unless f64 is forced), else [`Error::Memory`] with the numbers. The basis is then
/// capped by what the budget leaves (`SolveOptions::max_basis` at most).
pub(super) fn plan_memory(
    job: &PredictJob<'_>,
    n: usize,
    n_test: usize,
    comm: &dyn Comm,
) -> Result<(StoragePlan, usize)> {
    if comm.size() > 1 && matches!(job.kernels, KernelSource::Network { .. }) {
        return plan_rank_memory(job, n, n_test, comm);
    }
    let k = job.y_train.ncols();
    let m = if job.ensemble { n_test } else { 0 };
    let per_vector = 8.0 * n as f64 * (k + m) as f64;
    let want_basis = if needs_basis(job) {
        job.solve.max_basis.min(n)
    } else {
        0
    };
    let min_basis = want_basis.min(MIN_BASIS);
    let mut fixed = fixed_solver_bytes(job, n, k, n_test);
    if job.ensemble {
        fixed += ensemble_bytes(n, m, k, points_of(job).len());
    }
    let mut req = StorageRequest::new(n);
    req.kernels = stored_kernels(job);
    req.extra_bytes = fixed + per_vector * min_basis as f64;
    req.budget = job.memory_limit.or_else(km::default_budget);
    req.allow_f32 = job.storage != Some(Precision::F64);
    let plan = if job.storage == Some(Precision::F32) {
        let storage = req.kernels as f64 * km::bytes(n, req.tile, Precision::F32)? as f64;
        let total = storage + req.extra_bytes;
        if let Some(b) = req.budget.filter(|&b| total > b) {
            return Err(Error::Memory(format!(
                "f32 storage of n = {n} needs {:.3} GB ({:.3} GB kernel + {:.3} GB solver) but the \
                 budget is {:.3} GB; use a larger --memory-limit or fewer points",
                total / 1e9,
                storage / 1e9,
                req.extra_bytes / 1e9,
                b / 1e9
            )));
        }
        StoragePlan {
            precision: Precision::F32,
            storage_bytes: storage,
            total_bytes: total,
            budget: req.budget,
        }
    } else {
        km::plan_storage(&req)?
    };
    let left = plan
        .budget
        .map_or(f64::INFINITY, |b| b - plan.storage_bytes - fixed);
    let basis = if want_basis == 0 {
        0
    } else {
        ((left / per_vector).floor().max(min_basis as f64) as usize).min(want_basis)
    };
    let plan = StoragePlan {
        total_bytes: plan.storage_bytes + fixed + per_vector * basis as f64,
        ..plan
    };
    Ok((plan, basis))
}

/// [`plan_memory`] for rank `comm.rank()` of a distributed run: its share of the storage
/// plus the (replicated) solver bytes against its budget; the precision and the basis are
/// then agreed by all ranks (f32 if any rank needs it, the smallest basis), so every rank
/// runs the same arithmetic.
fn plan_rank_memory(
    job: &PredictJob<'_>,
    n: usize,
    n_test: usize,
    comm: &dyn Comm,
) -> Result<(StoragePlan, usize)> {
    let k = job.y_train.ncols();
    let per_vector = 8.0 * n as f64 * k as f64;
    let want_basis = if needs_basis(job) {
        job.solve.max_basis.min(n)
    } else {
        0
    };
    let min_basis = want_basis.min(MIN_BASIS);
    let fixed = fixed_solver_bytes(job, n, k, n_test);
    let extra = fixed + per_vector * min_basis as f64;
    let budget = job.memory_limit.or_else(km::default_budget);
    let share = |p: Precision| -> Result<f64> {
        let b = dist::rank_bytes(n, km::DEFAULT_TILE, job.chunks, p, comm.rank(), comm.size())?;
        Ok(b as f64)
    };
    let choices: &[Precision] = match job.storage {
        Some(p) => std::slice::from_ref(match p {
            Precision::F64 => &Precision::F64,
            Precision::F32 => &Precision::F32,
        }),
        None => &[Precision::F64, Precision::F32],
    };
    let mut picked = None;
    for &p in choices {
        let storage = share(p)?;
        if budget.is_none_or(|b| storage + extra <= b) {
            picked = Some((p, storage));
            break;
        }
    }
    let mine = picked.ok_or_else(|| {
        let storage = share(*choices.last().unwrap_or(&Precision::F64)).unwrap_or(f64::NAN);
        Error::Memory(format!(
            "this rank's share of the kernel ({:.3} GB) and the solver ({:.3} GB) do not fit \
             its budget of {:.3} GB (--memory-limit, default 90% of available memory; {} \
             ranks); use more ranks, a larger --memory-limit or fewer points",
            storage / 1e9,
            extra / 1e9,
            budget.unwrap_or(f64::INFINITY) / 1e9,
            comm.size()
        ))
    });
    let (p, _) = dist::agree(comm, mine)?;
    let flags = comm.all_gather(&[f64::from(u8::from(p == Precision::F32))]);
    let precision = if flags.iter().any(|f| f.first() == Some(&1.0)) {
        Precision::F32
    } else {
        Precision::F64
    };
    let storage = share(precision)?;
    let left = budget.map_or(f64::INFINITY, |b| b - storage - fixed);
    let basis = if want_basis == 0 {
        0
    } else {
        ((left / per_vector).floor().max(min_basis as f64) as usize).min(want_basis)
    };
    let basis = comm
        .all_gather(&[basis as f64])
        .iter()
        .filter_map(|v| v.first().copied())
        .fold(basis as f64, f64::min) as usize;
    Ok((
        StoragePlan {
            precision,
            storage_bytes: storage,
            total_bytes: storage + fixed + per_vector * basis as f64,
            budget,
        },
        basis,
    ))
}
