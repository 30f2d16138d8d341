//! The `roomgate` command: `serve` runs the gateway, `check-config` validates a config file,
//! `legs` shows the live call legs of a running roomgate.
//! Flags override the config file; see docs/config.md.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use roomgate::config::{Config, LogFormat, Overrides, PortRange, SipListen, MAX_ANSWER_DELAY_MS};
use roomgate::runtime::{self, TokenSource};

#[derive(Parser)]
#[command(
    name = "roomgate",
    version,
    about = "SIP gateway and breakout-room core for conference-room systems"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the gateway: SIP listeners, HTTP API, store.
    Serve(ServeArgs),
    /// Validate a config file without starting; exits non-zero naming the bad key.
    CheckConfig {
        /// The TOML file to check.
        file: PathBuf,
    },
    /// The live call-leg table of a running roomgate (from its API), refreshing.
    Legs(LegsArgs),
}

#[derive(Args)]
struct LegsArgs {
    /// API base URL [default: http://<http.listen of the config>].
    #[arg(long, value_name = "URL")]
    api: Option<String>,
    /// Host API token [default: api.token of the config].
    #[arg(long, env = "ROOMGATE_API_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Config file to take the defaults of --api and --token from.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print the legs once as JSON (for scripts) and exit.
    #[arg(long)]
    json: bool,
    /// Print the table once and exit.
    #[arg(long)]
    once: bool,
    /// Order: id, loss (worst first) or jitter (worst first).
    #[arg(long, default_value = "id", value_parser = parse_sort)]
    sort: roomgate::ops::table::SortBy,
    /// Seconds between refreshes.
    #[arg(long, default_value_t = 1)]
    interval: u64,
    /// Only legs of this meeting.
    #[arg(long)]
    meeting: Option<String>,
}

fn parse_sort(s: &str) -> Result<roomgate::ops::table::SortBy, String> {
    s.parse()
}

#[derive(Args)]
struct ServeArgs {
    /// TOML config file (see deploy/roomgate.example.toml); flags override it.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// SIP listening socket, repeatable: udp:127.0.0.1:5060, tcp:[::1]:5070.
    #[arg(long = "sip-listen", value_name = "TRANSPORT:ADDR:PORT", value_parser = parse_sip_listen)]
    sip_listen: Vec<SipListen>,
    /// HTTP API address [default: 127.0.0.1:8080].
    #[arg(long = "http-listen", value_name = "ADDR:PORT")]
    http_listen: Option<SocketAddr>,
    /// UDP port range for RTP/RTCP [default: 20000-29999].
    #[arg(long = "rtp-ports", value_name = "FIRST-LAST", value_parser = parse_port_range)]
    rtp_ports: Option<PortRange>,
    /// SQLite database file [default: roomgate.db].
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
    /// Log line format [default: text].
    #[arg(long = "log-format", value_name = "text|json", value_parser = parse_log_format)]
    log_format: Option<LogFormat>,
    /// Host-level API bearer token (generated and stored at first start when none is set).
    #[arg(long = "api-token", env = "ROOMGATE_API_TOKEN", hide_env_values = true)]
    api_token: Option<String>,
    /// Participant-level API token: may read and follow events, not manage rooms.
    #[arg(
        long = "api-participant-token",
        env = "ROOMGATE_API_PARTICIPANT_TOKEN",
        hide_env_values = true
    )]
    api_participant_token: Option<String>,
    /// Ring (180) this many milliseconds before answering an INVITE [default: 0].
    #[arg(
        long = "answer-delay-ms",
        value_name = "MS",
        value_parser = clap::value_parser!(u32).range(0..=i64::from(MAX_ANSWER_DELAY_MS))
    )]
    answer_delay_ms: Option<u32>,
}

fn parse_sip_listen(s: &str) -> Result<SipListen, String> {
    s.parse()
}

fn parse_port_range(s: &str) -> Result<PortRange, String> {
    s.parse()
}

fn parse_log_format(s: &str) -> Result<LogFormat, String> {
    s.parse()
}

