//! The HTTP server loop: hyper's automatic HTTP/1.1 + HTTP/2 connections
//! around the axum router, with the limits a public port needs and a
//! graceful drain.
//!
//! - A client has `http.header_read_timeout` to send a request's headers
//!   (a slow-loris trickling one byte at a time is cut off).
//! - A connection with no request in flight and no bytes either way for
//!   `http.idle_timeout` is closed. An upgraded connection (a WebSocket)
//!   leaves this loop's watch: it lives as long as the socket is open.
//! - On drain (SIGTERM, Ctrl-C) `/readyz` answers 503 at once; while
//!   requests are still in flight the listener keeps answering (so a load
//!   balancer sees the 503), then it closes and each connection finishes
//!   its request and closes, all within the grace period.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// The server's limits.
#[derive(Debug, Clone, Copy)]
pub struct ServerSettings {
    /// Longest a client may take to send a request's headers.
    pub header_read_timeout: Duration,
    /// How long a connection may sit idle before it is closed.
    pub idle_timeout: Duration,
    /// How long the drain may take.
    pub grace: Duration,
}

/// Serves `router` on `listener` until `draining` fires, then drains: no
/// new connections, in-flight requests finish (within `grace`).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    settings: ServerSettings,
    draining: CancellationToken,
) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(settings.header_read_timeout)
        .keep_alive(true);
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    let graceful = GracefulShutdown::new();
    let in_flight = Arc::new(AtomicUsize::new(0));
    let mut drain_deadline = None;
    loop {
        let draining_now = drain_deadline.is_some();
        let (stream, peer) = tokio::select! {
            _ = draining.cancelled(), if !draining_now => {
                drain_deadline = Some(Instant::now() + settings.grace);
                continue;
            }
            // Draining: stop listening once nothing is in flight.
            _ = tokio::time::sleep(Duration::from_millis(20)), if draining_now => {
                if in_flight.load(Ordering::Relaxed) == 0
                    || drain_deadline.is_some_and(|deadline| Instant::now() >= deadline)
                {
                    break;
                }
                continue;
            }
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: do not spin.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let activity = Activity::new();
        let io = TokioIo::new(Tracked {
            inner: stream,
            activity: Arc::clone(&activity),
        });
        let router = router.clone();
        let requests = Arc::clone(&activity);
        let all_requests = Arc::clone(&in_flight);
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let busy = RequestGuard::new(Arc::clone(&requests), Arc::clone(&all_requests));
            let router = router.clone();
            async move {
                let response = router.oneshot(request).await;
                drop(busy);
                Ok::<_, Infallible>(match response {
                    Ok(response) => response,
                    Err(never) => match never {},
                })
            }
        });
        let connection = builder
            .serve_connection_with_upgrades(io, service)
            .into_owned();
        let connection = graceful.watch(connection);
        let idle_timeout = settings.idle_timeout;
        tokio::spawn(async move {
            tokio::select! {
                served = connection => {
                    if let Err(error) = served {
                        tracing::debug!(%error, %peer, "connection ended");
                    }
                }
                () = activity.idle_for(idle_timeout) => {
                    tracing::debug!(%peer, "idle connection closed");
                }
            }
        });
    }
    drop(listener);
    let left = drain_deadline
        .map(|deadline| deadline.saturating_duration_since(Instant::now()))
        .unwrap_or(settings.grace);
    if tokio::time::timeout(left, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(grace = ?settings.grace, "HTTP connections still open at the end of the grace period; closing them");
    }
}

/// When a connection last moved bytes, and how many requests it has in
/// flight.
struct Activity {
    started: Instant,
    last_millis: AtomicU64,
    in_flight: AtomicUsize,
}

impl Activity {
    fn new() -> Arc<Self> {
        Arc::new(Activity {
            started: Instant::now(),
            last_millis: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
        })
    }

    fn touch(&self) {
        let millis = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_millis.store(millis, Ordering::Relaxed);
    }

    /// Resolves once the connection has had no request in flight and no
    /// traffic for `timeout`.
    async fn idle_for(&self, timeout: Duration) {
        loop {
            let last =
                self.started + Duration::from_millis(self.last_millis.load(Ordering::Relaxed));
            let quiet_until = last + timeout;
            if Instant::now() >= quiet_until && self.in_flight.load(Ordering::Relaxed) == 0 {
                return;
            }
            tokio::time::sleep_until(quiet_until.max(Instant::now() + Duration::from_millis(50)))
                .await;
        }
    }
}

/// Counts a request in flight, on its connection and in the server, until
/// dropped (also when the client goes away and the handler is cancelled).
struct RequestGuard(Arc<Activity>, Arc<AtomicUsize>);

impl RequestGuard {
    fn new(activity: Arc<Activity>, server: Arc<AtomicUsize>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::Relaxed);
        server.fetch_add(1, Ordering::Relaxed);
        activity.touch();
        RequestGuard(activity, server)
    }
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.1.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
    }
}

/// A TCP stream that notes every byte moved.
struct Tracked {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
