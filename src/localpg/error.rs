use std::path::PathBuf;
use std::process::ExitStatus;

/// What went wrong while finding, starting or stopping a local PostgreSQL cluster.
#[derive(Debug, thiserror::Error)]
pub enum LocalPgError {
    /// No directory with `initdb` and `postgres` was found.
    #[error(
        "no PostgreSQL server binaries found{wanted} (looked in: {searched}); install them with \
         `apt-get install postgresql-15`, run `./scripts/install-deps`, or set PGCDC_PG_BIN to a \
         directory that holds `initdb` and `postgres`"
    )]
    NotInstalled {
        /// ` for version N` when a version was asked for, else empty.
        wanted: String,
        /// The directories that were searched, comma-separated.
        searched: String,
    },
    /// The process runs as root and there is no `postgres` user to run the server as.
    #[error(
        "running as root, but PostgreSQL refuses to run as root and there is no `postgres` \
         operating-system user to run it as; create one with `useradd --system postgres`"
    )]
    NoPostgresUser,
    /// A helper program could not be started at all.
    #[error("could not run {program}: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },
    /// A helper program (`initdb`, `psql`, `postgres --version`) failed.
    #[error("{program} failed ({status}):\n{output}")]
    CommandFailed {
        /// The program and its arguments.
        program: String,
        /// Its exit status.
        status: ExitStatus,
        /// What it printed.
        output: String,
    },
    /// A file or directory of the cluster could not be written or read.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done (`creating`, `writing`, ...).
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },
    /// The server exited while starting.
    #[error("PostgreSQL exited during start-up ({status}); server log:\n{log}")]
    StartFailed {
        /// Its exit status.
        status: ExitStatus,
        /// The tail of the server log.
        log: String,
    },
    /// The server did not accept connections in time.
    #[error("PostgreSQL did not become ready within {seconds} s; server log:\n{log}")]
    StartTimeout {
        /// How long was waited.
        seconds: u64,
        /// The tail of the server log.
        log: String,
    },
    /// TLS was asked for, but this build of the server has none.
    #[error(
        "PostgreSQL {version} at {bin_dir} was built without TLS support; use a build with \
         OpenSSL (Debian's packages have it)"
    )]
    TlsUnsupported {
        /// The server version.
        version: String,
        /// Where its binaries are.
        bin_dir: PathBuf,
    },
    /// A program printed something that cannot be read.
    #[error("unexpected output from {program}: {output}")]
    UnexpectedOutput {
        /// The program.
        program: String,
        /// The start of what it printed.
        output: String,
    },
    /// `postgres --version` printed something unexpected.
    #[error("cannot read the PostgreSQL version from `{output}` ({program})")]
    UnknownVersion {
        /// The program that was asked.
        program: String,
        /// What it printed.
        output: String,
    },
}

impl LocalPgError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
