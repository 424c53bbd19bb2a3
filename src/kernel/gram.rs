//! Gram blocks `G[i, j] = x1_i . x2_j` (rows `i` of X1 against rows `j` of X2) with ONE fixed
//! summation order per entry, whatever the block's shape, position or thread:
//!
//! ```text
//! G[i, j] = fma(x1[i, d-1], x2[j, d-1], ... fma(x1[i, 1], x2[j, 1], fma(x1[i, 0], x2[j, 0], 0)))
//! ```
//!
//! a sequential chain of fused multiply-adds over k = 0..d. Because every entry's bits depend
//! on nothing but its two rows, a tile computed on its own ([`super::KernelPlan::tile`]), a
//! kernel computed with any tile size, and a kernel computed on any number of threads agree
//! bitwise; a general GEMM (faer's) picks its microkernel, operand order and k-blocking from
//! the call's shape, so its entries' rounding changes with the block. The chain is also the
//! same on every x86-64 CPU: the AVX2+FMA microkernel holds one entry per SIMD lane, and the
//! fallback performs the same `f64::mul_add` chain one entry at a time.
//!
//! Speed comes from the usual GEMM structure (Goto/BLIS): both inputs are packed once per
//! plan into panels of 4 rows (`[panel][k][4]`, zero padded), a block is swept in depth
//! chunks of `KC` so that a 12 x KC micro-panel of X1 stays in L1 and the block's X2 panels in
//! L2, and a 12 x 4 register microkernel does 12 FMAs per 7 loads. The accumulators are
//! stored between depth chunks and reloaded, which continues the same chain (no extra
//! rounding).

use faer::{MatMut, MatRef};
use std::ops::Range;

/// Rows per packed panel (one AVX2 register of f64).
const P: usize = 4;
/// Panels of X1 per microkernel (12 rows).
const MP: usize = 3;
/// Depth chunk.
/// Depth chunk (measured 64..784 at n = 3000, d = 784: within noise; 256 keeps a 12 x KC
/// micro-panel of X1 (24 KB) in L1 and a 256-column block's X2 panels (512 KB) in L2).
const KC: usize = 256;
/// Doubles per micro-tile of accumulators (MP panels x P columns x P lanes).
const TILE: usize = MP * P * P;

/// The rows of a matrix in panels of 4 rows: `data[(p * d + k) * 4 + r] = x[4 p + r, k]`,
/// rows past the end zero.
pub(crate) struct Packed {
    n: usize,
    d: usize,
    data: Vec<f64>,
}

impl Packed {
    /// Pack the rows of `x` (any layout).
    pub fn new(x: MatRef<'_, f64>) -> Self {
        let (n, d) = (x.nrows(), x.ncols());
        let panels = n.div_ceil(P);
        let mut data = vec![0.0; panels * d * P];
        for (p, chunk) in data.chunks_exact_mut(d * P).enumerate() {
            let rows = (p * P)..((p + 1) * P).min(n);
            for k in 0..d {
                for (r, i) in rows.clone().enumerate() {
                    chunk[k * P + r] = x[(i, k)];
                }
            }
        }
        Packed { n, d, data }
    }

    fn panel(&self, p: usize, k0: usize) -> *const f64 {
        self.data[(p * self.d + k0) * P..].as_ptr()
    }
}