fn load(args: ServeArgs) -> Result<Config, roomgate::config::ConfigError> {
    let mut config = match &args.config {
        Some(p) => Config::from_file(p)?,
        None => Config::default(),
    };
    config.apply(Overrides {
        sip_listen: args.sip_listen,
        http_listen: args.http_listen,
        rtp_ports: args.rtp_ports,
        db: args.db,
        log_format: args.log_format,
        api_token: args.api_token,
        api_participant_token: args.api_participant_token,
        answer_delay_ms: args.answer_delay_ms,
    })?;
    Ok(config)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Cmd::CheckConfig { file } => match Config::from_file(&file) {
            Ok(_) => {
                println!("{}: ok", file.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        },
        Cmd::Legs(args) => match legs(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("roomgate legs: {e}");
                ExitCode::FAILURE
            }
        },
        Cmd::Serve(args) => {
            let config = match load(args) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::FAILURE;
                }
            };
            runtime::init_logging(config.log.format, &config.log.level);
            let rt = match tokio::runtime::Runtime::new() {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("roomgate: cannot start the runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match rt.block_on(serve(config)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("roomgate: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let db = config.store.path.clone();
    let server = runtime::start(config).await?;
    // Before the address is printed: whoever read it may stop us at once.
    let signals = runtime::Signals::install()?;
    if server.token_source() == TokenSource::Generated {
        // Printed once, on stdout, so an operator (or a script) can pick it up; it is in the
        // store from now on.
        println!(
            "roomgate: generated API token (stored in {}): {}",
            db.display(),
            server.api_token()
        );
    }
    println!("roomgate: HTTP API on http://{}/api/v1", server.http_addr());
    server.run_until_signal(signals).await
}

/// `roomgate legs`: fetches `GET /api/v1/legs` and prints it, refreshing.
fn legs(args: LegsArgs) -> Result<(), String> {
    let config = match &args.config {
        Some(p) => Config::from_file(p).map_err(|e| e.to_string())?,
        None => Config::default(),
    };
    let base = args
        .api
        .unwrap_or_else(|| format!("http://{}", config.http.listen));
    let token = args
        .token
        .or(config.api.token)
        .ok_or("no API token: pass --token or set ROOMGATE_API_TOKEN")?;
    let mut path = "/api/v1/legs".to_owned();
    if let Some(m) = &args.meeting {
        path.push_str("?meeting=");
        path.extend(m.bytes().map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        }));
    }
    loop {
        let body = http_get(&base, &path, &token)?;
        let mut legs: Vec<serde_json::Value> =
            serde_json::from_str(&body).map_err(|e| format!("unexpected answer: {e}"))?;
        roomgate::ops::table::sort(&mut legs, args.sort);
        if args.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&legs).expect("JSON values serialize")
            );
            return Ok(());
        }
        let table = roomgate::ops::table::render(&legs);
        if args.once {
            print!("{table}");
            return Ok(());
        }
        // Clear the screen and home the cursor (ANSI), then the table.
        print!("\x1b[2J\x1b[H{} legs up at {base}\n\n{table}", legs.len());
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        std::thread::sleep(std::time::Duration::from_secs(args.interval.max(1)));
    }
}

/// A plain HTTP/1.1 GET (the API is HTTP on a trusted network; no TLS client in the binary).
fn http_get(base: &str, path: &str, token: &str) -> Result<String, String> {
    use std::io::{Read, Write};
    let hostport = base
        .strip_prefix("http://")
        .ok_or("--api must be an http:// URL")?
        .trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(hostport).map_err(|e| format!("{hostport}: {e}"))?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {hostport}\r\nAuthorization: Bearer {token}\r\n\
         Accept: application/json\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").ok_or("malformed HTTP answer")?;
    let status = head.split(' ').nth(1).unwrap_or("");
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    if status != "200" {
        return Err(format!("GET {path}: HTTP {status}: {body}"));
    }
    Ok(body)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}
