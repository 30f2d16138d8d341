//! The tokio shell: clock, sockets, tasks, the store writer, the HTTP server, shutdown.
//!
//! Everything with I/O lives here; the core below takes `now` and inputs. [`start`] builds a
//! running [`Server`] from a [`Config`]:
//!
//! 1. open and migrate the store, close call records a crash left open, load the scheduled
//!    meetings (and on first start create the demo meeting `1000` and an API token if none is
//!    configured);
//! 2. start the store writer thread ([`crate::store::StoreWriter`]);
//! 3. start the engine task ([`engine::run`]) that owns the core state;
//! 4. bind the HTTP listener and serve the API ([`crate::api::router`]).
//!
//! (The SIP listeners and the media plane — `runtime/sip.rs`, `runtime/media.rs` — are started
//! between 3 and 4 once they exist; they talk to the engine through the same channel.)
//!
//! ## Graceful shutdown: the handshake
//!
//! On SIGINT or SIGTERM ([`Server::run_until_signal`]) or [`Server::shutdown`]:
//!
//! 1. the *front* token is cancelled: the HTTP listener stops accepting, event streams close
//!    with 1001, (SIP listeners answer new INVITEs 503 + Retry-After);
//! 2. the front tasks are awaited ([`TaskTracker`]): requests already in flight complete, since
//!    the engine is still running;
//! 3. the *engine* token is cancelled: the engine answers what is still queued, then
//!    [`engine::Engine::finish`] (hang up every call with BYE, once calls live there) flushes
//!    the store;
//! 4. the store writer commits what is left and its thread is joined; `serve` exits 0.
//!
//! The order matters: the engine outlives every task that can send it work, and the store
//! writer outlives the engine, so nothing acknowledged is lost.

pub mod engine;
pub mod hep;
pub mod http;
pub mod media;
pub mod ops;
pub mod prompts;
pub mod sip;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use prometheus_client::registry::Registry;
use rand::RngCore;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::api::{self, ApiMetrics, ApiState, Tokens};
use crate::call::CallConfig;
use crate::config::{Config, LogFormat};
use crate::engine::{Gateway, GatewayConfig};
use crate::meeting::{BreakoutOptions, Limits, MeetingSpec, Meetings};
use crate::sip::digest::Credential;
use crate::sip::ua::UaConfig;
use crate::store::{Store, StoreWriter};
use media::MediaShard;
use sip::{SipLimits, SipTransports};

pub use engine::{Engine, EngineHandle, Request};

/// Requests queued to the engine before senders wait (back-pressure on the API).
const ENGINE_QUEUE: usize = 1024;

/// SIP messages queued to the engine; past this UDP datagrams are dropped (and retransmitted
/// by their senders) so a flood cannot grow memory or starve timers.
const SIP_QUEUE: usize = 8192;

/// Key of the generated API token in the store's `meta` table.
const TOKEN_KEY: &str = "api_token";

/// Where the API token in force came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    /// `--api-token`, `api.token` or `ROOMGATE_API_TOKEN`.
    Configured,
    /// Generated at an earlier start and read from the store.
    Stored,
    /// Generated at this start (first start); print it for the operator.
    Generated,
}

/// A running roomgate.
pub struct Server {
    http_addr: SocketAddr,
    api_token: String,
    token_source: TokenSource,
    control: EngineHandle,
    front: CancellationToken,
    front_tasks: TaskTracker,
    engine_stop: CancellationToken,
    engine_task: JoinHandle<()>,
    /// SIP sockets outlive the engine's drain, so BYEs sent at shutdown get their answers.
    sip_stop: CancellationToken,
    sip_tasks: TaskTracker,
    sip_addrs: Vec<(crate::sip::transaction::Transport, SocketAddr)>,
    writer: StoreWriter,
}

/// Sets up `tracing` (text or JSON lines on stderr). `RUST_LOG` overrides `log.level`.
/// Call once per process; later calls are ignored.
pub fn init_logging(format: LogFormat, level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(level))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

