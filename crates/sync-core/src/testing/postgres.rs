//! A throwaway PostgreSQL server for tests.
//!
//! [`TempPostgres::start`] makes a new cluster with the machine's own PostgreSQL binaries
//! (`initdb` in a temporary directory), starts it on a free loopback port with its Unix
//! socket inside that directory, waits until it accepts connections and creates a database.
//! Dropping the value stops the server and deletes the directory. Each call makes its own
//! server, so tests running in parallel never share one.
//!
//! The binaries are looked for in `$SYNC_CORE_PG_BIN` (a directory), then on `PATH`, then in
//! `/usr/lib/postgresql/<version>/bin` (Debian and Ubuntu; the newest version wins). When
//! they are missing, `start` fails with a message saying how to install them
//! (`apt-get install postgresql`): a test that needs PostgreSQL must fail, not pass silently.
//!
//! PostgreSQL refuses to run as root. When the tests run as root (containers, CI), the
//! server is run as the `postgres` system user (created by the distribution's package)
//! through `runuser`, after handing it the temporary directory.
//!
//! ```no_run
//! use sync_core::testing::TempPostgres;
//!
//! let pg = TempPostgres::start().unwrap_or_else(|e| panic!("{e}"));
//! println!("connect to {}", pg.url());
//! // the server stops when `pg` is dropped
//! ```

use std::ffi::OsStr;
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

/// The database [`TempPostgres::start`] creates.
pub const DATABASE: &str = "sync_test";

/// The superuser of the throwaway cluster (no password: loopback connections are trusted).
pub const SUPERUSER: &str = "postgres";

/// The OS user that runs the server when the tests run as root.
const OS_USER: &str = "postgres";

/// How often `start` tries another port when the one it picked was taken meanwhile.
const PORT_ATTEMPTS: usize = 5;

const INSTALL_HINT: &str = "install the PostgreSQL server binaries with \
     `apt-get install postgresql` (Debian/Ubuntu), or point SYNC_CORE_PG_BIN at the \
     directory holding initdb, pg_ctl, postgres and createdb";

/// A running throwaway PostgreSQL server; stopped and deleted on drop.
#[derive(Debug)]
pub struct TempPostgres {
    /// The cluster's directory (data, socket, log); deleted on drop.
    dir: Option<TempDir>,
    /// Where initdb, pg_ctl, postgres and createdb are.
    bin: PathBuf,
    /// The data directory inside `dir`.
    data: PathBuf,
    /// The TCP port on 127.0.0.1.
    port: u16,
    /// `Some("postgres")` when server commands run through `runuser` (we are root).
    run_as: Option<&'static str>,
}

impl TempPostgres {
    /// Creates, starts and waits for a new server, and creates the database [`DATABASE`].
    ///
    /// Blocks for a second or two (initdb dominates).
    ///
    /// # Errors
    ///
    /// A message naming what failed: binaries not found (with how to install them), no
    /// `postgres` user when running as root, or the output of the failing command.
    pub fn start() -> Result<Self, String> {
        Self::start_with(false)
    }

    /// As [`TempPostgres::start`], with TLS on: a server certificate for `localhost` and
    /// `127.0.0.1` signed by a throwaway authority (made with the `openssl` command) whose
    /// certificate is at [`TempPostgres::certificate`], so a client can connect with
    /// `sslmode=require` or, trusting that authority, `sslmode=verify-full`.
    ///
    /// # Errors
    ///
    /// As [`TempPostgres::start`], and when `openssl` is missing or fails.
    pub fn start_tls() -> Result<Self, String> {
        Self::start_with(true)
    }

    /// The certificate authority (PEM) that signed the server's certificate, when it was
    /// started with TLS: the root a `verify-full` client trusts (`sslrootcert`).
    pub fn certificate(&self) -> PathBuf {
        self.data.join("ca.crt")
    }

    fn start_with(tls: bool) -> Result<Self, String> {
        let bin = find_bin_dir(std::env::var_os("SYNC_CORE_PG_BIN").map(PathBuf::from))?;
        let mut dir = temp_dir(None)?;
        let root = std::fs::metadata(dir.path())
            .map_err(|e| format!("cannot inspect {}: {e}", dir.path().display()))?
            .uid()
            == 0;
        if root && !reachable_by_others(dir.path()) {
            // The server user must be able to walk down to its directory; $TMPDIR may be
            // private to root.
            dir = temp_dir(Some(Path::new("/tmp")))?;
        }
        let socket = dir.path().join("socket");
        std::fs::create_dir(&socket)
            .map_err(|e| format!("cannot create {}: {e}", socket.display()))?;
        let run_as = if root {
            hand_over(dir.path(), &socket)?;
            Some(OS_USER)
        } else {
            None
        };
        let mut server = TempPostgres {
            data: dir.path().join("data"),
            dir: Some(dir),
            bin,
            port: 0,
            run_as,
        };
        server.init()?;
        if tls {
            server.make_certificate()?;
        }
        server.launch(&socket, tls)?;
        server.create_database(DATABASE)?;
        Ok(server)
    }

