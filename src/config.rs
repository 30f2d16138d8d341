//! Configuration: a TOML file (`--config FILE`) overlaid by command-line flags.
//!
//! Precedence, lowest first: built-in defaults (which run on one machine out of the box), the
//! TOML file, the environment (`ROOMGATE_API_TOKEN`), then flags. Every key is documented in
//! `deploy/roomgate.example.toml` and `docs/config.md`.
//!
//! The file is read as a plain TOML table and walked by hand rather than through
//! `#[derive(Deserialize)]`, so that every error names the exact key that is wrong
//! (`config: sip.listen[1]: unknown transport "sctp"`), which serde's messages do not.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// A configuration error; `Display` names the offending key and is what the CLI prints.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("config: {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("config: {path}: {message}")]
    Syntax { path: PathBuf, message: String },
    /// A key has a bad value, a wrong type, or is unknown.
    #[error("config: {field}: {reason}")]
    Invalid { field: String, reason: String },
}

impl ConfigError {
    fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ConfigError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The key this error is about, if it is about one key.
    pub fn field(&self) -> Option<&str> {
        match self {
            ConfigError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

/// SIP transport of a listening socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    Udp,
    Tcp,
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
        })
    }
}

/// One SIP listening socket: `udp:127.0.0.1:5060`, `tcp:[::1]:5070`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SipListen {
    pub transport: Transport,
    pub addr: SocketAddr,
}

impl FromStr for SipListen {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (transport, addr) = s
            .split_once(':')
            .ok_or_else(|| format!("expected TRANSPORT:ADDRESS:PORT, got {s:?}"))?;
        let transport = match transport.to_ascii_lowercase().as_str() {
            "udp" => Transport::Udp,
            "tcp" => Transport::Tcp,
            other => return Err(format!("unknown transport {other:?} (expected udp or tcp)")),
        };
        let addr = addr
            .parse::<SocketAddr>()
            .map_err(|_| format!("bad address {addr:?} (expected 127.0.0.1:5060 or [::1]:5060)"))?;
        Ok(SipListen { transport, addr })
    }
}

impl fmt::Display for SipListen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.transport, self.addr)
    }
}

/// An inclusive UDP port range for RTP/RTCP: `20000-29999`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortRange {
    pub first: u16,
    pub last: u16,
}

impl PortRange {
    /// Number of ports in the range.
    pub fn len(&self) -> usize {
        usize::from(self.last - self.first) + 1
    }

    /// Never true: a valid range holds at least two ports (one RTP/RTCP pair).
    pub fn is_empty(&self) -> bool {
        false
    }
}

impl FromStr for PortRange {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (a, b) = s
            .split_once('-')
            .ok_or_else(|| format!("expected FIRST-LAST, got {s:?}"))?;
        let first: u16 = a
            .trim()
            .parse()
            .map_err(|_| format!("bad first port {a:?}"))?;
        let last: u16 = b
            .trim()
            .parse()
            .map_err(|_| format!("bad last port {b:?}"))?;
        if first == 0 {
            return Err("port 0 is not a usable RTP port".into());
        }
        if last <= first {
            return Err(format!(
                "{first}-{last}: the range must hold at least one RTP/RTCP pair (last > first)"
            ));
        }
        Ok(PortRange { first, last })
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.first, self.last)
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl FromStr for LogFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!(
                "unknown log format {other:?} (expected text or json)"
            )),
        }
    }
}

impl fmt::Display for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        })
    }
}

/// `[sip]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipConfig {
    /// Listening sockets. Default: UDP and TCP on 127.0.0.1:5060.
    pub listen: Vec<SipListen>,
    /// Ring this long (180 Ringing) before answering an INVITE with 200. Default 0.
    pub answer_delay_ms: u32,
    /// Most SIP TCP connections open at once; more are closed at accept. Default 4096.
    pub max_connections: u32,
    /// A SIP TCP connection with no traffic for this long is closed. Default 600.
    pub idle_timeout_s: u32,
    /// A message that started arriving on TCP must be complete within this (slowloris).
    /// Default 10.
    pub message_timeout_s: u32,
    /// Most server transactions outside a dialog alive at once (new calls, OPTIONS pings…;
    /// each lives up to 32 s for retransmissions); past it new ones get 503 with Retry-After
    /// while established calls are still served. Default 65,536 (a minute of 1,000 calls/s).
    pub max_out_of_dialog_transactions: u32,
    /// Accounts for answering digest challenges (401/407) to dial-out INVITEs. Default none.
    pub credentials: Vec<SipCredential>,
}

