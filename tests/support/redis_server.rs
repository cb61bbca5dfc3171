//! A `redis-server` of the test's (or the example's) own on a free loopback port, with no
//! persistence, stopped when dropped. `.ci/run` installs the Debian package `redis-server`
//! when it is missing; without it, starting fails saying so (a Redis test never passes
//! without Redis).

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, TcpListener};
use std::process::{Child, Command, Stdio};

/// A running `redis-server`.
pub struct RedisServer {
    port: u16,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts `redis-server` on a free loopback port and waits until it is ready.
    pub fn start() -> RedisServer {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let mut server = RedisServer { port, child: None };
        server.restart();
        server
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Stops the server (SIGKILL: as a crash would) and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port (empty: nothing is saved), and waits until it
    /// says it is ready (its log line, read as it comes: no polling).
    pub fn restart(&mut self) {
        self.stop();
        let mut child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "could not start `redis-server` ({e}): the fleet tests need a real Redis; \
                     install it with `apt-get install -y redis-server` (.ci/run does)"
                )
            });
        let mut log = BufReader::new(child.stdout.take().expect("piped"));
        let mut seen = String::new();
        let mut line = String::new();
        loop {
            line.clear();
            match log.read_line(&mut line) {
                Ok(0) | Err(_) => {
                    let _ = child.kill();
                    panic!(
                        "redis-server on port {} exited before it was ready:\n{seen}",
                        self.port
                    )
                }
                Ok(_) if line.contains("Ready to accept connections") => break,
                Ok(_) => seen.push_str(&line),
            }
        }
        // Keep reading its log, so the server never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut log, &mut std::io::sink()));
        self.child = Some(child);
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}
