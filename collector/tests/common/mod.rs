//! Test plumbing: the real collector binary on a free port, a tiny HTTP/1.1
//! client over std, and a throwaway PostgreSQL server.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub struct Collector {
    pub child: Child,
    pub addr: String,
}

impl Collector {
    pub fn start(db: &str, extra: &[&str]) -> Collector {
        Collector::start_with_stderr(db, extra, Stdio::null())
    }

    /// As [`Collector::start`], its log (stderr) written to `log`.
    pub fn start_logging_to(db: &str, extra: &[&str], log: &Path) -> Collector {
        Collector::start_with_stderr(db, extra, std::fs::File::create(log).expect("log file").into())
    }

    fn start_with_stderr(db: &str, extra: &[&str], stderr: Stdio) -> Collector {
        let mut child = Command::new(env!("CARGO_BIN_EXE_candor-collector"))
            .args(["--listen", "127.0.0.1:0", "--db", db, "--sites", "shop.example,blog.example", "--min-reports", "1"])
            .args(["--www", "/nonexistent", "--dist", "/nonexistent"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("collector starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("first line: {line:?}")).to_string();
        Collector { child, addr }
    }

    pub fn request(&self, method: &str, path: &str, content_type: Option<&str>, body: &[u8]) -> (u16, String) {
        request(&self.addr, method, path, content_type, body)
    }

    pub fn post_json(&self, path: &str, body: &str) -> (u16, String) {
        self.request("POST", path, Some("application/json"), body.as_bytes())
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        self.request("GET", path, None, b"")
    }

    /// Sends SIGTERM and returns the exit status code.
    pub fn terminate(mut self) -> Option<i32> {
        Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        let status = self.child.wait().unwrap();
        std::mem::forget(self);
        status.code()
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn request(addr: &str, method: &str, path: &str, content_type: Option<&str>, body: &[u8]) -> (u16, String) {
    let headers: Vec<(&str, &str)> = content_type.map(|ct| ("Content-Type", ct)).into_iter().collect();
    let a = send(addr, method, path, &headers, body);
    (a.status, a.body)
}

/// An answer with its head.
pub struct Answer {
    pub status: u16,
    /// The status line and headers.
    pub head: String,
    pub body: String,
}

impl Answer {
    /// The value of header `name` (any case), if sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).filter_map(|l| l.split_once(':')).find(|(k, _)| k.trim().eq_ignore_ascii_case(name)).map(|(_, v)| v.trim())
    }
}

/// Sends a request with `headers` (besides Host, Connection and Content-Length).
pub fn send(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
    let mut s = TcpStream::connect(addr).unwrap();
    // A collector that never answers fails the test (status 0) instead of hanging it.
    s.set_read_timeout(Some(std::time::Duration::from_secs(60))).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    let _ = s.write_all(body);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let (head, body) = text.split_once("\r\n\r\n").map(|(h, b)| (h.to_string(), b.to_string())).unwrap_or((text.clone(), String::new()));
    Answer { status, head, body: dechunk(&body) }
}

fn dechunk(body: &str) -> String {
    // Responses may be chunked; undo the simple case.
    let mut out = String::new();
    let mut rest = body;
    loop {
        let Some((size, after)) = rest.split_once("\r\n") else { return body.to_string() };
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else { return body.to_string() };
        if n == 0 {
            return out;
        }
        if after.len() < n {
            return body.to_string();
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
}

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("candor-{name}-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64);
    h.finish()
}

pub fn sqlite_db() -> String {
    temp_dir("sqlite").join("candor.db").to_string_lossy().to_string()
}

/// A throwaway PostgreSQL server on a free loopback port, stopped on drop.
pub struct Postgres {
    dir: PathBuf,
    bin: PathBuf,
    pub url: String,
}

impl Postgres {
    /// Starts one, or returns `None` when CANDOR_SKIP_PG=1. Panics with a
    /// clear message when the binaries are missing.
    pub fn start() -> Option<Postgres> {
        if std::env::var("CANDOR_SKIP_PG").as_deref() == Ok("1") {
            eprintln!("CANDOR_SKIP_PG=1: skipping PostgreSQL");
            return None;
        }
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|d| d.filter_map(|e| e.ok()).map(|e| e.path().join("bin")).find(|p| p.join("initdb").exists()))
            .expect("PostgreSQL is not installed (apt-get install postgresql); set CANDOR_SKIP_PG=1 to skip");
        let dir = temp_dir("pg");
        let port = free_port();
        run_as_postgres(&bin, &["chown", "-R", "postgres", dir.to_str().unwrap()], true);
        run_as_postgres(&bin, &[bin.join("initdb").to_str().unwrap(), "-D", dir.join("data").to_str().unwrap(), "-U", "postgres",
            "--auth=trust", "-E", "UTF8"], false);
        let opts = format!("-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off", dir.display());
        run_as_postgres(&bin, &[bin.join("pg_ctl").to_str().unwrap(), "-D", dir.join("data").to_str().unwrap(), "-o", &opts,
            "-l", dir.join("log").to_str().unwrap(), "-w", "start"], false);
        Some(Postgres { url: format!("postgres://postgres@127.0.0.1:{port}/postgres"), bin, dir })
    }
}

impl Postgres {
    /// A `psql` session on the server (quiet, unaligned, tuples only), its
    /// input and output piped; as the postgres user when running as root.
    pub fn psql(&self) -> std::process::Child {
        let psql = self.bin.join("psql");
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(psql);
            c
        } else {
            Command::new(psql)
        };
        cmd.args(["-qAt", "-v", "ON_ERROR_STOP=1", &self.url]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::inherit());
        cmd.spawn().expect("psql")
    }

    /// Stops the server (the data stays until drop).
    pub fn stop(&self) {
        let data = self.dir.join("data");
        run_as_postgres(&self.bin, &[self.bin.join("pg_ctl").to_str().unwrap(), "-D", data.to_str().unwrap(), "-m", "fast", "-w", "stop"], false);
    }

    /// Stops and starts the server again (same port, same data).
    pub fn restart(&self) {
        let data = self.dir.join("data");
        run_as_postgres(&self.bin, &[self.bin.join("pg_ctl").to_str().unwrap(), "-D", data.to_str().unwrap(), "-m", "fast", "-w",
            "restart"], false);
    }
}

impl Postgres {
    /// Freezes (SIGSTOP) or thaws (SIGCONT) the server and every process it
    /// started: a server that hangs, or one the network cut off, which
    /// accepts nothing and answers nothing.
    pub fn freeze(&self, frozen: bool) {
        let pid = std::fs::read_to_string(self.dir.join("data/postmaster.pid")).expect("postmaster.pid");
        let pid = pid.lines().next().unwrap().trim().to_string();
        let children = Command::new("pgrep").args(["-P", &pid]).output().expect("pgrep").stdout;
        let mut pids = vec![pid];
        pids.extend(String::from_utf8_lossy(&children).split_whitespace().map(str::to_string));
        let signal = if frozen { "-STOP" } else { "-CONT" };
        Command::new("kill").arg(signal).args(&pids).status().expect("kill");
    }
}

impl Drop for Postgres {
    /// Runs on test failure too (the guard unwinds with the panic).
    fn drop(&mut self) {
        // A frozen server stops only once it runs again.
        if let Ok(pid) = std::fs::read_to_string(self.dir.join("data/postmaster.pid")) {
            let pid = pid.lines().next().unwrap_or("").trim().to_string();
            let _ = Command::new("pkill").args(["-CONT", "-P", &pid]).status();
            let _ = Command::new("kill").args(["-CONT", &pid]).status();
        }
        let data = self.dir.join("data");
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .args(["-D", data.to_str().unwrap(), "-m", "fast", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn run_as_postgres(_bin: &Path, args: &[&str], as_root: bool) {
    let status = if as_root || !is_root() {
        Command::new(args[0]).args(&args[1..]).stdout(Stdio::null()).stderr(Stdio::null()).status()
    } else {
        Command::new("runuser").args(["-u", "postgres", "--"]).args(args).stdout(Stdio::null()).stderr(Stdio::null()).status()
    };
    assert!(status.map(|s| s.success()).unwrap_or(false), "failed: {args:?}");
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A valid report with the given id and page_view count.
pub fn report(id: &str, count: u64) -> String {
    format!(
        r#"{{"report_id":"{id}","site":"shop.example","revision":"r1","purpose":"analytics","window":{{"start":1763800020,"seconds":60}},
        "events":{{"page_view":{{"count":{count},"fields":{{"path":{{"/shop":{count}}},"load_ms":[1,{count},0]}}}}}},"noise":null,"sdk":"candor/0.1.0"}}"#
    )
}

pub fn uuid(n: u32) -> String {
    format!("{n:08x}-1d2e-4f3a-9b8c-7d6e5f4a3b2c")
}