/// `[[sip.credentials]]`: one account, for one realm or (without `realm`) for any.
#[derive(Clone, PartialEq, Eq)]
pub struct SipCredential {
    pub realm: Option<String>,
    pub username: String,
    pub password: String,
}

impl fmt::Debug for SipCredential {
    // The password is a secret: never let it reach a log line through `{:?}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SipCredential")
            .field("realm", &self.realm)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// `[http]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// REST/WebSocket API, `/metrics` and `/healthz`. Default 127.0.0.1:8080.
    pub listen: SocketAddr,
    /// Most HTTP connections (event streams included) open at once. Default 1024.
    pub max_connections: u32,
}

/// `[rtp]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpConfig {
    /// UDP ports for media. Default 20000-29999.
    pub ports: PortRange,
}

/// `[media]`
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MediaConfig {
    /// Never follow a call leg's peer to a new media source once the learning window after an
    /// offer/answer is over (not even a NAT rebinding). Default false.
    pub strict_source: bool,
}

/// `[store]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    /// SQLite database file. Default `roomgate.db` in the working directory.
    pub path: PathBuf,
}

/// `[log]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A `tracing` filter (`info`, `roomgate=debug,info`); `RUST_LOG` overrides it.
    pub level: String,
}

/// `[api]`
#[derive(Clone, PartialEq, Eq, Default)]
pub struct ApiConfig {
    /// Host-level bearer token; if unset, one is generated at first start, stored and printed.
    pub token: Option<String>,
    /// Participant-level bearer token: may read meetings and follow events, not manage rooms.
    pub participant_token: Option<String>,
}

impl fmt::Debug for ApiConfig {
    // Tokens are secrets: never let them reach a log line through `{:?}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiConfig")
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .field(
                "participant_token",
                &self.participant_token.as_ref().map(|_| "<set>"),
            )
            .finish()
    }
}

/// `[meetings]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingsConfig {
    /// Create the demo meeting `1000` (no passcode) when the store is new. Default true.
    pub demo: bool,
    /// Most breakout rooms in one meeting. Default 100.
    pub max_rooms: u32,
    /// Most participants in one meeting. Default 1000.
    pub max_participants: u32,
    /// Events kept per meeting for event-stream resumes (`?since=`). Default 4096.
    pub event_log: u32,
}

/// `[hep]`: HEPv3 capture export to a Homer collector.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct HepConfig {
    /// The collector (`127.0.0.1:9060`); unset: no export (the default).
    pub address: Option<SocketAddr>,
    /// Capture agent id sent with every packet. Default 0.
    pub capture_id: u32,
    /// Authentication key the collector expects, if any.
    pub password: Option<String>,
}

impl fmt::Debug for HepConfig {
    // The password is a secret: never let it reach a log line through `{:?}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HepConfig")
            .field("address", &self.address)
            .field("capture_id", &self.capture_id)
            .field("password", &self.password.as_ref().map(|_| "<set>"))
            .finish()
    }
}

/// The whole, validated configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub sip: SipConfig,
    pub http: HttpConfig,
    pub rtp: RtpConfig,
    pub media: MediaConfig,
    pub store: StoreConfig,
    pub log: LogConfig,
    pub api: ApiConfig,
    pub meetings: MeetingsConfig,
    pub hep: HepConfig,
}

