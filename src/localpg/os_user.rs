//! Running the server binaries as the `postgres` user when the process is root.

use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::Command;

use nix::unistd::{Gid, Uid, User};

use super::LocalPgError;

/// Who runs the server binaries.
#[derive(Debug, Clone)]
pub(crate) enum RunAs {
    /// The current user (not root).
    Current,
    /// Root switches to this user.
    User { name: String, uid: Uid, gid: Gid },
}

impl RunAs {
    /// The current user, or `postgres` when the current user is root.
    pub(crate) fn for_server() -> Result<Self, LocalPgError> {
        if !nix::unistd::geteuid().is_root() {
            return Ok(Self::Current);
        }
        match User::from_name("postgres") {
            Ok(Some(user)) => Ok(Self::User {
                name: user.name,
                uid: user.uid,
                gid: user.gid,
            }),
            _ => Err(LocalPgError::NoPostgresUser),
        }
    }

    /// A command that runs `program` as this user. With `die_with_parent`, the program gets
    /// SIGQUIT (PostgreSQL's immediate shutdown) when the thread that started it goes away, so a
    /// killed test run leaves no server behind.
    pub(crate) fn command(&self, program: &Path, die_with_parent: bool) -> Command {
        let wants_setpriv = die_with_parent || matches!(self, Self::User { .. });
        if !wants_setpriv || !setpriv_available() {
            let mut command = Command::new(program);
            if let Self::User { uid, gid, .. } = self {
                command.uid(uid.as_raw()).gid(gid.as_raw());
            }
            return command;
        }
        let mut command = Command::new("setpriv");
        if die_with_parent {
            command.arg("--pdeathsig=SIGQUIT");
        }
        if let Self::User { name, .. } = self {
            command
                .arg(format!("--reuid={name}"))
                .arg(format!("--regid={name}"))
                .arg("--init-groups");
        }
        command.arg("--").arg(program);
        command
    }

    /// Gives `path` to this user.
    pub(crate) fn give(&self, path: &Path) -> Result<(), LocalPgError> {
        if let Self::User { uid, gid, .. } = self {
            nix::unistd::chown(path, Some(*uid), Some(*gid))
                .map_err(|errno| LocalPgError::io("changing the owner of", path, errno.into()))?;
        }
        Ok(())
    }
}

fn setpriv_available() -> bool {
    static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        Command::new("setpriv")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}