fn new_token() -> String {
    let mut b = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Starts roomgate as configured; returns once it is serving.
pub async fn start(config: Config) -> anyhow::Result<Server> {
    let path = config.store.path.clone();
    let demo = config.meetings.demo;
    let configured = config.api.token.clone();
    // SQLite calls block (and FULL fsyncs): keep them off the async workers.
    let (store, stored, api_token, token_source, fresh) = tokio::task::spawn_blocking(move || {
        let mut store = Store::open(&path).with_context(|| format!("store: {}", path.display()))?;
        let interrupted = store.close_interrupted_legs(unix_now())?;
        if interrupted > 0 {
            tracing::warn!(interrupted, "call records left open by a crash closed");
        }
        let fresh = store.is_fresh()?;
        let stored = store.load_meetings()?;
        let (token, source) = match (configured, store.meta(TOKEN_KEY)?) {
            (Some(t), _) => (t, TokenSource::Configured),
            (None, Some(t)) => (t, TokenSource::Stored),
            (None, None) => {
                let t = new_token();
                store.set_meta(TOKEN_KEY, &t)?;
                (t, TokenSource::Generated)
            }
        };
        anyhow::Ok((store, stored, token, source, fresh))
    })
    .await??;

    let mut registry = Registry::default();
    let metrics = ApiMetrics::register(&mut registry);
    let ops_metrics = crate::ops::metrics::OpsMetrics::register(&mut registry);
    let registry = Arc::new(registry);

    let (store_handle, writer) = StoreWriter::spawn(store).context("store writer thread")?;

    warn_if_rtp_ports_are_ephemeral((config.rtp.ports.first, config.rtp.ports.last));

    // SIP sockets first: a listen address that cannot be bound stops start-up with its name.
    let sip = SipTransports::bind(&config.sip.listen).await?;
    let sip_addrs = sip.local_addrs();
    // An API-only instance (no SIP listener) is allowed: it manages meetings for others.
    let first = sip_addrs
        .first()
        .map(|(_, a)| *a)
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 5060)));
    // Media goes out of the address SIP answers on (per IP family); a wildcard listener
    // advertises loopback until a public address is configured.
    let media_ip = sip_addrs
        .iter()
        .map(|(_, a)| a.ip())
        .find(|ip| ip.is_ipv4() && !ip.is_unspecified())
        .unwrap_or(std::net::IpAddr::from([127, 0, 0, 1]));
    let gateway_cfg = GatewayConfig {
        ua: UaConfig {
            sent_by: first.to_string(),
            // Peers on IPv6 are told our IPv6 address in Via and Contact.
            sent_by_v6: sip_addrs
                .iter()
                .map(|(_, a)| *a)
                .find(|a| a.is_ipv6() && !a.ip().is_unspecified() && *a != first)
                .map(|a| a.to_string()),
            credentials: config
                .sip
                .credentials
                .iter()
                .map(|c| Credential {
                    realm: c.realm.clone(),
                    username: c.username.clone(),
                    password: c.password.clone(),
                })
                .collect(),
            max_out_of_dialog: config.sip.max_out_of_dialog_transactions as usize,
            ..UaConfig::default()
        },
        calls: CallConfig {
            media_address: media_ip,
            // IPv6 callers get media on the first IPv6 SIP address, if there is one.
            media_address_v6: sip_addrs
                .iter()
                .map(|(_, a)| a.ip())
                .find(|ip| ip.is_ipv6() && !ip.is_unspecified()),
            rtp_ports: (config.rtp.ports.first, config.rtp.ports.last),
            answer_delay: Duration::from_millis(config.sip.answer_delay_ms.into()),
            ..CallConfig::default()
        },
        prompts: prompts::load(),
        seed: rand::rngs::OsRng.next_u64(),
    };
    let meetings = Meetings::new(
        Limits {
            max_rooms: config.meetings.max_rooms,
            max_participants: config.meetings.max_participants,
            event_log: config.meetings.event_log as usize,
            ..Limits::default()
        },
        rand::rngs::OsRng.next_u64(),
    );
    let mut engine = Engine::new(
        Gateway::new(gateway_cfg, meetings),
        store_handle,
        metrics.clone(),
    );
    let (media_tx, media_rx) = mpsc::unbounded_channel();
    let shard_options = media::ShardOptions {
        strict_source: config.media.strict_source,
        ..media::ShardOptions::from_env()
    };
    let shard = MediaShard::spawn_with(rand::rngs::OsRng.next_u64(), media_tx, shard_options)
        .context("media shard thread")?;
    let (sip_tx, sip_rx) = mpsc::channel(SIP_QUEUE);
    let sip_stop = CancellationToken::new();
    let sip_tasks = TaskTracker::new();
    let limits = SipLimits {
        max_connections: config.sip.max_connections as usize,
        idle_timeout: Duration::from_secs(config.sip.idle_timeout_s.into()),
        message_timeout: Duration::from_secs(config.sip.message_timeout_s.into()),
        ..SipLimits::default()
    };
    let sender = sip.spawn(sip_tx, limits, &sip_tasks, sip_stop.clone());
    // Every leg's statistics each second for the live view, and the tick timed (ops).
    shard.send(media::ShardCommand::Observe {
        stats_every: Some(std::time::Duration::from_secs(1)),
        metrics: Some(ops_metrics.shard.clone()),
    });
    shard.wake();
    engine.attach_io(sender, shard);
    // Call-record ids are `<run>-<leg>`: leg ids restart at 1 on every start.
    let run = format!(
        "{:x}{:04x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0),
        rand::rngs::OsRng.next_u32() & 0xffff
    );
    let mut ops = ops::OpsState::new(ops_metrics.clone(), run);
    if let Some(collector) = config.hep.address {
        let hep = hep::HepSender::start(
            hep::HepSettings {
                collector,
                capture_id: config.hep.capture_id,
                password: config.hep.password.clone(),
            },
            ops_metrics.hep_dropped.clone(),
        )
        .await
        .context("hep.address: cannot open the HEP socket")?;
        ops.attach_hep(hep, sip_addrs.clone());
        tracing::info!(%collector, "HEP export on");
    }
    engine.attach_ops(ops);
    for (t, a) in &sip_addrs {
        tracing::info!(transport = t.via_token(), addr = %a, "SIP listening");
    }
    let now = Instant::now();
    let restored = engine.restore(now, stored);
    if fresh && demo {
        engine
            .create_initial(
                now,
                MeetingSpec {
                    id: "1000".into(),
                    name: "Demo meeting".into(),
                    passcode: None,
                    options: BreakoutOptions::default(),
                    preassignments: Vec::new(),
                    rooms: Vec::new(),
                },
            )
            .context("demo meeting")?;
        tracing::info!("demo meeting 1000 created");
    }
    tracing::info!(restored, "scheduled meetings loaded");

    let (tx, rx) = mpsc::channel(ENGINE_QUEUE);
    let control = EngineHandle::new(tx).with_store_path(config.store.path.clone());
    let engine_stop = CancellationToken::new();
    let engine_task = tokio::spawn(engine::run(
        engine,
        rx,
        sip_rx,
        media_rx,
        engine_stop.clone(),
    ));

    let front = CancellationToken::new();
    let front_tasks = TaskTracker::new();
    let listener = TcpListener::bind(config.http.listen)
        .await
        .with_context(|| format!("http.listen: cannot bind {}", config.http.listen))?;
    let http_addr = listener.local_addr()?;
    let listener = http::LimitedListener::new(listener, config.http.max_connections as usize);
    let app = api::router(
        ApiState {
            control: control.clone(),
            metrics,
            shutdown: front.clone(),
        },
        Tokens::new(api_token.clone(), config.api.participant_token.clone()),
        registry,
    );
    let stop = front.clone();
    front_tasks.spawn(async move {
        let r = axum::serve(listener, app)
            .with_graceful_shutdown(stop.cancelled_owned())
            .await;
        if let Err(e) = r {
            tracing::error!(error = %e, "HTTP server failed");
        }
    });
    tracing::info!(%http_addr, "HTTP API listening");

    Ok(Server {
        http_addr,
        api_token,
        token_source,
        control,
        front,
        front_tasks,
        engine_stop,
        engine_task,
        sip_stop,
        sip_tasks,
        sip_addrs,
        writer,
    })
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Server {
    /// The bound HTTP address (useful with port 0).
    pub fn http_addr(&self) -> SocketAddr {
        self.http_addr
    }

    /// The bound SIP listen addresses (useful with port 0).
    pub fn sip_addrs(&self) -> &[(crate::sip::transaction::Transport, SocketAddr)] {
        &self.sip_addrs
    }

    /// The host-level API token in force.
    pub fn api_token(&self) -> &str {
        &self.api_token
    }

    pub fn token_source(&self) -> TokenSource {
        self.token_source
    }

    /// A handle to the engine (what the API uses; the SIP side will attach calls with it).
    pub fn control(&self) -> EngineHandle {
        self.control.clone()
    }

    /// Waits for SIGINT or SIGTERM, then shuts down gracefully.
    /// Serves until SIGINT or SIGTERM arrives on `signals` (installed before the server
    /// announced itself, so a signal sent right after the announcement is not lost).
    pub async fn run_until_signal(self, signals: Signals) -> anyhow::Result<()> {
        signals.wait().await;
        tracing::info!("signal received, shutting down");
        self.shutdown().await;
        Ok(())
    }

    /// The shutdown handshake (see the module docs).
    pub async fn shutdown(self) {
        self.front.cancel();
        self.front_tasks.close();
        self.front_tasks.wait().await;
        drop(self.control);
        self.engine_stop.cancel();
        if let Err(e) = self.engine_task.await {
            tracing::error!(error = %e, "engine task failed");
        }
        self.sip_stop.cancel();
        self.sip_tasks.close();
        self.sip_tasks.wait().await;
        let writer = self.writer;
        let _ = tokio::task::spawn_blocking(move || writer.join()).await;
        tracing::info!("shutdown complete");
    }
}