impl Default for Config {
    fn default() -> Self {
        let loopback_sip: SocketAddr = "127.0.0.1:5060".parse().expect("literal address");
        Config {
            sip: SipConfig {
                listen: vec![
                    SipListen {
                        transport: Transport::Udp,
                        addr: loopback_sip,
                    },
                    SipListen {
                        transport: Transport::Tcp,
                        addr: loopback_sip,
                    },
                ],
                answer_delay_ms: 0,
                max_connections: 4096,
                idle_timeout_s: 600,
                message_timeout_s: 10,
                max_out_of_dialog_transactions: 65_536,
                credentials: Vec::new(),
            },
            http: HttpConfig {
                listen: "127.0.0.1:8080".parse().expect("literal address"),
                max_connections: 1024,
            },
            rtp: RtpConfig {
                ports: PortRange {
                    first: 20000,
                    last: 29999,
                },
            },
            media: MediaConfig::default(),
            store: StoreConfig {
                path: PathBuf::from("roomgate.db"),
            },
            log: LogConfig {
                format: LogFormat::Text,
                level: "info".into(),
            },
            api: ApiConfig::default(),
            meetings: MeetingsConfig {
                demo: true,
                max_rooms: 100,
                max_participants: 1000,
                event_log: 4096,
            },
            hep: HepConfig::default(),
        }
    }
}

/// Values given on the command line (or the environment); `None` leaves the file's value.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub sip_listen: Vec<SipListen>,
    pub http_listen: Option<SocketAddr>,
    pub rtp_ports: Option<PortRange>,
    pub db: Option<PathBuf>,
    pub log_format: Option<LogFormat>,
    pub api_token: Option<String>,
    pub api_participant_token: Option<String>,
    pub answer_delay_ms: Option<u32>,
}

