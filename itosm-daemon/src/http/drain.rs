//! WebSockets on shutdown: a live subscription is told the server is going
//! away (close code 1001) instead of being cut, so the portal reconnects to
//! another instance.

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures::{SinkExt, StreamExt};
use tokio_util::sync::CancellationToken;

/// The close code for a server going away (RFC 6455).
pub const GOING_AWAY: u16 = 1001;

/// Serves `socket` with `serve` (given a sink and a stream in place of the
/// socket's halves) until it ends or `draining` fires; then sends a close
/// frame with code 1001.
pub async fn serve_until_drained<F, Fut>(socket: WebSocket, draining: CancellationToken, serve: F)
where
    F: FnOnce(
        futures::channel::mpsc::Sender<Message>,
        futures::stream::BoxStream<'static, Result<Message, axum::Error>>,
    ) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let (mut socket_sink, socket_stream) = socket.split();
    let (outgoing, mut to_socket) = futures::channel::mpsc::channel::<Message>(16);
    let incoming = socket_stream
        .take_until(draining.clone().cancelled_owned())
        .boxed();
    {
        let forward = async {
            while let Some(message) = to_socket.next().await {
                if socket_sink.send(message).await.is_err() {
                    break;
                }
            }
        };
        let work = async { futures::join!(serve(outgoing, incoming), forward) };
        tokio::select! {
            _ = work => {}
            _ = draining.cancelled() => {}
        }
    }
    // The drain also ends the input, so the GraphQL side may finish first:
    // what counts is whether the server is going away.
    if draining.is_cancelled() {
        let _ = socket_sink
            .send(Message::Close(Some(CloseFrame {
                code: GOING_AWAY,
                reason: "server shutting down".into(),
            })))
            .await;
        let _ = socket_sink.close().await;
    }
}
