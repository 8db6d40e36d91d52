//! The SMS sink (`kind = "sms"`): a form POST in the shape of the Twilio Messages API
//! (`{base_url}/2010-04-01/Accounts/{sid}/Messages.json`, basic auth,
//! `To`, `From`, `Body`), so any compatible gateway works.

use std::time::Duration;

use async_trait::async_trait;
use itosm_core::event::EventType;
use itosm_core::sink::{DeliveryOutcome, Notification, NotificationSink, Recipient};

use serde::Deserialize;

use super::webhook::outcome_of;
use super::{ConfiguredSink, InvalidSetting, RecipientSpec, Settings, SinkContext};
use crate::config::ConfigDuration;

/// `kind = "sms"`: its settings.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsConfig {
    /// Gateway base URL; `/2010-04-01/Accounts/{sid}/Messages.json` is appended.
    #[serde(default = "default_base_url")]
    pub base_url: String,
    /// Account SID (the basic-auth user).
    pub account_sid: String,
    /// Auth token (the basic-auth password).
    pub auth_token: String,
    /// Sender, E.164.
    pub from: String,
    /// Recipients, E.164 (e.g. the on-call phone).
    pub to: Vec<String>,
    /// Request timeout, e.g. `5s`.
    #[serde(default = "super::default_timeout")]
    pub timeout: ConfigDuration,
}

fn default_base_url() -> String {
    "https://api.twilio.com".to_owned()
}

impl Settings for SmsConfig {
    fn validate(&self) -> Result<(), InvalidSetting> {
        super::require_http_url("base_url", &self.base_url)?;
        if self.account_sid.is_empty() || self.auth_token.is_empty() {
            return Err(InvalidSetting::new(
                "account_sid",
                "account_sid and auth_token are required",
            ));
        }
        itosm_core::validate_e164(&self.from)
            .map_err(|e| InvalidSetting::new("from", e.to_string()))?;
        if self.to.is_empty() {
            return Err(InvalidSetting::new("to", "name at least one E.164 number"));
        }
        for number in &self.to {
            itosm_core::validate_e164(number).map_err(|_| {
                InvalidSetting::new(
                    "to",
                    format!("{number:?} is not E.164 (e.g. +919876543210)"),
                )
            })?;
        }
        Ok(())
    }
}

/// Builds an SMS sink; its recipients are the `to` numbers.
pub fn build(
    config: SmsConfig,
    context: &SinkContext,
) -> Result<ConfiguredSink, std::convert::Infallible> {
    let sink = SmsSink::new(
        context.name().to_owned(),
        &config.base_url,
        config.account_sid,
        config.auth_token,
        config.from,
        config.timeout.get(),
    );
    let recipients = config.to.into_iter().map(Recipient::Phone);
    let recipients = recipients.map(RecipientSpec::Fixed).collect();
    Ok(ConfiguredSink::to(std::sync::Arc::new(sink), recipients))
}

/// Longest SMS body sent (one GSM segment).
pub const MAX_SMS_CHARS: usize = 160;

/// The default SMS text: `New Ticket: INC-2026-0001 …`, at most 160 characters.
pub fn sms_text(notification: &Notification) -> String {
    let event = &notification.event;
    let Some(ticket) = &event.ticket else {
        return clean_sms(&notification.subject);
    };
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
    clean_sms(&text)
}

/// `text` without control characters (CR/LF included: they never reach the
/// gateway), cut to one segment.
fn clean_sms(text: &str) -> String {
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

#[cfg(test)]
mod tests {
    #[test]
    fn bad_settings_name_their_key() {
        crate::sinks::assert_refused(&[
            (
                "kind = \"sms\"\nname = \"s\"\naccount_sid = \"AC1\"\nauth_token = \"t\"\nfrom = \"+15005550006\"\nto = [\"98765\"]",
                "to",
            ),
            (
                "kind = \"sms\"\nname = \"s\"\naccount_sid = \"AC1\"\nauth_token = \"t\"\nfrom = \"+15005550006\"",
                "",
            ),
        ]);
    }
}