impl Config {
    /// Reads and validates a TOML file.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_owned(),
            source,
        })?;
        Config::from_toml_str(&text).map_err(|e| match e {
            ConfigError::Syntax { message, .. } => ConfigError::Syntax {
                path: path.to_owned(),
                message,
            },
            other => other,
        })
    }

    /// Parses and validates TOML text over the defaults.
    pub fn from_toml_str(text: &str) -> Result<Config, ConfigError> {
        let table: toml::Table =
            text.parse()
                .map_err(|e: toml::de::Error| ConfigError::Syntax {
                    path: PathBuf::from("<string>"),
                    message: e.to_string().trim_end().to_owned(),
                })?;
        let mut config = Config::default();
        for (section, value) in &table {
            let t = value
                .as_table()
                .ok_or_else(|| ConfigError::invalid(section, "expected a [section] table"))?;
            match section.as_str() {
                "sip" => config.read_sip(t)?,
                "http" => config.read_http(t)?,
                "rtp" => config.read_rtp(t)?,
                "media" => config.read_media(t)?,
                "store" => config.read_store(t)?,
                "log" => config.read_log(t)?,
                "api" => config.read_api(t)?,
                "meetings" => config.read_meetings(t)?,
                "hep" => config.read_hep(t)?,
                _ => return Err(ConfigError::invalid(section, "unknown section")),
            }
        }
        config.validate()?;
        Ok(config)
    }

    /// Applies command-line overrides (flags win over the file) and re-validates.
    pub fn apply(&mut self, o: Overrides) -> Result<(), ConfigError> {
        if !o.sip_listen.is_empty() {
            self.sip.listen = o.sip_listen;
        }
        if let Some(v) = o.http_listen {
            self.http.listen = v;
        }
        if let Some(v) = o.rtp_ports {
            self.rtp.ports = v;
        }
        if let Some(v) = o.db {
            self.store.path = v;
        }
        if let Some(v) = o.log_format {
            self.log.format = v;
        }
        if let Some(v) = o.api_token {
            self.api.token = Some(v);
        }
        if let Some(v) = o.api_participant_token {
            self.api.participant_token = Some(v);
        }
        if let Some(v) = o.answer_delay_ms {
            self.sip.answer_delay_ms = v;
        }
        self.validate()
    }

    /// Cross-key rules that no single key can check.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (i, a) in self.sip.listen.iter().enumerate() {
            if self.sip.listen[..i].contains(a) {
                return Err(ConfigError::invalid(
                    format!("sip.listen[{i}]"),
                    format!("{a} is listed twice"),
                ));
            }
        }
        if let Some(t) = &self.api.token {
            check_token("api.token", t)?;
        }
        if let Some(t) = &self.api.participant_token {
            check_token("api.participant_token", t)?;
            if self.api.token.as_deref() == Some(t.as_str()) {
                return Err(ConfigError::invalid(
                    "api.participant_token",
                    "must differ from api.token, or participants could manage rooms",
                ));
            }
        }
        if self.store.path.as_os_str().is_empty() {
            return Err(ConfigError::invalid("store.path", "must not be empty"));
        }
        Ok(())
    }

    fn read_sip(&mut self, t: &toml::Table) -> Result<(), ConfigError> {
        for (key, v) in t {
            let field = format!("sip.{key}");
            match key.as_str() {
                "listen" => {
                    let arr = v.as_array().ok_or_else(|| {
                        ConfigError::invalid(&field, "expected an array of strings")
                    })?;
                    let mut listen = Vec::with_capacity(arr.len());
                    for (i, item) in arr.iter().enumerate() {
                        let f = format!("{field}[{i}]");
                        let s = as_str(&f, item)?;
                        listen.push(s.parse().map_err(|r| ConfigError::invalid(&f, r))?);
                    }
                    self.sip.listen = listen;
                }
                "answer_delay_ms" => {
                    // 0 is allowed (answer at once); at most a minute of ringing.
                    self.sip.answer_delay_ms = match v.as_integer() {
                        Some(0) => 0,
                        _ => as_count(&field, v, 60_000)?,
                    }
                }
                "max_connections" => self.sip.max_connections = as_count(&field, v, 1_000_000)?,
                "idle_timeout_s" => self.sip.idle_timeout_s = as_count(&field, v, 86_400)?,
                "message_timeout_s" => self.sip.message_timeout_s = as_count(&field, v, 3_600)?,
                "max_out_of_dialog_transactions" => {
                    self.sip.max_out_of_dialog_transactions = as_count(&field, v, 10_000_000)?
                }
                "credentials" => self.sip.credentials = read_credentials(&field, v)?,
                _ => return Err(ConfigError::invalid(field, "unknown key")),
            }
        }
        Ok(())
    }

    fn read_http(&mut self, t: &toml::Table) -> Result<(), ConfigError> {
        for (key, v) in t {
            let field = format!("http.{key}");
            match key.as_str() {
                "listen" => {
                    let s = as_str(&field, v)?;
                    self.http.listen = s.parse().map_err(|_| {
                        ConfigError::invalid(
                            &field,
                            format!("bad address {s:?} (expected 127.0.0.1:8080 or [::1]:8080)"),
                        )
                    })?;
                }
                "max_connections" => self.http.max_connections = as_count(&field, v, 1_000_000)?,
                _ => return Err(ConfigError::invalid(field, "unknown key")),
            }
        }
        Ok(())
    }

    fn read_rtp(&mut self, t: &toml::Table) -> Result<(), ConfigError> {
        for (key, v) in t {
            let field = format!("rtp.{key}");
            match key.as_str() {
                "ports" => {
                    self.rtp.ports = as_str(&field, v)?
                        .parse()
                        .map_err(|r| ConfigError::invalid(&field, r))?
                }
                _ => return Err(ConfigError::invalid(field, "unknown key")),
            }
        }
        Ok(())
    }

    fn read_media(&mut self, t: &toml::Table) -> Result<(), ConfigError> {
        for (key, v) in t {
            let field = format!("media.{key}");
            match key.as_str() {
                "strict_source" => {
                    self.media.strict_source = v
                        .as_bool()
                        .ok_or_else(|| ConfigError::invalid(&field, "expected true or false"))?
                }
                _ => return Err(ConfigError::invalid(field, "unknown key")),
            }
        }
        Ok(())
    }

    fn read_store(&mut self, t: &toml::Table) -> Result<(), ConfigError> {
        for (key, v) in t {
            let field = format!("store.{key}");
            match key.as_str() {
                "path" => self.store.path = PathBuf::from(as_str(&field, v)?),
                _ => return Err(ConfigError::invalid(field, "unknown key")),
            }
        }
        Ok(())
    }

    fn read_log(&mut self, t: &toml::Table) -> Result<(), ConfigError> {
        for (key, v) in t {
            let field = format!("log.{key}");
            match key.as_str() {
                "format" => {
                    self.log.format = as_str(&field, v)?
                        .parse()
                        .map_err(|r| ConfigError::invalid(&field, r))?
                }
                "level" => {
                    let s = as_str(&field, v)?;
                    tracing_subscriber::EnvFilter::try_new(s).map_err(|e| {
                        ConfigError::invalid(&field, format!("bad filter {s:?}: {e}"))
                    })?;
                    self.log.level = s.to_owned();
                }
                _ => return Err(ConfigError::invalid(field, "unknown key")),
            }
        }
        Ok(())
    }

    fn read_api(&mut self, t: &toml::Table) -> Result<(), ConfigError> {
        for (key, v) in t {
            let field = format!("api.{key}");
            match key.as_str() {
                "token" => self.api.token = Some(as_str(&field, v)?.to_owned()),
                "participant_token" => {
                    self.api.participant_token = Some(as_str(&field, v)?.to_owned())
                }
                _ => return Err(ConfigError::invalid(field, "unknown key")),
            }
        }
        Ok(())
    }

    fn read_meetings(&mut self, t: &toml::Table) -> Result<(), ConfigError> {
        for (key, v) in t {
            let field = format!("meetings.{key}");
            match key.as_str() {
                "demo" => {
                    self.meetings.demo = v
                        .as_bool()
                        .ok_or_else(|| ConfigError::invalid(&field, "expected true or false"))?
                }
                "max_rooms" => self.meetings.max_rooms = as_count(&field, v, 10_000)?,
                "max_participants" => {
                    self.meetings.max_participants = as_count(&field, v, 1_000_000)?
                }
                "event_log" => self.meetings.event_log = as_count(&field, v, 1_000_000)?,
                _ => return Err(ConfigError::invalid(field, "unknown key")),
            }
        }
        Ok(())
    }
}