/// SIGINT and SIGTERM handlers. Install them before telling anyone the server is up: a
/// signal that arrives before its handler exists kills the process without the graceful
/// shutdown (and a script that stops roomgate as soon as it printed its address would see that).
pub struct Signals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Signals {
    pub fn install() -> anyhow::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Signals {
                term: signal(SignalKind::terminate())?,
                int: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    async fn wait(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
        #[cfg(not(unix))]
        {
            let _ = &mut self;
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Outgoing sockets of any process on this machine take ports from the kernel's ephemeral
/// range; RTP ports inside it can be taken before a call binds them ("Address already in
/// use"). Say so at start, naming both ranges.
fn warn_if_rtp_ports_are_ephemeral(rtp: (u16, u16)) {
    let Ok(text) = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range") else {
        return;
    };
    if let Some((lo, hi)) = ephemeral_overlap(rtp, &text) {
        tracing::warn!(
            rtp_ports = %format!("{}-{}", rtp.0, rtp.1),
            ephemeral = %text.split_whitespace().collect::<Vec<_>>().join("-"),
            overlap = %format!("{lo}-{hi}"),
            "RTP ports overlap the kernel's ephemeral port range: outgoing sockets of any process \
             can take them (set [rtp] ports outside it, or narrow net.ipv4.ip_local_port_range)"
        );
    }
}

/// The part of `rtp` inside the ephemeral range `proc_text` ("32768\t60999\n"), if any.
fn ephemeral_overlap(rtp: (u16, u16), proc_text: &str) -> Option<(u16, u16)> {
    let mut it = proc_text.split_whitespace().map(|n| n.parse::<u16>());
    let (Some(Ok(lo)), Some(Ok(hi))) = (it.next(), it.next()) else {
        return None;
    };
    let (a, b) = (rtp.0.max(lo), rtp.1.min(hi));
    (a <= b).then_some((a, b))
}

#[cfg(test)]
mod tests {
    use super::ephemeral_overlap;

    #[test]
    fn rtp_ports_inside_the_ephemeral_range_are_found() {
        assert_eq!(ephemeral_overlap((20000, 29999), "32768\t60999\n"), None);
        assert_eq!(
            ephemeral_overlap((30000, 40000), "32768\t60999\n"),
            Some((32768, 40000))
        );
        assert_eq!(
            ephemeral_overlap((40000, 41000), "32768 60999"),
            Some((40000, 41000))
        );
        assert_eq!(ephemeral_overlap((20000, 29999), "garbage"), None);
    }
}
