//! Shared products: solvers that step side by side share each pass over the kernel.
//!
//! ```text
//! lane i (its own thread):    Y_i = K X_i  ->  request (i, X_i), wait for Y_i
//! server (the caller's thread): once every running lane has a request,
//!     [Y_0 | Y_1 | ...] = K [X_0 | X_1 | ...]      (one product, one pass over memory)
//! ```
//!
//! A lane that returns leaves; the others go on alone. A stored kernel's product is bound by
//! reading the kernel, so two solvers of `k` columns each cost about one product of `2k`
//! columns per step instead of two of `k` (`docs/solvers.md` has the measured ratio).
//!
//! Reproducibility: the server waits for every running lane before it multiplies, so the
//! batches are a function of the lanes' own sequences of products, never of timing; and by the
//! [`KernelMatrix`] contract a column's product does not depend on the columns beside it. Every
//! lane therefore gets the bits it would get alone, for any thread count. Products are issued
//! only from the caller's thread (what MPI's funneled threading level allows). Lanes may call
//! only `apply` on their operator for products; the other methods read the kernel directly.

use crate::kernel_matrix::{KernelMatrix, Precision};
use faer::{Mat, MatMut, MatRef, Par};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel};

enum Msg {
    Apply(usize, Mat<f64>),
    Leave,
}

/// The operator a lane sees: `apply` goes through the server, the rest to the kernel.
struct Lane<'k> {
    id: usize,
    inner: &'k dyn KernelMatrix,
    to_server: Sender<Msg>,
    reply: Mutex<Receiver<Mat<f64>>>,
}

impl KernelMatrix for Lane<'_> {
    fn n(&self) -> usize {
        self.inner.n()
    }

    fn diagonal(&self) -> Vec<f64> {
        self.inner.diagonal()
    }

    fn apply(&self, x: MatRef<'_, f64>, mut out: MatMut<'_, f64>, _par: Par) {
        let y = self
            .to_server
            .send(Msg::Apply(self.id, x.to_owned()))
            .ok()
            .and_then(|_| self.reply.lock().ok()?.recv().ok());
        match y {
            Some(y) => out.copy_from(&y),
            // the server is gone (it only leaves when every lane has): a non-finite product,
            // which every solver reports as a numerical error
            None => out.fill(f64::NAN),
        }
    }

    fn columns(&self, cols: &[usize], out: MatMut<'_, f64>) {
        self.inner.columns(cols, out)
    }

    fn bytes(&self) -> usize {
        self.inner.bytes()
    }

    fn precision(&self) -> Precision {
        self.inner.precision()
    }

    fn scratch_bytes(&self, k: usize) -> usize {
        self.inner.scratch_bytes(k)
    }
}

impl Drop for Lane<'_> {
    fn drop(&mut self) {
        let _ = self.to_server.send(Msg::Leave);
    }
}

/// One lane's work: a solver run against the operator it is given.
pub(crate) type LaneFn<'a, R> = Box<dyn FnOnce(&dyn KernelMatrix) -> R + Send + 'a>;