impl Config {
    fn read_hep(&mut self, t: &toml::Table) -> Result<(), ConfigError> {
        for (key, v) in t {
            let field = format!("hep.{key}");
            match key.as_str() {
                "address" => {
                    let s = as_str(&field, v)?;
                    self.hep.address = Some(s.parse().map_err(|_| {
                        ConfigError::invalid(
                            &field,
                            format!("bad address {s:?} (expected 127.0.0.1:9060)"),
                        )
                    })?);
                }
                "capture_id" => {
                    let n = v.as_integer().ok_or_else(|| {
                        ConfigError::invalid(
                            &field,
                            format!("expected an integer, got {}", v.type_str()),
                        )
                    })?;
                    self.hep.capture_id = u32::try_from(n)
                        .map_err(|_| ConfigError::invalid(&field, "expected 0 to 4294967295"))?;
                }
                "password" => self.hep.password = Some(as_str(&field, v)?.to_owned()),
                _ => return Err(ConfigError::invalid(field, "unknown key")),
            }
        }
        Ok(())
    }
}

/// `[[sip.credentials]]`: an array of `{ realm?, username, password }` tables.
fn read_credentials(field: &str, v: &toml::Value) -> Result<Vec<SipCredential>, ConfigError> {
    let arr = v
        .as_array()
        .ok_or_else(|| ConfigError::invalid(field, "expected an array of tables"))?;
    let mut out = Vec::with_capacity(arr.len());
    for (i, item) in arr.iter().enumerate() {
        let f = format!("{field}[{i}]");
        let t = item
            .as_table()
            .ok_or_else(|| ConfigError::invalid(&f, "expected a table"))?;
        let (mut realm, mut username, mut password) = (None, None, None);
        for (key, v) in t {
            let kf = format!("{f}.{key}");
            let s = as_str(&kf, v)?.to_string();
            match key.as_str() {
                "realm" => realm = Some(s),
                "username" if s.is_empty() => {
                    return Err(ConfigError::invalid(kf, "must not be empty"))
                }
                "username" => username = Some(s),
                "password" => password = Some(s),
                _ => return Err(ConfigError::invalid(kf, "unknown key")),
            }
        }
        out.push(SipCredential {
            realm,
            username: username
                .ok_or_else(|| ConfigError::invalid(format!("{f}.username"), "missing"))?,
            password: password
                .ok_or_else(|| ConfigError::invalid(format!("{f}.password"), "missing"))?,
        });
    }
    Ok(out)
}