/// `out[ii, jj] = x1_{rows.start + ii} . x2_{cols.start + jj}` (the chain above). With
/// `lower`, only entries with global column <= global row are guaranteed (the rest are left
/// unspecified). `scratch` is reused between calls. Both inputs must have the same depth and
/// the ranges must be in bounds (checked by the callers, which own the shapes).
pub(crate) fn gram(
    a: &Packed,
    rows: Range<usize>,
    b: &Packed,
    cols: Range<usize>,
    lower: bool,
    scratch: &mut Vec<f64>,
    mut out: MatMut<'_, f64>,
) {
    debug_assert_eq!(a.d, b.d);
    debug_assert!(rows.end <= a.n && cols.end <= b.n);
    if rows.is_empty() || cols.is_empty() {
        return;
    }
    let d = a.d;
    if d == 0 {
        out.fill(0.0);
        return;
    }
    let (p0, p1) = (rows.start / P, rows.end.div_ceil(P));
    let (q0, q1) = (cols.start / P, cols.end.div_ceil(P));
    let groups = (p1 - p0).div_ceil(MP);
    let nq = q1 - q0;
    scratch.resize(groups * nq * TILE, 0.0);
    // a micro-tile whose first column is past its last row holds only unneeded entries
    let needed = |g: usize, q: usize| {
        let last_row = ((p0 + (g + 1) * MP).min(p1)) * P - 1;
        !lower || (q0 + q) * P <= last_row
    };
    let avx2 = has_avx2_fma();
    for k0 in (0..d).step_by(KC) {
        let kc = KC.min(d - k0);
        let first = k0 == 0;
        for g in 0..groups {
            let pa = p0 + g * MP;
            let m = MP.min(p1 - pa);
            let ap = [
                a.panel(pa, k0),
                a.panel(pa + (m > 1) as usize, k0),
                a.panel(pa + 2 * (m > 2) as usize, k0),
            ];
            for q in 0..nq {
                if !needed(g, q) {
                    continue;
                }
                let bp = b.panel(q0 + q, k0);
                let c = &mut scratch[(g * nq + q) * TILE..(g * nq + q + 1) * TILE];
                // SAFETY: each panel pointer starts a run of kc * P readable doubles (the
                // panel's remaining depth is d - k0 >= kc), and `c` holds TILE doubles.
                unsafe { microkernel(avx2, m, kc, ap, bp, c, first) };
            }
        }
    }
    let rs = rows.start;
    for (jj, j) in cols.clone().enumerate() {
        let (q, jl) = (j / P - q0, j % P);
        let i_first = if lower { j.max(rs) } else { rs };
        for i in i_first..rows.end {
            let pi = i / P - p0;
            let (g, mm) = (pi / MP, pi % MP);
            out[(i - rs, jj)] = scratch[(g * nq + q) * TILE + (mm * P + jl) * P + i % P];
        }
    }
}

/// Whether the AVX2 + FMA microkernel can run (checked once).
fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::sync::OnceLock;
        static HAS: OnceLock<bool> = OnceLock::new();
        *HAS.get_or_init(|| {
            std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// One micro-tile: `m` (1..=3) panels of X1 against one panel of X2 over `kc` depth steps,
/// continuing the chains stored in `c` (or starting them from 0 when `first`).
///
/// # Safety
/// `a[..m]` and `b` point to at least `kc * P` readable doubles each; `avx2` only if the CPU
/// has AVX2 and FMA.
#[inline]
unsafe fn microkernel(
    avx2: bool,
    m: usize,
    kc: usize,
    a: [*const f64; MP],
    b: *const f64,
    c: &mut [f64],
    first: bool,
) {
    #[cfg(target_arch = "x86_64")]
    if avx2 {
        // SAFETY: forwarded from the caller.
        unsafe {
            match m {
                3 => avx2_fma::<3>(kc, a, b, c, first),
                2 => avx2_fma::<2>(kc, a, b, c, first),
                _ => avx2_fma::<1>(kc, a, b, c, first),
            }
        }
        return;
    }
    let _ = avx2;
    // SAFETY: forwarded from the caller.
    unsafe { scalar(m, kc, a, b, c, first) }
}

/// The reference chain, one entry at a time (same operations as the SIMD lanes).
///
/// # Safety
/// As [`microkernel`].
unsafe fn scalar(
    m: usize,
    kc: usize,
    a: [*const f64; MP],
    b: *const f64,
    c: &mut [f64],
    first: bool,
) {
    for (mm, &ap) in a.iter().enumerate().take(m) {
        for j in 0..P {
            for r in 0..P {
                let slot = (mm * P + j) * P + r;
                let mut acc = if first { 0.0 } else { c[slot] };
                for k in 0..kc {
                    // SAFETY: k * P + r, k * P + j < kc * P (caller's contract).
                    let (x, y) = unsafe { (*ap.add(k * P + r), *b.add(k * P + j)) };
                    acc = x.mul_add(y, acc);
                }
                c[slot] = acc;
            }
        }
    }
}

/// The AVX2 + FMA microkernel for `M` panels: lane r of accumulator (mm, j) is the entry
/// (row 4 mm + r, column j); per depth step 1 load per panel, 4 broadcasts, 4 M FMAs.
///
/// # Safety
/// As [`microkernel`], with M <= 3 and the CPU supporting AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn avx2_fma<const M: usize>(
    kc: usize,
    a: [*const f64; MP],
    b: *const f64,
    c: &mut [f64],
    first: bool,
) {
    use std::arch::x86_64::*;
    let cp = c.as_mut_ptr();
    let mut acc = [[_mm256_setzero_pd(); P]; M];
    if !first {
        for (mm, row) in acc.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                // SAFETY: (mm * P + j) * P + 3 < TILE = c.len().
                *v = unsafe { _mm256_loadu_pd(cp.add((mm * P + j) * P)) };
            }
        }
    }
    if let Ok(full) = <&mut [_; MP]>::try_from(&mut acc[..]) {
        // SAFETY: forwarded (a[..3], b readable for kc * P doubles; AVX2 + FMA present).
        unsafe { avx2_fma_12x4(kc, a, b, full) };
    } else {
        // SAFETY: forwarded.
        unsafe { avx2_fma_loop::<M>(kc, a, b, &mut acc) };
    }
    for (mm, row) in acc.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            // SAFETY: as for the loads.
            unsafe { _mm256_storeu_pd(cp.add((mm * P + j) * P), *v) };
        }
    }
}

