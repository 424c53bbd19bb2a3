//! The coefficient sets of one kernel computation, by variance: filled while the per-point
//! variances are computed, then frozen and read lock-free by every entry (see [`Cache`]).

use super::{Coeffs, Kind};

/// Coefficients by variance (bit pattern), shared by the threads of one kernel computation:
/// the values are a pure function of the variance, so results do not depend on the order in
/// which threads fill it. Once every variance a computation needs is in (a kernel plan's
/// per-point variances), [`Cache::freeze`] makes a read-only copy that [`Cache::with`] reads
/// without a lock or a reference count (both of which the threads would contend for on
/// every entry).
#[derive(Debug, Default)]
pub(crate) struct Cache {
    map: std::sync::RwLock<std::collections::HashMap<u64, std::sync::Arc<Coeffs>>>,
    frozen: std::sync::OnceLock<Frozen>,
}

type Frozen =
    std::collections::HashMap<u64, std::sync::Arc<Coeffs>, std::hash::BuildHasherDefault<BitsHash>>;

/// A hash of one `u64` key (a variance's bits): a multiplication and a fold.
#[derive(Debug, Default)]
pub(crate) struct BitsHash(u64);

impl std::hash::Hasher for BitsHash {
    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 32)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0 ^ x).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

impl Cache {
    /// The coefficients of variance `q`, computed on first use.
    pub fn get(&self, kind: Kind, q: f64) -> std::sync::Arc<Coeffs> {
        let key = q.to_bits();
        if let Ok(m) = self.map.read() {
            if let Some(c) = m.get(&key) {
                return c.clone();
            }
        }
        let c = std::sync::Arc::new(Coeffs::new(kind, q));
        if let Ok(mut m) = self.map.write() {
            m.entry(key).or_insert_with(|| c.clone());
        }
        c
    }

    /// Make the read-only copy of what is in the cache now (once; later calls do nothing).
    pub fn freeze(&self) {
        if let Ok(m) = self.map.read() {
            let _ = self
                .frozen
                .set(m.iter().map(|(k, v)| (*k, v.clone())).collect());
        }
    }

    /// `f` of the coefficients of variance `q`: from the frozen copy if it has them, else
    /// by [`Cache::get`].
    #[inline]
    pub fn with<R>(&self, kind: Kind, q: f64, f: impl FnOnce(&Coeffs) -> R) -> R {
        match self.frozen.get().and_then(|m| m.get(&q.to_bits())) {
            Some(c) => f(c),
            None => f(&self.get(kind, q)),
        }
    }
}
