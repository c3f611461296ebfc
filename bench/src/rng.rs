//! A small deterministic random number generator (SplitMix64), so that a workspace depends only
//! on its seed and not on a crate's algorithm choices across versions.

#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for one purpose (`stream`) of one item (`index`) under `seed`: the same three
    /// numbers always give the same sequence, whatever else was generated before.
    pub fn for_item(seed: u64, index: u64, stream: u64) -> Rng {
        let mut r = Rng(seed ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03) ^ stream.wrapping_mul(0x8CB9_2BA7_2F3D_8DD7));
        r.next_u64();
        r
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`; `n` must not be 0.
    pub fn below(&mut self, n: usize) -> usize {
        // The modulo bias is irrelevant for the small ranges used here.
        (self.next_u64() % n as u64) as usize
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with the given probability in percent.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// One value of a non-empty list of (value, weight) pairs, by weight.
    pub fn weighted<'a, T>(&mut self, items: &'a [(T, usize)]) -> &'a T {
        let total: usize = items.iter().map(|(_, w)| w).sum();
        let mut x = self.below(total);
        for (item, w) in items {
            if x < *w {
                return item;
            }
            x -= w;
        }
        &items[items.len() - 1].0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let a: Vec<u64> = (0..5).map(|_| 0).scan(Rng::for_item(7, 3, 1), |r, _: u64| Some(r.next_u64())).collect();
        let b: Vec<u64> = (0..5).map(|_| 0).scan(Rng::for_item(7, 3, 1), |r, _: u64| Some(r.next_u64())).collect();
        assert_eq!(a, b);
        let c = Rng::for_item(7, 4, 1).next_u64();
        assert_ne!(a[0], c);
    }

    #[test]
    fn weighted_stays_in_range() {
        let mut r = Rng::for_item(1, 2, 3);
        let items = [("a", 1), ("b", 0), ("c", 5)];
        for _ in 0..1000 {
            assert_ne!(*r.weighted(&items), "b");
        }
    }
}