/// The depth loop of [`avx2_fma`] in intrinsics (the 1- and 2-panel edge kernels).
///
/// # Safety
/// As [`avx2_fma`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::needless_range_loop)] // j indexes the broadcast and every accumulator row
unsafe fn avx2_fma_loop<const M: usize>(
    kc: usize,
    a: [*const f64; MP],
    b: *const f64,
    acc: &mut [[std::arch::x86_64::__m256d; P]; M],
) {
    use std::arch::x86_64::*;
    for k in 0..kc {
        let mut av = [_mm256_setzero_pd(); M];
        for (mm, v) in av.iter_mut().enumerate() {
            // SAFETY: k * P + 3 < kc * P (caller's contract).
            *v = unsafe { _mm256_loadu_pd(a[mm].add(k * P)) };
        }
        for j in 0..P {
            // SAFETY: as above.
            let bj = unsafe { _mm256_broadcast_sd(&*b.add(k * P + j)) };
            for mm in 0..M {
                acc[mm][j] = _mm256_fmadd_pd(av[mm], bj, acc[mm][j]);
            }
        }
    }
}

/// The full 12 x 4 depth loop in assembly: with 12 accumulators, 3 panel registers and one
/// broadcast it needs all 16 AVX2 registers, which the compiler does not allocate without
/// spills. Each `vfmadd231pd acc, a, b` is `acc = fma(a, b, acc)`, the same single rounding
/// as `_mm256_fmadd_pd` and `f64::mul_add`.
///
/// # Safety
/// As [`avx2_fma`], with kc >= 1.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn avx2_fma_12x4(
    kc: usize,
    a: [*const f64; MP],
    b: *const f64,
    acc: &mut [[std::arch::x86_64::__m256d; P]; MP],
) {
    if kc == 0 {
        return;
    }
    let [r0, r1, r2] = acc;
    // SAFETY: the loop reads a[m][0..4 kc] and b[0..4 kc] only (caller's contract) and
    // writes no memory; the registers it clobbers are declared.
    unsafe {
        std::arch::asm!(
            "2:",
            "vmovupd ymm12, ymmword ptr [{a0} + {off}]",
            "vmovupd ymm13, ymmword ptr [{a1} + {off}]",
            "vmovupd ymm14, ymmword ptr [{a2} + {off}]",
            "vbroadcastsd ymm15, qword ptr [{b} + {off}]",
            "vfmadd231pd ymm0, ymm12, ymm15",
            "vfmadd231pd ymm1, ymm13, ymm15",
            "vfmadd231pd ymm2, ymm14, ymm15",
            "vbroadcastsd ymm15, qword ptr [{b} + {off} + 8]",
            "vfmadd231pd ymm3, ymm12, ymm15",
            "vfmadd231pd ymm4, ymm13, ymm15",
            "vfmadd231pd ymm5, ymm14, ymm15",
            "vbroadcastsd ymm15, qword ptr [{b} + {off} + 16]",
            "vfmadd231pd ymm6, ymm12, ymm15",
            "vfmadd231pd ymm7, ymm13, ymm15",
            "vfmadd231pd ymm8, ymm14, ymm15",
            "vbroadcastsd ymm15, qword ptr [{b} + {off} + 24]",
            "vfmadd231pd ymm9, ymm12, ymm15",
            "vfmadd231pd ymm10, ymm13, ymm15",
            "vfmadd231pd ymm11, ymm14, ymm15",
            "add {off}, 32",
            "dec {k}",
            "jnz 2b",
            a0 = in(reg) a[0],
            a1 = in(reg) a[1],
            a2 = in(reg) a[2],
            b = in(reg) b,
            off = inout(reg) 0usize => _,
            k = inout(reg) kc => _,
            inout("ymm0") r0[0],
            inout("ymm1") r1[0],
            inout("ymm2") r2[0],
            inout("ymm3") r0[1],
            inout("ymm4") r1[1],
            inout("ymm5") r2[1],
            inout("ymm6") r0[2],
            inout("ymm7") r1[2],
            inout("ymm8") r2[2],
            inout("ymm9") r0[3],
            inout("ymm10") r1[3],
            inout("ymm11") r2[3],
            out("ymm12") _,
            out("ymm13") _,
            out("ymm14") _,
            out("ymm15") _,
            options(nostack, readonly),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use faer::Mat;

    fn randn(n: usize, d: usize, seed: u64) -> Mat<f64> {
        let mut r = Rng::new(seed);
        Mat::from_fn(n, d, |_, _| r.normal())
    }

    /// The chain written out directly.
    fn chain(x: &Mat<f64>, i: usize, y: &Mat<f64>, j: usize) -> f64 {
        (0..x.ncols()).fold(0.0, |acc, k| x[(i, k)].mul_add(y[(j, k)], acc))
    }

    #[test]
    fn every_block_is_the_chain_bitwise() {
        // depths around the chunk size, odd row counts, blocks at odd offsets
        for &(n1, n2, d) in &[(13, 9, 1), (23, 17, 127), (30, 11, 128), (19, 26, 300)] {
            let (x, y) = (randn(n1, d, 1), randn(n2, d, 2));
            let (pa, pb) = (Packed::new(x.as_ref()), Packed::new(y.as_ref()));
            let mut scratch = Vec::new();
            for (rows, cols) in [
                (0..n1, 0..n2),
                (3..n1 - 1, 5..7),
                (7..8, 2..n2),
                (1..12, 0..1),
            ] {
                let mut g = Mat::zeros(rows.len(), cols.len());
                gram(
                    &pa,
                    rows.clone(),
                    &pb,
                    cols.clone(),
                    false,
                    &mut scratch,
                    g.as_mut(),
                );
                for (ii, i) in rows.clone().enumerate() {
                    for (jj, j) in cols.clone().enumerate() {
                        assert_eq!(g[(ii, jj)].to_bits(), chain(&x, i, &y, j).to_bits());
                    }
                }
            }
        }
    }

    #[test]
    fn scalar_fallback_matches_the_simd_kernel() {
        let (x, d) = (randn(12, 200, 3), 200);
        let p = Packed::new(x.as_ref());
        let a = [p.panel(0, 0), p.panel(1, 0), p.panel(2, 0)];
        let (mut c1, mut c2) = (vec![0.0; TILE], vec![0.0; TILE]);
        // SAFETY: panels of depth d = 200 >= kc; the SIMD path runs only if detected.
        unsafe {
            microkernel(has_avx2_fma(), 3, d, a, p.panel(1, 0), &mut c1, true);
            microkernel(false, 3, d, a, p.panel(1, 0), &mut c2, true);
        }
        assert_eq!(c1, c2);
        assert!(c1.iter().all(|v| v.is_finite() && *v != 0.0));
    }

    #[test]
    fn lower_blocks_fill_the_lower_triangle() {
        let x = randn(37, 50, 4);
        let p = Packed::new(x.as_ref());
        let mut scratch = Vec::new();
        let mut g = Mat::zeros(20, 20);
        gram(&p, 10..30, &p, 10..30, true, &mut scratch, g.as_mut());
        for jj in 0..20 {
            for ii in jj..20 {
                assert_eq!(g[(ii, jj)], chain(&x, 10 + ii, &x, 10 + jj));
            }
        }
    }
}
