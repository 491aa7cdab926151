//! The `stowage` binary: loads the configuration, builds the application and serves until stopped.

use std::path::PathBuf;
use stowage_core::config::Config;
use stowage_server::Application;

fn config_path() -> Result<Option<PathBuf>, String> {
    let mut args = std::env::args().skip(1);
    let mut path = std::env::var_os("STOWAGE_CONFIG").map(PathBuf::from);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--config" | "-c" => {
                path = Some(args.next().ok_or("--config needs a file path")?.into());
            }
            "--help" | "-h" => {
                println!(
                    "usage: stowage [--config FILE]\n\nSettings come from FILE (TOML) or \
                     $STOWAGE_CONFIG, overridden by STOWAGE_* environment variables;\nsee \
                     docs/configuration.md."
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument '{other}' (try --help)")),
        }
    }
    Ok(path)
}

#[tokio::main]
async fn main() {
    let config =
        match config_path().and_then(|p| Config::load(p.as_deref()).map_err(|e| e.to_string())) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("stowage: {e}");
                std::process::exit(2);
            }
        };
    stowage_server::telemetry::init(&config.log);
    let app = match Application::build(config).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!(
                "stowage: cannot start: {}",
                stowage_server::error::chain(&e)
            );
            std::process::exit(1);
        }
    };
    if let Err(e) = app.run_until_stopped().await {
        eprintln!("stowage: {e}");
        std::process::exit(1);
    }
}
