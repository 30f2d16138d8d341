//! HEPv3 export to a Homer collector (`[hep] address`; off by default): SIP messages in both
//! directions and RTCP report summaries, encoded with [`crate::ops::hep`] and sent over UDP
//! from a task of their own. The engine only queues (`try_send`): when the exporter falls
//! behind, captures are dropped and counted, never waited for.

use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use prometheus_client::metrics::counter::Counter;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use crate::ops::hep::{HepPacket, HepProto, HepTransport};

/// Captures queued before new ones are dropped.
const QUEUE: usize = 4096;

/// Where to send captures and how to label them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HepSettings {
    pub collector: SocketAddr,
    /// HEP capture agent id (chunk 0x000c).
    pub capture_id: u32,
    /// HEP authentication key (chunk 0x000e), if the collector wants one.
    pub password: Option<String>,
}

/// One captured message.
#[derive(Debug)]
pub struct Capture {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub transport: HepTransport,
    pub proto: HepProto,
    pub at: SystemTime,
    /// The Call-ID for RTCP reports, so Homer ties them to the call.
    pub correlation_id: Option<String>,
    pub payload: Bytes,
}

/// The engine's handle: queue a capture, never wait.
#[derive(Clone)]
pub struct HepSender {
    tx: mpsc::Sender<Capture>,
    dropped: Counter,
}

impl HepSender {
    /// Binds a UDP socket of the collector's family and starts the exporter task.
    pub async fn start(settings: HepSettings, dropped: Counter) -> std::io::Result<HepSender> {
        let local: SocketAddr = if settings.collector.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let socket = UdpSocket::bind(local).await?;
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(export(socket, settings, rx));
        Ok(HepSender { tx, dropped })
    }

    pub fn send(&self, c: Capture) {
        if self.tx.try_send(c).is_err() {
            self.dropped.inc();
        }
    }
}

async fn export(socket: UdpSocket, s: HepSettings, mut rx: mpsc::Receiver<Capture>) {
    let mut buf = Vec::with_capacity(2048);
    while let Some(c) = rx.recv().await {
        let t = c.at.duration_since(UNIX_EPOCH).unwrap_or_default();
        let p = HepPacket {
            src: c.src,
            dst: c.dst,
            transport: c.transport,
            proto: c.proto,
            ts_sec: t.as_secs() as u32,
            ts_usec: t.subsec_micros(),
            capture_id: s.capture_id,
            auth_key: s.password.as_deref(),
            correlation_id: c.correlation_id.as_deref(),
            payload: &c.payload,
        };
        buf.clear();
        match p.encode(&mut buf) {
            Ok(_) => {
                if let Err(e) = socket.send_to(&buf, s.collector).await {
                    tracing::debug!(error = %e, collector = %s.collector, "HEP send failed");
                }
            }
            Err(e) => tracing::debug!(error = %e, "HEP capture not encodable"),
        }
    }
}
