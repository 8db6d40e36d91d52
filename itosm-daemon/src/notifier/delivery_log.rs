//! The delivery log with group commit: claims and outcomes of many
//! deliveries, each batch one statement.

use super::*;

/// Most claims or records one delivery-log statement takes.
pub(super) const MAX_LOG_BATCH: usize = 500;

struct ClaimRequest {
    claims: Vec<DeliveryClaim>,
    replay: bool,
    reply: oneshot::Sender<Result<Vec<ClaimedDelivery>, StoreError>>,
}

struct RecordRequest {
    records: Vec<DeliveryRecord>,
    reply: Option<oneshot::Sender<Result<(), StoreError>>>,
}

/// The delivery log with group commit: the claims of every event in flight
/// go out as one statement, the outcomes of every finished attempt as
/// another, each gathered while the previous batch runs. A caller hears
/// back only after its batch is committed.
#[derive(Clone)]
pub struct DeliveryLog {
    claims: mpsc::Sender<ClaimRequest>,
    records: mpsc::Sender<RecordRequest>,
}

impl DeliveryLog {
    /// Starts the two batching tasks over `store` (they end when every
    /// handle is dropped).
    pub fn start(store: Arc<dyn Store>, lease: Duration, horizon: Duration) -> Self {
        let (claims, mut claim_inbox) = mpsc::channel::<ClaimRequest>(MAX_LOG_BATCH * 4);
        let (records, mut record_inbox) = mpsc::channel::<RecordRequest>(MAX_LOG_BATCH * 4);
        let claim_store = Arc::clone(&store);
        tokio::spawn(async move {
            while let Some(batch) = gather(&mut claim_inbox, |r| r.claims.len()).await {
                run_claims(claim_store.as_ref(), batch, lease, horizon).await;
            }
        });
        tokio::spawn(async move {
            while let Some(batch) = gather(&mut record_inbox, |r| r.records.len()).await {
                let rows: Vec<DeliveryRecord> = batch
                    .iter()
                    .flat_map(|r| r.records.iter().cloned())
                    .collect();
                let answer = bounded(store.record_deliveries(&rows)).await;
                if let Err(error) = &answer
                    && batch.iter().all(|r| r.reply.is_none())
                {
                    tracing::warn!(%error, count = rows.len(), "releasing claims failed; they are swept when their lease runs out");
                }
                for request in batch {
                    if let Some(reply) = request.reply {
                        let _ = reply.send(answer.clone());
                    }
                }
            }
        });
        DeliveryLog { claims, records }
    }

    /// Claims `claims`; returns the ones won.
    pub async fn claim(
        &self,
        claims: Vec<DeliveryClaim>,
        replay: bool,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.claims
            .send(ClaimRequest {
                claims,
                replay,
                reply,
            })
            .await
            .map_err(|_| log_stopped())?;
        answer.await.unwrap_or_else(|_| Err(log_stopped()))
    }

    /// Records outcomes; returns once they are committed.
    pub async fn record(&self, records: Vec<DeliveryRecord>) -> Result<(), StoreError> {
        let (reply, answer) = oneshot::channel();
        self.records
            .send(RecordRequest {
                records,
                reply: Some(reply),
            })
            .await
            .map_err(|_| log_stopped())?;
        answer.await.unwrap_or_else(|_| Err(log_stopped()))
    }

    /// Records outcomes without waiting (claims given back: if this is lost,
    /// the lease runs out and the sweeper takes them all the same).
    pub(super) fn record_later(&self, records: Vec<DeliveryRecord>) {
        let _ = self.records.try_send(RecordRequest {
            records,
            reply: None,
        });
    }
}

/// Waits for one request, then takes whatever else is already waiting, up
/// to [`MAX_LOG_BATCH`] rows: one batch. `None` once every sender is gone.
async fn gather<T>(inbox: &mut mpsc::Receiver<T>, rows: impl Fn(&T) -> usize) -> Option<Vec<T>> {
    let first = inbox.recv().await?;
    let mut size = rows(&first);
    let mut batch = vec![first];
    while size < MAX_LOG_BATCH {
        match inbox.try_recv() {
            Ok(next) => {
                size += rows(&next);
                batch.push(next);
            }
            Err(_) => break,
        }
    }
    Some(batch)
}

fn log_stopped() -> StoreError {
    StoreError::Unavailable("the delivery log task stopped".to_owned())
}

async fn run_claims(
    store: &dyn Store,
    batch: Vec<ClaimRequest>,
    lease: Duration,
    horizon: Duration,
) {
    let now = Utc::now();
    let lease = chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60));
    let retry_until =
        now + chrono::Duration::from_std(horizon).unwrap_or(chrono::Duration::hours(6));
    // Replays take failed rows back; the rest must not: one statement each.
    let (replays, firsts): (Vec<ClaimRequest>, Vec<ClaimRequest>) =
        batch.into_iter().partition(|r| r.replay);
    for (replay, requests) in [(false, firsts), (true, replays)] {
        if requests.is_empty() {
            continue;
        }
        let claims: Vec<DeliveryClaim> = requests
            .iter()
            .flat_map(|r| r.claims.iter().cloned())
            .collect();
        let options = ClaimOptions {
            now,
            lease,
            retry_until,
            replay,
        };
        match bounded(store.claim_deliveries(&claims, &options)).await {
            Ok(won) => {
                let mut won: HashMap<DeliveryKey, ClaimedDelivery> =
                    won.into_iter().map(|w| (w.key.clone(), w)).collect();
                // Two copies of one event in one batch: the first asker wins.
                for request in requests {
                    let mine = request
                        .claims
                        .iter()
                        .filter_map(|c| won.remove(&c.key))
                        .collect();
                    let _ = request.reply.send(Ok(mine));
                }
            }
            Err(error) => {
                for request in requests {
                    let _ = request.reply.send(Err(error.clone()));
                }
            }
        }
    }
}
