//! Configuration: a TOML file (`--config FILE`) overlaid by command-line flags.
//!
//! Precedence, lowest first: built-in defaults (which run on one machine out of the box), the
//! TOML file, the environment (`ROOMGATE_API_TOKEN`), then flags. Every key is documented in
//! `deploy/roomgate.example.toml` and `docs/config.md`; a test fails when a field of these
//! structs is missing from either.
//!
//! The file is read by serde derive over the structs below: every section and key defaults to
//! today's value, unknown keys are errors (`deny_unknown_fields`). `serde_path_to_error` names
//! the key and the toml crate's span gives the line and column, so an error reads
//! `config: sip.listen[1]: unknown transport "sctp" (expected udp or tcp) (line 2, column 33)`.
//! Values that need more than their type (ranges, `udp:ADDR:PORT`, tracing filters) are checked
//! as they are read; rules across keys in [`Config::validate`], which flags go through as well.
//!
//! Adding a key is one field, with its default in its section's `Default` and, if its type is
//! not enough, a `deserialize_with`; then a row in docs/config.md and a line in the example.

use std::fmt;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::de::{self, Deserializer};
use serde::Deserialize;

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
    #[error("config: {field}: {reason}{}", at_suffix(.at))]
    Invalid {
        field: String,
        reason: String,
        /// Where in the file, when the error comes from the file.
        at: Option<Location>,
    },
}

/// A position in the config file, both counted from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

impl Location {
    fn of(text: &str, offset: usize) -> Location {
        let before = &text[..offset.min(text.len())];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Location {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    }
}

fn at_suffix(at: &Option<Location>) -> String {
    at.map(|l| format!(" (line {}, column {})", l.line, l.column))
        .unwrap_or_default()
}

impl ConfigError {
    fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ConfigError::Invalid {
            field: field.into(),
            reason: reason.into(),
            at: None,
        }
    }

    /// The key this error is about, if it is about one key.
    pub fn field(&self) -> Option<&str> {
        match self {
            ConfigError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }

    /// Where in the file the error is, when known.
    pub fn location(&self) -> Option<Location> {
        match self {
            ConfigError::Invalid { at, .. } => *at,
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

/// The value types that are written as one string in the file read it through `FromStr`, the
/// same parser the flags use, so file and flags accept the same text and say the same errors.
macro_rules! string_value {
    ($($ty:ty => $expecting:literal),* $(,)?) => {$(
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_str(Parsed::new($expecting))
            }
        }
        #[cfg(test)]
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
    )*};
}

string_value! {
    SipListen => "a string TRANSPORT:ADDRESS:PORT such as \"udp:127.0.0.1:5060\"",
    PortRange => "a string FIRST-LAST such as \"20000-29999\"",
    LogFormat => "a string, \"text\" or \"json\"",
}

/// `[sip]`
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default, deny_unknown_fields, expecting = "a [sip] table")]
pub struct SipConfig {
    /// Listening sockets. Default: UDP and TCP on 127.0.0.1:5060.
    pub listen: Vec<SipListen>,
    /// Ring this long (180 Ringing) before answering an INVITE with 200. Default 0.
    #[serde(deserialize_with = "in_range::<_, 0, MAX_ANSWER_DELAY_MS>")]
    pub answer_delay_ms: u32,
    /// Most SIP TCP connections open at once; more are closed at accept. Default 4096.
    #[serde(deserialize_with = "in_range::<_, 1, 1_000_000>")]
    pub max_connections: u32,
    /// A SIP TCP connection with no traffic for this long is closed. Default 600.
    #[serde(deserialize_with = "in_range::<_, 1, 86_400>")]
    pub idle_timeout_s: u32,
    /// A message that started arriving on TCP must be complete within this (slowloris).
    /// Default 10.
    #[serde(deserialize_with = "in_range::<_, 1, 3_600>")]
    pub message_timeout_s: u32,
    /// Most server transactions outside a dialog alive at once (new calls, OPTIONS pings…;
    /// each lives up to 32 s for retransmissions); past it new ones get 503 with Retry-After
    /// while established calls are still served. Default 65,536 (a minute of 1,000 calls/s).
    #[serde(deserialize_with = "in_range::<_, 1, 10_000_000>")]
    pub max_out_of_dialog_transactions: u32,
    /// Accounts for answering digest challenges (401/407) to dial-out INVITEs. Default none.
    pub credentials: Vec<SipCredential>,
}

