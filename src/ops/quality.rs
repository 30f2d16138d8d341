//! Quality verdicts in the bands operators already use, and crossing alerts.
//!
//! Loss drives the band (over a 20 s window): < 1 % good, < 3 % fair, < 10 % poor, else bad.
//! Jitter and round-trip time can only make the verdict worse: jitter above 30 ms or RTT above
//! 300 ms costs one band, jitter above 60 ms or RTT above 600 ms two (ITU-T G.114 puts the
//! limit of good interactivity at 150 ms one way).

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Band {
    Good,
    Fair,
    Poor,
    Bad,
}

impl std::fmt::Display for Band {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Band::Good => "good",
            Band::Fair => "fair",
            Band::Poor => "poor",
            Band::Bad => "bad",
        })
    }
}

impl Band {
    fn worse_by(self, steps: u8) -> Band {
        let idx = (self as u8 + steps).min(Band::Bad as u8);
        [Band::Good, Band::Fair, Band::Poor, Band::Bad][idx as usize]
    }
}

/// What a verdict is made from: one window of a leg's statistics.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Window {
    /// Fraction of expected packets lost in the window, 0.0..=1.0.
    pub loss: f64,
    /// Interarrival jitter (RFC 3550 §6.4.1), milliseconds.
    pub jitter_ms: f64,
    /// Round-trip time from RTCP (RFC 3550 §6.4.1 LSR/DLSR), milliseconds, if known.
    pub rtt_ms: Option<f64>,
}

pub fn verdict(w: &Window) -> Band {
    let by_loss = match w.loss {
        l if l < 0.01 => Band::Good,
        l if l < 0.03 => Band::Fair,
        l if l < 0.10 => Band::Poor,
        _ => Band::Bad,
    };
    let rtt = w.rtt_ms.unwrap_or(0.0);
    let penalty = if w.jitter_ms > 60.0 || rtt > 600.0 {
        2
    } else if w.jitter_ms > 30.0 || rtt > 300.0 {
        1
    } else {
        0
    };
    by_loss.worse_by(penalty)
}

/// Remembers a leg's last band and reports when it crosses into another one.
#[derive(Clone, Debug, Default)]
pub struct BandWatch {
    last: Option<Band>,
}

impl BandWatch {
    /// Returns `Some((from, to))` when the band changed. The first verdict is not a crossing.
    pub fn update(&mut self, band: Band) -> Option<(Band, Band)> {
        match self.last.replace(band) {
            Some(prev) if prev != band => Some((prev, band)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(loss: f64, jitter_ms: f64, rtt_ms: Option<f64>) -> Window {
        Window {
            loss,
            jitter_ms,
            rtt_ms,
        }
    }

    #[test]
    fn loss_bands() {
        assert_eq!(verdict(&w(0.0, 5.0, None)), Band::Good);
        assert_eq!(verdict(&w(0.0099, 5.0, None)), Band::Good);
        assert_eq!(verdict(&w(0.01, 5.0, None)), Band::Fair);
        assert_eq!(verdict(&w(0.05, 5.0, None)), Band::Poor);
        assert_eq!(verdict(&w(0.10, 5.0, None)), Band::Bad);
    }

    #[test]
    fn jitter_and_rtt_only_make_it_worse() {
        assert_eq!(verdict(&w(0.0, 40.0, None)), Band::Fair);
        assert_eq!(verdict(&w(0.0, 70.0, None)), Band::Poor);
        assert_eq!(verdict(&w(0.0, 5.0, Some(400.0))), Band::Fair);
        assert_eq!(verdict(&w(0.05, 70.0, None)), Band::Bad);
        assert_eq!(verdict(&w(0.2, 70.0, Some(900.0))), Band::Bad);
    }

    #[test]
    fn crossings_are_reported_once() {
        let mut watch = BandWatch::default();
        assert_eq!(watch.update(Band::Good), None);
        assert_eq!(watch.update(Band::Good), None);
        assert_eq!(watch.update(Band::Poor), Some((Band::Good, Band::Poor)));
        assert_eq!(watch.update(Band::Poor), None);
        assert_eq!(watch.update(Band::Good), Some((Band::Poor, Band::Good)));
    }
}
