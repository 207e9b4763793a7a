//! `bake-hashserv`: the hash equivalence server, with `bitbake-hashserv`'s options.

use std::process::ExitCode;

use clap::Parser;

/// A hash equivalence server (BitBake's protocol, SQLite database).
#[derive(Parser)]
#[command(name = "bake-hashserv", version)]
struct Cli {
    /// Address to listen on: `unix://PATH` or `HOST:PORT`.
    #[arg(short = 'b', long = "bind", default_value = "unix://./hashserve.sock")]
    bind: String,
    /// The SQLite database (created if missing).
    #[arg(short = 'd', long = "database", default_value = "./hashserv.db")]
    database: std::path::PathBuf,
    /// Log level (`WARNING` by default; `INFO` or `DEBUG` log each connection).
    #[arg(short = 'l', long = "log", default_value = "WARNING")]
    log: String,
    /// Answer reports without recording them (a shared server).
    #[arg(short = 'r', long = "read-only")]
    read_only: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let log = matches!(cli.log.to_ascii_uppercase().as_str(), "INFO" | "DEBUG");
    match bake_hashserv::Server::bind(&cli.bind, &cli.database, cli.read_only, log) {
        Ok(s) => {
            #[expect(clippy::print_stderr, reason = "the server says where it listens")]
            {
                eprintln!("bake-hashserv: listening on {}", s.addr());
            }
            s.serve();
            ExitCode::SUCCESS
        }
        Err(e) => {
            #[expect(clippy::print_stderr, reason = "the error goes to the user")]
            {
                eprintln!("bake-hashserv: {e:#}");
            }
            ExitCode::FAILURE
        }
    }
}
