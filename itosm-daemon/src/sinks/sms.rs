//! The SMS sink: a form POST in the shape of the Twilio Messages API
//! (`{base_url}/2010-04-01/Accounts/{sid}/Messages.json`, basic auth,
//! `To`, `From`, `Body`), so any compatible gateway works.

use std::time::Duration;

use async_trait::async_trait;
use itosm_core::event::EventType;
use itosm_core::sink::{DeliveryOutcome, Notification, NotificationSink, Recipient};

use super::webhook::outcome_of;

/// Longest SMS body sent (one GSM segment).
pub const MAX_SMS_CHARS: usize = 160;

/// The default SMS text: `New Ticket: INC-2026-0001 …`, at most 160 characters.
pub fn sms_text(notification: &Notification) -> String {
    let event = &notification.event;
    let ticket = &event.ticket;
    let what = ticket
        .software
        .clone()
        .unwrap_or_else(|| ticket.request_type.to_string());
    let text = match event.event_type {
        EventType::TicketCreated => format!(
            "New Ticket: {} {} from {}: {}",
            ticket.number, what, ticket.requester, ticket.description
        ),
        _ => format!(
            "Ticket {} is {}: {}",
            ticket.number,
            ticket.status.label(),
            what
        ),
    };
    // Control characters (CR/LF included) never reach the gateway.
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if clean.chars().count() <= MAX_SMS_CHARS {
        clean
    } else {
        let mut cut: String = clean.chars().take(MAX_SMS_CHARS - 1).collect();
        cut.push('…');
        cut
    }
}

/// Sends SMS through a Twilio-compatible gateway.
pub struct SmsSink {
    name: String,
    endpoint: String,
    account_sid: String,
    auth_token: String,
    from: String,
    client: reqwest::Client,
    timeout: Duration,
}

impl SmsSink {
    /// An SMS sink; `base_url` is the gateway's, e.g. `https://api.twilio.com`.
    pub fn new(
        name: String,
        base_url: &str,
        account_sid: String,
        auth_token: String,
        from: String,
        timeout: Duration,
    ) -> Self {
        let endpoint = format!(
            "{}/2010-04-01/Accounts/{account_sid}/Messages.json",
            base_url.trim_end_matches('/')
        );
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .unwrap_or_default();
        SmsSink {
            name,
            endpoint,
            account_sid,
            auth_token,
            from,
            client,
            timeout,
        }
    }
}

#[async_trait]
impl NotificationSink for SmsSink {
    fn name(&self) -> &str {
        &self.name
    }

    async fn check(&self) -> Result<(), String> {
        super::reachable(&self.endpoint, self.timeout).await
    }

    async fn deliver(&self, notification: &Notification) -> DeliveryOutcome {
        let Recipient::Phone(to) = &notification.recipient else {
            return DeliveryOutcome::Permanent("the SMS sink needs a phone recipient".to_owned());
        };
        let form = [
            ("To", to.as_str()),
            ("From", self.from.as_str()),
            ("Body", notification.text_body.as_str()),
        ];
        let response = self
            .client
            .post(&self.endpoint)
            .basic_auth(&self.account_sid, Some(&self.auth_token))
            .form(&form)
            .send()
            .await;
        match response {
            Ok(response) => {
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                outcome_of(status, &text)
            }
            Err(error) => DeliveryOutcome::Retryable(error.to_string()),
        }
    }
}
