//! The sans-IO gateway: composes SIP, calls, meetings and media behind one drive contract.
//!
//! The runtime feeds it what arrived (SIP bytes with their [`Transport`], media events, host
//! commands) with the current time, then drains outputs until the next deadline.

use std::fmt;
use std::net::SocketAddr;

/// Which transport protocol a SIP message travelled over (RFC 3261 §18).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Proto {
    #[serde(rename = "udp")]
    Udp,
    #[serde(rename = "tcp")]
    Tcp,
}

impl Proto {
    /// Reliable transports need no retransmission timers (RFC 3261 §17.1.1.2).
    pub fn is_reliable(self) -> bool {
        matches!(self, Proto::Tcp)
    }
    /// The transport token of a Via header (§20.42).
    pub fn via_token(self) -> &'static str {
        match self {
            Proto::Udp => "UDP",
            Proto::Tcp => "TCP",
        }
    }
}

/// A stream connection, numbered by the runtime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

/// Where a SIP message came from or goes to: the runtime's socket (`local`), the peer
/// (`remote`) and, on a stream transport, the connection (§18.2.2: responses go back over the
/// connection the request came in on).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Transport {
    pub proto: Proto,
    pub local: SocketAddr,
    pub remote: SocketAddr,
    pub conn: Option<ConnId>,
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}->{}",
            self.proto.via_token(),
            self.local,
            self.remote
        )
    }
}