/// Run every lane in its own thread, each seeing `k` through an operator whose products are
/// shared with the other lanes' (see the module docs); the results in lane order. Products run
/// on this thread with `par`.
///
/// A lane that panics leaves like one that returns, and the panic is resumed here.
pub(crate) fn side_by_side<R: Send>(
    k: &dyn KernelMatrix,
    par: Par,
    lanes: Vec<LaneFn<'_, R>>,
) -> Vec<R> {
    let (to_server, from_lanes) = channel();
    std::thread::scope(|s| {
        let mut handles = Vec::with_capacity(lanes.len());
        let mut replies = Vec::with_capacity(lanes.len());
        for (id, work) in lanes.into_iter().enumerate() {
            let (reply_tx, reply_rx) = channel();
            replies.push(reply_tx);
            let lane = Lane {
                id,
                inner: k,
                to_server: to_server.clone(),
                reply: Mutex::new(reply_rx),
            };
            handles.push(s.spawn(move || work(&lane)));
        }
        drop(to_server);
        serve(k, par, &from_lanes, &replies);
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// The server loop: gather one request per running lane, multiply them together, reply.
fn serve(k: &dyn KernelMatrix, par: Par, from_lanes: &Receiver<Msg>, replies: &[Sender<Mat<f64>>]) {
    let mut pending: Vec<Option<Mat<f64>>> = (0..replies.len()).map(|_| None).collect();
    let mut running = replies.len();
    while running > 0 {
        if pending.iter().filter(|p| p.is_some()).count() == running {
            multiply(k, par, &mut pending, replies);
            continue;
        }
        match from_lanes.recv() {
            Ok(Msg::Apply(i, x)) => pending[i] = Some(x),
            Ok(Msg::Leave) => running -= 1,
            Err(_) => break,
        }
    }
}

/// `[Y_i] = K [X_i]` over the pending requests, in lane order; each reply sent to its lane.
fn multiply(
    k: &dyn KernelMatrix,
    par: Par,
    pending: &mut [Option<Mat<f64>>],
    replies: &[Sender<Mat<f64>>],
) {
    let n = k.n();
    let width: usize = pending.iter().flatten().map(|x| x.ncols()).sum();
    let mut x = Mat::<f64>::zeros(n, width);
    let mut at = 0;
    for p in pending.iter().flatten() {
        x.as_mut().subcols_mut(at, p.ncols()).copy_from(p);
        at += p.ncols();
    }
    let mut y = Mat::<f64>::zeros(n, width);
    if width > 0 {
        k.apply(x.as_ref(), y.as_mut(), par);
    }
    let mut at = 0;
    for (i, p) in pending.iter_mut().enumerate() {
        if let Some(xi) = p.take() {
            let w = xi.ncols();
            let _ = replies[i].send(y.as_ref().subcols(at, w).to_owned());
            at += w;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel_matrix::{Dense, Packed};

    fn kernel(n: usize) -> Mat<f64> {
        let mut r = crate::rng::Rng::new(11);
        let g = Mat::from_fn(n, n + 3, |_, _| r.normal());
        &g * g.transpose()
    }

    /// A lane's sequence of products: x_{j+1} = normalised K x_j, `steps` times, k columns.
    fn power(op: &dyn KernelMatrix, k: usize, steps: usize, seed: u64) -> Vec<Mat<f64>> {
        let mut r = crate::rng::Rng::new(seed);
        let mut x = Mat::from_fn(op.n(), k, |_, _| r.normal());
        let mut out = Vec::new();
        for _ in 0..steps {
            let mut y = Mat::zeros(op.n(), k);
            op.apply(x.as_ref(), y.as_mut(), Par::rayon(2));
            let s = y.norm_l2();
            x = Mat::from_fn(op.n(), k, |i, j| y[(i, j)] / s);
            out.push(y);
        }
        out
    }

    #[test]
    fn every_lane_gets_the_bits_it_gets_alone() {
        let d = kernel(203);
        let dense = Dense::new(d.clone()).unwrap();
        let packed = Packed::<f32>::from_dense(d.as_ref(), 32).unwrap();
        for op in [&dense as &dyn KernelMatrix, &packed] {
            // lanes of different widths and lengths (one leaves early, one does nothing)
            let alone: Vec<_> = [(3, 7, 1), (10, 2, 2), (1, 0, 3), (5, 4, 4)]
                .iter()
                .map(|&(k, s, seed)| power(op, k, s, seed))
                .collect();
            for _ in 0..3 {
                let lanes: Vec<LaneFn<'_, Vec<Mat<f64>>>> =
                    [(3, 7, 1), (10, 2, 2), (1, 0, 3), (5, 4, 4)]
                        .iter()
                        .map(|&(k, s, seed)| {
                            Box::new(move |o: &dyn KernelMatrix| power(o, k, s, seed))
                                as LaneFn<'_, _>
                        })
                        .collect();
                assert_eq!(side_by_side(op, Par::rayon(2), lanes), alone);
            }
        }
    }

    #[test]
    fn no_lanes_and_one_lane() {
        let d = Dense::new(kernel(9)).unwrap();
        let none: Vec<LaneFn<'_, ()>> = Vec::new();
        assert!(side_by_side(&d, Par::Seq, none).is_empty());
        let one: Vec<LaneFn<'_, Vec<Mat<f64>>>> = vec![Box::new(|o| power(o, 2, 3, 5))];
        assert_eq!(side_by_side(&d, Par::Seq, one), vec![power(&d, 2, 3, 5)]);
    }

    #[test]
    #[should_panic(expected = "lane panic")]
    fn a_panicking_lane_does_not_hang_the_others() {
        let d = Dense::new(kernel(9)).unwrap();
        let lanes: Vec<LaneFn<'_, usize>> = vec![
            Box::new(|o| power(o, 2, 5, 5).len()),
            Box::new(|o| {
                power(o, 1, 2, 6);
                panic!("lane panic")
            }),
        ];
        side_by_side(&d, Par::Seq, lanes);
    }
}