fn as_str<'a>(field: &str, v: &'a toml::Value) -> Result<&'a str, ConfigError> {
    v.as_str().ok_or_else(|| {
        ConfigError::invalid(field, format!("expected a string, got {}", v.type_str()))
    })
}

/// A positive integer no larger than `max`.
fn as_count(field: &str, v: &toml::Value, max: i64) -> Result<u32, ConfigError> {
    let n = v.as_integer().ok_or_else(|| {
        ConfigError::invalid(field, format!("expected an integer, got {}", v.type_str()))
    })?;
    if !(1..=max).contains(&n) {
        return Err(ConfigError::invalid(
            field,
            format!("{n} is out of range 1..={max}"),
        ));
    }
    Ok(n as u32)
}

/// A bearer token must be usable in an `Authorization` header as is (RFC 6750 §2.1 b64token).
fn check_token(field: &str, t: &str) -> Result<(), ConfigError> {
    if t.len() < 16 {
        return Err(ConfigError::invalid(
            field,
            "too short: use at least 16 characters",
        ));
    }
    let ok = t
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b));
    if !ok {
        return Err(ConfigError::invalid(
            field,
            "only letters, digits and -._~+/= are allowed (RFC 6750 §2.1)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_defaults() {
        assert_eq!(Config::from_toml_str("").unwrap(), Config::default());
    }

    #[test]
    fn listen_parses_v4_and_v6() {
        let c =
            Config::from_toml_str("[sip]\nlisten = [\"udp:127.0.0.1:5070\", \"tcp:[::1]:5070\"]\n")
                .unwrap();
        assert_eq!(c.sip.listen[0].transport, Transport::Udp);
        assert_eq!(c.sip.listen[1].addr, "[::1]:5070".parse().unwrap());
    }

    #[test]
    fn unknown_transport_names_the_index() {
        let e = Config::from_toml_str(
            "[sip]\nlisten = [\"udp:127.0.0.1:5070\", \"sctp:127.0.0.1:5070\"]\n",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "config: sip.listen[1]: unknown transport \"sctp\" (expected udp or tcp)"
        );
    }

    #[test]
    fn unknown_key_and_section_are_named() {
        let e = Config::from_toml_str("[http]\nlisen = \"127.0.0.1:1\"\n").unwrap_err();
        assert_eq!(e.field(), Some("http.lisen"));
        let e = Config::from_toml_str("[htp]\n").unwrap_err();
        assert_eq!(e.field(), Some("htp"));
    }

    #[test]
    fn wrong_type_is_named() {
        let e = Config::from_toml_str("[rtp]\nports = 20000\n").unwrap_err();
        assert_eq!(e.field(), Some("rtp.ports"));
        assert!(e.to_string().contains("expected a string"));
    }

    #[test]
    fn port_range_rules() {
        assert_eq!("20000-29999".parse::<PortRange>().unwrap().len(), 10000);
        assert!("3000-3000".parse::<PortRange>().is_err());
        assert!("0-10".parse::<PortRange>().is_err());
        assert!("10-70000".parse::<PortRange>().is_err());
    }

    #[test]
    fn flags_override_file() {
        let mut c = Config::from_toml_str("[http]\nlisten = \"127.0.0.1:9000\"\n").unwrap();
        c.apply(Overrides {
            http_listen: Some("127.0.0.1:9001".parse().unwrap()),
            ..Overrides::default()
        })
        .unwrap();
        assert_eq!(c.http.listen.port(), 9001);
    }

    #[test]
    fn tokens_are_checked() {
        let e = Config::from_toml_str("[api]\ntoken = \"short\"\n").unwrap_err();
        assert_eq!(e.field(), Some("api.token"));
        let e = Config::from_toml_str(
            "[api]\ntoken = \"aaaaaaaaaaaaaaaaaaaa\"\nparticipant_token = \"aaaaaaaaaaaaaaaaaaaa\"\n",
        )
        .unwrap_err();
        assert_eq!(e.field(), Some("api.participant_token"));
    }

    #[test]
    fn sip_limits_and_answer_delay() {
        let c = Config::from_toml_str(
            "[sip]\nanswer_delay_ms = 0\nmax_connections = 8\nidle_timeout_s = 5\nmessage_timeout_s = 2\nmax_out_of_dialog_transactions = 100\n",
        )
        .unwrap();
        assert_eq!(c.sip.max_out_of_dialog_transactions, 100);
        assert_eq!(c.sip.answer_delay_ms, 0);
        assert_eq!(
            (
                c.sip.max_connections,
                c.sip.idle_timeout_s,
                c.sip.message_timeout_s
            ),
            (8, 5, 2)
        );
        let e = Config::from_toml_str("[sip]\nmax_connections = 0\n").unwrap_err();
        assert_eq!(e.field(), Some("sip.max_connections"));
        let e = Config::from_toml_str("[sip]\nmax_out_of_dialog_transactions = \"many\"\n")
            .unwrap_err();
        assert_eq!(e.field(), Some("sip.max_out_of_dialog_transactions"));
        let e = Config::from_toml_str("[sip]\nanswer_delay_ms = -1\n").unwrap_err();
        assert_eq!(e.field(), Some("sip.answer_delay_ms"));
    }

    #[test]
    fn duplicate_listen_is_rejected() {
        let e = Config::from_toml_str(
            "[sip]\nlisten = [\"udp:127.0.0.1:5070\", \"udp:127.0.0.1:5070\"]\n",
        )
        .unwrap_err();
        assert_eq!(e.field(), Some("sip.listen[1]"));
    }

    #[test]
    fn meeting_limits() {
        let c = Config::from_toml_str("[meetings]\nmax_rooms = 20\nevent_log = 100\n").unwrap();
        assert_eq!((c.meetings.max_rooms, c.meetings.event_log), (20, 100));
        let e = Config::from_toml_str("[meetings]\nmax_participants = 0\n").unwrap_err();
        assert_eq!(e.field(), Some("meetings.max_participants"));
    }

    #[test]
    fn sip_credentials() {
        let c = Config::from_toml_str(
            "[[sip.credentials]]\nrealm = \"pbx\"\nusername = \"gw\"\npassword = \"pw-secret-1\"\n\n[[sip.credentials]]\nusername = \"any\"\npassword = \"\"\n",
        )
        .unwrap();
        assert_eq!(c.sip.credentials.len(), 2);
        assert_eq!(c.sip.credentials[0].realm.as_deref(), Some("pbx"));
        assert_eq!(c.sip.credentials[1].realm, None);
        assert!(!format!("{c:?}").contains("pw-secret-1"));
        for (toml, field) in [
            (
                "[[sip.credentials]]\nusername = \"gw\"\n",
                "sip.credentials[0].password",
            ),
            (
                "[[sip.credentials]]\npassword = \"x\"\n",
                "sip.credentials[0].username",
            ),
            (
                "[[sip.credentials]]\nusername = \"a\"\npassword = \"b\"\nuser = \"c\"\n",
                "sip.credentials[0].user",
            ),
            ("[sip]\ncredentials = \"x\"\n", "sip.credentials"),
            ("[sip]\ncredentials = [1]\n", "sip.credentials[0]"),
        ] {
            let e = Config::from_toml_str(toml).unwrap_err();
            assert_eq!(e.field(), Some(field), "{toml}");
        }
    }

    #[test]
    fn media_strict_source() {
        assert!(!Config::default().media.strict_source);
        let c = Config::from_toml_str("[media]\nstrict_source = true\n").unwrap();
        assert!(c.media.strict_source);
        let e = Config::from_toml_str("[media]\nstrict_source = \"yes\"\n").unwrap_err();
        assert_eq!(e.field(), Some("media.strict_source"));
        let e = Config::from_toml_str("[media]\nstrict = true\n").unwrap_err();
        assert_eq!(e.field(), Some("media.strict"));
    }

    #[test]
    fn debug_hides_tokens() {
        let c = Config::from_toml_str("[api]\ntoken = \"secretsecretsecret\"\n").unwrap();
        assert!(!format!("{c:?}").contains("secretsecretsecret"));
    }
}