/// The longest ring before answering (`sip.answer_delay_ms`, `--answer-delay-ms`): a minute.
pub const MAX_ANSWER_DELAY_MS: u32 = 60_000;

impl Default for SipConfig {
    fn default() -> Self {
        let loopback: SocketAddr = "127.0.0.1:5060".parse().expect("literal address");
        SipConfig {
            listen: vec![
                SipListen {
                    transport: Transport::Udp,
                    addr: loopback,
                },
                SipListen {
                    transport: Transport::Tcp,
                    addr: loopback,
                },
            ],
            answer_delay_ms: 0,
            max_connections: 4096,
            idle_timeout_s: 600,
            message_timeout_s: 10,
            max_out_of_dialog_transactions: 65_536,
            credentials: Vec::new(),
        }
    }
}

/// `[[sip.credentials]]`: one account, for one realm or (without `realm`) for any.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(
    deny_unknown_fields,
    expecting = "a table { realm = \"…\", username = \"…\", password = \"…\" }"
)]
pub struct SipCredential {
    pub realm: Option<String>,
    #[serde(deserialize_with = "non_empty")]
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
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default, deny_unknown_fields, expecting = "a [http] table")]
pub struct HttpConfig {
    /// REST/WebSocket API, `/metrics` and `/healthz`. Default 127.0.0.1:8080.
    #[serde(deserialize_with = "socket_addr")]
    pub listen: SocketAddr,
    /// Most HTTP connections (event streams included) open at once. Default 1024.
    #[serde(deserialize_with = "in_range::<_, 1, 1_000_000>")]
    pub max_connections: u32,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: "127.0.0.1:8080".parse().expect("literal address"),
            max_connections: 1024,
        }
    }
}

/// `[rtp]`
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default, deny_unknown_fields, expecting = "a [rtp] table")]
pub struct RtpConfig {
    /// UDP ports for media. Default 20000-29999.
    pub ports: PortRange,
}

impl Default for RtpConfig {
    fn default() -> Self {
        RtpConfig {
            ports: PortRange {
                first: 20000,
                last: 29999,
            },
        }
    }
}

/// `[media]`
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default, deny_unknown_fields, expecting = "a [media] table")]
pub struct MediaConfig {
    /// Never follow a call leg's peer to a new media source once the learning window after an
    /// offer/answer is over (not even a NAT rebinding). Default false.
    pub strict_source: bool,
}

/// `[store]`
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default, deny_unknown_fields, expecting = "a [store] table")]
pub struct StoreConfig {
    /// SQLite database file. Default `roomgate.db` in the working directory.
    pub path: PathBuf,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            path: PathBuf::from("roomgate.db"),
        }
    }
}

/// `[log]`
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default, deny_unknown_fields, expecting = "a [log] table")]
pub struct LogConfig {
    pub format: LogFormat,
    /// A `tracing` filter (`info`, `roomgate=debug,info`); `RUST_LOG` overrides it.
    #[serde(deserialize_with = "tracing_filter")]
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: LogFormat::Text,
            level: "info".into(),
        }
    }
}

/// `[api]`
#[derive(Clone, PartialEq, Eq, Default, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default, deny_unknown_fields, expecting = "a [api] table")]
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
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default, deny_unknown_fields, expecting = "a [meetings] table")]
pub struct MeetingsConfig {
    /// Create the demo meeting `1000` (no passcode) when the store is new. Default true.
    pub demo: bool,
    /// Most breakout rooms in one meeting. Default 100.
    #[serde(deserialize_with = "in_range::<_, 1, 10_000>")]
    pub max_rooms: u32,
    /// Most participants in one meeting. Default 1000.
    #[serde(deserialize_with = "in_range::<_, 1, 1_000_000>")]
    pub max_participants: u32,
    /// Events kept per meeting for event-stream resumes (`?since=`). Default 4096.
    #[serde(deserialize_with = "in_range::<_, 1, 1_000_000>")]
    pub event_log: u32,
}

