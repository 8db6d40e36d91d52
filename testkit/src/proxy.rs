//! A TCP proxy that tests put between itosm and a real service
//! (PostgreSQL, RabbitMQ, SMTP, a webhook receiver) to stage faults for that
//! one daemon without touching the shared service: refuse connections, cut
//! the open ones, or hold them silently open while forwarding nothing (a
//! network partition that no socket error reveals).

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// How the proxy treats traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyMode {
    /// Forwards both ways.
    Forward,
    /// Closes every open connection and every new one at once: the service
    /// is down and says so (connection refused / reset).
    Down,
    /// Keeps connections open and accepts new ones but forwards nothing: a
    /// silent partition. Bytes already sent are held, not delivered.
    Blackhole,
}

/// A running proxy; stops when dropped.
#[derive(Debug)]
pub struct ChaosProxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    mode: Arc<watch::Sender<ProxyMode>>,
    task: tokio::task::JoinHandle<()>,
}

impl ChaosProxy {
    /// Starts a proxy on a free loopback port forwarding to `upstream`.
    ///
    /// # Panics
    /// When no loopback port can be bound.
    pub async fn start(upstream: SocketAddr) -> ChaosProxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("binding the chaos proxy: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("chaos proxy address: {e}"));
        let (mode, _) = watch::channel(ProxyMode::Forward);
        let mode = Arc::new(mode);
        let accepting = Arc::clone(&mode);
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let mode = accepting.subscribe();
                tokio::spawn(relay(client, upstream, mode));
            }
        });
        ChaosProxy { addr, mode, task }
    }

    /// Starts a proxy for the host and port of `url` and returns it with
    /// `url` rewritten to go through it (`scheme://user@127.0.0.1:PORT/…`).
    ///
    /// # Panics
    /// When `url` has no resolvable host and port.
    pub async fn for_url(url: &str) -> (ChaosProxy, String) {
        let (scheme, rest) = url
            .split_once("://")
            .unwrap_or_else(|| panic!("{url} has no scheme"));
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let (credentials, host_port) = match authority.rsplit_once('@') {
            Some((c, h)) => (format!("{c}@"), h),
            None => (String::new(), authority),
        };
        let default_port = match scheme {
            "postgres" | "postgresql" => 5432,
            "amqp" => 5672,
            "smtp" => 25,
            "https" => 443,
            _ => 80,
        };
        let host_port = if host_port.contains(':') {
            host_port.to_owned()
        } else {
            format!("{host_port}:{default_port}")
        };
        let upstream = tokio::net::lookup_host(host_port.as_str())
            .await
            .ok()
            .and_then(|mut addrs| addrs.next())
            .unwrap_or_else(|| panic!("cannot resolve {host_port}"));
        let proxy = ChaosProxy::start(upstream).await;
        let proxied = format!("{scheme}://{credentials}{}{path}", proxy.addr);
        (proxy, proxied)
    }

    /// Changes how traffic is treated, for open and new connections alike.
    pub fn set(&self, mode: ProxyMode) {
        self.mode.send_replace(mode);
    }

    /// The current mode.
    pub fn mode(&self) -> ProxyMode {
        *self.mode.borrow()
    }
}

impl Drop for ChaosProxy {
    fn drop(&mut self) {
        self.task.abort();
        self.mode.send_replace(ProxyMode::Down);
    }
}

async fn relay(client: TcpStream, upstream: SocketAddr, mut mode: watch::Receiver<ProxyMode>) {
    if *mode.borrow() == ProxyMode::Down {
        return;
    }
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let mut up = [0u8; 16 * 1024];
    let mut down = [0u8; 16 * 1024];
    loop {
        let current = *mode.borrow_and_update();
        match current {
            ProxyMode::Down => return,
            ProxyMode::Blackhole => {
                // Hold both sockets open and read nothing until the mode changes.
                if mode.changed().await.is_err() {
                    return;
                }
            }
            ProxyMode::Forward => {
                tokio::select! {
                    changed = mode.changed() => if changed.is_err() { return },
                    read = client_read.read(&mut up) => match read {
                        Ok(0) | Err(_) => return,
                        Ok(n) => if server_write.write_all(&up[..n]).await.is_err() { return },
                    },
                    read = server_read.read(&mut down) => match read {
                        Ok(0) | Err(_) => return,
                        Ok(n) => if client_write.write_all(&down[..n]).await.is_err() { return },
                    },
                }
            }
        }
    }
}