    /// The URL of the database [`DATABASE`]:
    /// `postgres://postgres@127.0.0.1:<port>/sync_test`.
    pub fn url(&self) -> String {
        self.url_for(DATABASE)
    }

    /// The URL of another database of this server.
    pub fn url_for(&self, database: &str) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{database}", self.port)
    }

    /// The server's TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The cluster's temporary directory (deleted on drop).
    pub fn dir(&self) -> &Path {
        match &self.dir {
            Some(dir) => dir.path(),
            None => Path::new(""),
        }
    }

    /// Creates another, empty database on this server and returns its URL, so several
    /// tests can share one server without sharing data.
    ///
    /// # Errors
    ///
    /// The output of `createdb` when it fails (for example when the name is taken).
    pub fn create_database(&self, name: &str) -> Result<String, String> {
        let port = self.port.to_string();
        let output = Command::new(self.bin.join("createdb"))
            .args(["-h", "127.0.0.1", "-p", &port, "-U", SUPERUSER, name])
            .current_dir(self.dir())
            .output()
            .map_err(|e| format!("cannot run createdb: {e}"))?;
        check("createdb", &output)?;
        Ok(self.url_for(name))
    }

    fn init(&self) -> Result<(), String> {
        let mut initdb = self.command("initdb");
        initdb.arg("-D").arg(&self.data).args([
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--no-locale",
            "-E",
            "UTF8",
            "--no-sync",
        ]);
        let output = initdb
            .output()
            .map_err(|e| format!("cannot run initdb: {e}"))?;
        check("initdb", &output)
    }

    /// A throwaway certificate authority (`ca.crt`) and a server certificate it signed for
    /// `localhost` and `127.0.0.1`, with its key, in the data directory, owned by the server
    /// user (the server refuses a key others can read).
    fn make_certificate(&self) -> Result<(), String> {
        const SCRIPT: &str = "set -e; \
            openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=sync-test-ca \
              -keyout ca.key -out ca.crt 2>/dev/null; \
            openssl req -newkey rsa:2048 -nodes -subj /CN=localhost \
              -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
              -addext basicConstraints=critical,CA:FALSE \
              -keyout server.key -out server.csr 2>/dev/null; \
            openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
              -days 2 -copy_extensions copyall -out server.crt 2>/dev/null; \
            chmod 600 server.key ca.key";
        let mut shell = match self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--", "sh", "-c", SCRIPT]);
                command
            }
            None => {
                let mut command = Command::new("sh");
                command.args(["-c", SCRIPT]);
                command
            }
        };
        let output = shell.current_dir(&self.data).output().map_err(|e| {
            format!(
                "cannot run sh and openssl (apt-get install openssl) to make a certificate: {e}"
            )
        })?;
        check("openssl (certificates)", &output)
    }

    fn launch(&mut self, socket: &Path, tls: bool) -> Result<(), String> {
        let log = self.dir().join("server.log");
        let mut last = String::new();
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port()?;
            let options = format!(
                "-p {port} -k '{}' -c listen_addresses=127.0.0.1 -c fsync=off \
                 -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=16MB \
                 -c max_connections=60{}",
                socket.display(),
                if tls {
                    " -c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key"
                } else {
                    ""
                }
            );
            let mut pg_ctl = self.command("pg_ctl");
            pg_ctl
                .arg("-D")
                .arg(&self.data)
                .arg("-l")
                .arg(&log)
                .args(["-w", "-t", "60", "-o", &options, "start"]);
            let output = pg_ctl
                .output()
                .map_err(|e| format!("cannot run pg_ctl: {e}"))?;
            if output.status.success() {
                self.port = port;
                return Ok(());
            }
            let server_log = std::fs::read_to_string(&log).unwrap_or_default();
            last = format!(
                "pg_ctl start failed ({}): {}{}\nserver log:\n{server_log}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            if !server_log.contains("could not bind") && !server_log.contains("in use") {
                break;
            }
        }
        Err(last)
    }

    /// A command for one of the server binaries, run as the `postgres` user when we are root.
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        let mut command = match self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(path);
                command
            }
            None => Command::new(path),
        };
        // The server user may not be allowed into our working directory.
        command.current_dir(self.dir());
        command
    }
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        if self.port != 0 {
            let mut stop = self.command("pg_ctl");
            stop.arg("-D")
                .arg(&self.data)
                .args(["-m", "immediate", "-w", "-t", "30", "stop"]);
            // Nothing to do about a failure here; the directory goes anyway.
            let _ = stop.output();
        }
        if let Some(dir) = self.dir.take() {
            let _ = dir.close();
        }
    }
}

