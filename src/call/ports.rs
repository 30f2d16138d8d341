//! RTP port pairs: even RTP port, RTCP on the next (RFC 3550 §11).
//!
//! Ports are handed out at random from the free set, as rtpengine and Asterisk do: in order
//! from the bottom of the range, a sweep over a handful of ports finds live calls.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

#[derive(Debug)]
pub struct PortPool {
    free: Vec<u16>,
    rng: SmallRng,
}

impl PortPool {
    /// The even ports of `lo..=hi` whose RTCP port is also inside the range.
    pub fn new((lo, hi): (u16, u16), seed: u64) -> Self {
        let first = lo + (lo % 2);
        let free = (first..hi).step_by(2).collect();
        PortPool {
            free,
            rng: SmallRng::seed_from_u64(seed),
        }
    }

    pub fn take(&mut self) -> Option<u16> {
        if self.free.is_empty() {
            return None;
        }
        let i = self.rng.gen_range(0..self.free.len());
        Some(self.free.swap_remove(i))
    }

    pub fn give(&mut self, port: u16) {
        debug_assert!(!self.free.contains(&port), "port {port} given back twice");
        self.free.push(port);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hands_out_every_even_port_once() {
        let mut p = PortPool::new((20001, 20008), 7);
        let mut got: Vec<u16> = std::iter::from_fn(|| p.take()).collect();
        got.sort_unstable();
        assert_eq!(
            got,
            [20002, 20004, 20006],
            "20008 has no RTCP port inside the range"
        );
        p.give(20004);
        assert_eq!(p.take(), Some(20004));
        assert_eq!(p.take(), None);
    }

    #[test]
    fn ports_are_not_handed_out_in_order() {
        let mut p = PortPool::new((20000, 29999), 1);
        let first: Vec<u16> = (0..8).filter_map(|_| p.take()).collect();
        let in_order: Vec<u16> = (0..8).map(|k| 20000 + 2 * k).collect();
        assert_ne!(first, in_order);
        // Spread over the range, not clustered at its bottom.
        assert!(first.iter().any(|&x| x > 25000), "{first:?}");
    }
}