impl Default for MeetingsConfig {
    fn default() -> Self {
        MeetingsConfig {
            demo: true,
            max_rooms: 100,
            max_participants: 1000,
            event_log: 4096,
        }
    }
}

/// `[hep]`: HEPv3 capture export to a Homer collector.
#[derive(Clone, PartialEq, Eq, Default, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default, deny_unknown_fields, expecting = "a [hep] table")]
pub struct HepConfig {
    /// The collector (`127.0.0.1:9060`); unset: no export (the default).
    #[serde(deserialize_with = "some_socket_addr")]
    pub address: Option<SocketAddr>,
    /// Capture agent id sent with every packet. Default 0.
    #[serde(deserialize_with = "in_range::<_, 0, { u32::MAX }>")]
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
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(default, deny_unknown_fields)]
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
        let config: Config = serde_path_to_error::deserialize(toml::Deserializer::new(text))
            .map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner();
                // No key on the path: the text did not parse as TOML at all (the top level of a
                // document is always a table). toml's own message quotes the line with a caret.
                if path == "." {
                    return ConfigError::Syntax {
                        path: PathBuf::from("<string>"),
                        message: inner.to_string().trim_end().to_owned(),
                    };
                }
                let at = inner.span().map(|s| Location::of(text, s.start));
                let message = inner.message();
                // serde reports a missing key on the table that lacks it; name the key itself.
                let (field, reason) = match message
                    .strip_prefix("missing field `")
                    .and_then(|m| m.strip_suffix('`'))
                {
                    Some(key) => (format!("{path}.{key}"), "missing".to_owned()),
                    None => (path, message.to_owned()),
                };
                ConfigError::Invalid { field, reason, at }
            })?;
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

    /// Cross-key rules that no single key can check, and the rules for values flags can set
    /// (the flags' own parsers check their syntax and ranges).
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
}

/// Reads a string through `FromStr`; the parser's error text is the reason shown.
struct Parsed<T> {
    expecting: &'static str,
    ty: PhantomData<T>,
}

impl<T> Parsed<T> {
    fn new(expecting: &'static str) -> Self {
        Parsed {
            expecting,
            ty: PhantomData,
        }
    }
}

impl<T> de::Visitor<'_> for Parsed<T>
where
    T: FromStr,
    T::Err: fmt::Display,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<T, E> {
        s.parse().map_err(E::custom)
    }
}

/// An integer in `MIN..=MAX`, the range a key accepts.
fn in_range<'de, D: Deserializer<'de>, const MIN: u32, const MAX: u32>(
    d: D,
) -> Result<u32, D::Error> {
    let n = i64::deserialize(d)?;
    if !(i64::from(MIN)..=i64::from(MAX)).contains(&n) {
        return Err(de::Error::custom(format!(
            "{n} is out of range {MIN}..={MAX}"
        )));
    }
    Ok(n as u32)
}

fn socket_addr<'de, D: Deserializer<'de>>(d: D) -> Result<SocketAddr, D::Error> {
    let s = String::deserialize(d)?;
    s.parse().map_err(|_| {
        de::Error::custom(format!(
            "bad address {s:?} (expected IP:PORT such as 127.0.0.1:8080 or [::1]:8080)"
        ))
    })
}

fn some_socket_addr<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SocketAddr>, D::Error> {
    socket_addr(d).map(Some)
}

/// A `tracing` filter, checked now so a typo fails `check-config` rather than logging.
fn tracing_filter<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    tracing_subscriber::EnvFilter::try_new(&s)
        .map_err(|e| de::Error::custom(format!("bad filter {s:?}: {e}")))?;
    Ok(s)
}

fn non_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    if s.is_empty() {
        return Err(de::Error::custom("must not be empty"));
    }
    Ok(s)
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
mod tests;
