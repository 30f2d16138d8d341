//! The `roomgate` command: `serve` runs the gateway, `check-config` validates a config file.
//! Flags override the config file; see docs/config.md.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use roomgate::config::{Config, LogFormat, Overrides, PortRange, SipListen};
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
    #[arg(long = "answer-delay-ms", value_name = "MS")]
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
    server.run_until_signal().await
}