/// A new temporary directory for a cluster, in `parent` or the system's temporary directory.
fn temp_dir(parent: Option<&Path>) -> Result<TempDir, String> {
    let mut builder = tempfile::Builder::new();
    builder.prefix("sync-core-pg-");
    match parent {
        Some(parent) => builder.tempdir_in(parent),
        None => builder.tempdir(),
    }
    .map_err(|e| format!("cannot create a temporary directory for PostgreSQL: {e}"))
}

/// `true` when every directory above `path` lets other users through (mode `o+x`).
fn reachable_by_others(path: &Path) -> bool {
    path.ancestors().skip(1).all(|dir| {
        std::fs::metadata(dir)
            .map(|meta| meta.mode() & 0o001 != 0)
            .unwrap_or(false)
    })
}

/// Gives the `postgres` OS user the cluster directory (we are root).
fn hand_over(dir: &Path, socket: &Path) -> Result<(), String> {
    let id = |flag: &str| -> Result<u32, String> {
        let output = Command::new("id")
            .args([flag, OS_USER])
            .output()
            .map_err(|e| format!("cannot run id: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "PostgreSQL refuses to run as root and there is no `{OS_USER}` user to run it \
                 as; {INSTALL_HINT} (the package creates the user)"
            ));
        }
        String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .map_err(|e| format!("unexpected output of `id {flag} {OS_USER}`: {e}"))
    };
    let (uid, gid) = (id("-u")?, id("-g")?);
    for path in [dir, socket] {
        std::os::unix::fs::chown(path, Some(uid), Some(gid))
            .map_err(|e| format!("cannot give {} to {OS_USER}: {e}", path.display()))?;
    }
    Ok(())
}

/// The directory holding initdb, pg_ctl, postgres and createdb: `chosen` (from
/// `SYNC_CORE_PG_BIN`) when given, else found on `PATH` or under `/usr/lib/postgresql`.
fn find_bin_dir(chosen: Option<PathBuf>) -> Result<PathBuf, String> {
    const NEEDED: [&str; 4] = ["initdb", "pg_ctl", "postgres", "createdb"];
    let complete = |dir: &Path| NEEDED.iter().all(|name| dir.join(name).is_file());

    if let Some(dir) = chosen {
        return if complete(&dir) {
            Ok(dir)
        } else {
            Err(format!(
                "SYNC_CORE_PG_BIN={} lacks one of {NEEDED:?}; {INSTALL_HINT}",
                dir.display()
            ))
        };
    }
    let mut candidates = Vec::new();
    for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
        let initdb = dir.join("initdb");
        if initdb.is_file() {
            // Follow symlinks (e.g. /usr/local/bin/initdb -> /usr/lib/postgresql/15/bin) to
            // find the tools that ship next to it.
            if let Some(parent) = initdb
                .canonicalize()
                .ok()
                .and_then(|real| real.parent().map(Path::to_path_buf))
            {
                candidates.push(parent);
            }
            candidates.push(dir);
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    versions.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    candidates.extend(versions.into_iter().map(|(_, dir)| dir));

    candidates
        .into_iter()
        .find(|dir| complete(dir))
        .ok_or_else(|| {
            format!(
                "PostgreSQL server binaries ({}) not found in SYNC_CORE_PG_BIN, on PATH or in \
             /usr/lib/postgresql/*/bin; {INSTALL_HINT}",
                NEEDED.join(", ")
            )
        })
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
fn free_port() -> Result<u16, String> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| format!("cannot find a free loopback port: {e}"))
}

fn check(what: impl AsRef<OsStr>, output: &Output) -> Result<(), String> {
    if output.status.success() {
        return Ok(());
    }
    Err(format!(
        "{} failed ({}): {}{}",
        what.as_ref().to_string_lossy(),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_without_the_binaries_fails_with_the_install_hint() {
        let empty = tempfile::tempdir().expect("tempdir");
        let error = find_bin_dir(Some(empty.path().to_path_buf())).expect_err("no binaries");
        assert!(error.contains("apt-get install postgresql"), "{error}");
        assert!(error.contains("SYNC_CORE_PG_BIN"), "{error}");
    }

    #[test]
    fn a_private_parent_directory_is_detected() {
        let outer = tempfile::tempdir().expect("tempdir");
        let private = outer.path().join("private");
        std::fs::create_dir(&private).expect("mkdir");
        std::fs::set_permissions(
            &private,
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .expect("chmod");
        assert!(!reachable_by_others(&private.join("cluster")));
        std::fs::set_permissions(
            &private,
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .expect("chmod");
        // `/tmp` lies under `/`, which everyone may walk through.
        assert!(reachable_by_others(Path::new("/tmp")));
    }

    #[test]
    fn the_machine_binaries_are_found() {
        // PostgreSQL is a test prerequisite of this workspace: missing binaries fail here too.
        let dir = find_bin_dir(None).unwrap_or_else(|e| panic!("{e}"));
        for name in ["initdb", "pg_ctl", "postgres", "createdb"] {
            assert!(dir.join(name).is_file(), "{name} in {}", dir.display());
        }
    }
}
