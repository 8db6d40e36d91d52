//! The email sink (`kind = "email"`): SMTP through lettre's pooled async transport, with text
//! and HTML bodies from minijinja templates that operators may override.
//!
//! Ticket text is untrusted: the HTML template is auto-escaped, and the
//! subject is made one line (CR/LF and other control characters become
//! spaces), so a description cannot inject headers or markup.

use std::time::Duration;

use async_trait::async_trait;
use itosm_core::sink::{DeliveryOutcome, Notification, NotificationSink, Recipient};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use minijinja::Environment;
use serde::Deserialize;

use super::{ConfiguredSink, InvalidSetting, RecipientSpec, Settings, SinkContext};
use crate::config::ConfigDuration;

/// Recipient roles an email sink accepts in `to`.
pub const RECIPIENT_ROLES: &[&str] = &["requester", "assignee", "admins"];

/// `kind = "email"`: its settings.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    /// SMTP host.
    pub host: String,
    /// SMTP port.
    #[serde(default = "default_port")]
    pub port: u16,
    /// `none`, `starttls` or `tls`.
    #[serde(default = "default_tls")]
    pub tls: String,
    /// SMTP user, if the server wants one.
    #[serde(default)]
    pub username: Option<String>,
    /// SMTP password.
    #[serde(default)]
    pub password: Option<String>,
    /// Sender address, e.g. `itosm <itosm@example.com>`.
    pub from: String,
    /// Recipients: addresses, or the roles `requester`, `assignee`, `admins`.
    pub to: Vec<String>,
    /// Base URL of the portal, for links to tickets.
    #[serde(default = "default_portal_url")]
    pub portal_url: String,
    /// Overrides the subject template (minijinja).
    #[serde(default)]
    pub subject_template: Option<String>,
    /// Overrides the text body template (minijinja).
    #[serde(default)]
    pub text_template: Option<String>,
    /// Overrides the HTML body template (minijinja, auto-escaped).
    #[serde(default)]
    pub html_template: Option<String>,
    /// SMTP command timeout, e.g. `10s`.
    #[serde(default = "super::default_timeout")]
    pub timeout: ConfigDuration,
}

fn default_port() -> u16 {
    587
}

fn default_tls() -> String {
    "starttls".to_owned()
}

fn default_portal_url() -> String {
    "http://127.0.0.1:8080".to_owned()
}

impl EmailConfig {
    fn templates(&self) -> Result<EmailTemplates, String> {
        EmailTemplates::new(
            self.subject_template.as_deref(),
            self.text_template.as_deref(),
            self.html_template.as_deref(),
        )
    }
}

impl Settings for EmailConfig {
    fn validate(&self) -> Result<(), InvalidSetting> {
        if self.host.is_empty() {
            return Err(InvalidSetting::new("host", "the SMTP host is required"));
        }
        if !matches!(self.tls.as_str(), "none" | "starttls" | "tls") {
            return Err(InvalidSetting::new("tls", "must be none, starttls or tls"));
        }
        let from = &self.from;
        from.parse::<Mailbox>()
            .map_err(|e| InvalidSetting::new("from", format!("{from:?}: {e}")))?;
        if self.to.is_empty() {
            return Err(InvalidSetting::new(
                "to",
                "name at least one address or `requester`",
            ));
        }
        for address in self
            .to
            .iter()
            .filter(|a| !RECIPIENT_ROLES.contains(&a.as_str()))
        {
            address
                .parse::<Mailbox>()
                .map_err(|e| InvalidSetting::new("to", format!("{address:?}: {e}")))?;
        }
        super::require_http_url("portal_url", &self.portal_url)?;
        self.templates()
            .map(drop)
            .map_err(|e| InvalidSetting::new("templates", e))
    }
}

/// Builds an email sink; its recipients are the `to` addresses and roles.
pub fn build(config: EmailConfig, context: &SinkContext) -> Result<ConfiguredSink, String> {
    let settings = EmailSettings {
        name: context.name().to_owned(),
        templates: config.templates()?,
        host: config.host,
        port: config.port,
        tls: match config.tls.as_str() {
            "none" => TlsMode::None,
            "tls" => TlsMode::Tls,
            _ => TlsMode::StartTls,
        },
        credentials: config
            .username
            .map(|user| (user, config.password.unwrap_or_default())),
        from: config.from.parse().map_err(|e| format!("from: {e}"))?,
        timeout: config.timeout.get(),
        portal_url: config.portal_url,
    };
    let recipients = config
        .to
        .iter()
        .map(|address| match address.as_str() {
            "requester" => RecipientSpec::Requester,
            "assignee" => RecipientSpec::Assignee,
            "admins" => RecipientSpec::Admins,
            other => RecipientSpec::Fixed(Recipient::Email(other.to_owned())),
        })
        .collect();
    let sink = EmailSink::new(settings)?;
    Ok(ConfiguredSink::to(std::sync::Arc::new(sink), recipients))
}

/// Default subject: `New Ticket Created: INC-2026-0001`.
pub const DEFAULT_SUBJECT: &str = "{% if event_type == 'ticket.created' %}New Ticket Created: {{ ticket.number }}\
{% elif comment %}{% if comment.internal %}Internal note{% else %}New comment{% endif %} on {{ ticket.number }} by {{ comment.author_name or comment.author }}\
{% else %}Ticket {{ ticket.number }} updated: {{ status_label }}{% endif %}";

/// Default plain-text body.
pub const DEFAULT_TEXT: &str = "{% if event_type == 'ticket.created' %}A new ticket was created.{% elif comment %}{{ comment.author_name or comment.author }} wrote{% if comment.internal %} (internal note, staff only){% endif %}:

{{ comment.body }}
{% else %}A ticket changed.{% endif %}

Ticket:       {{ ticket.number }}
Status:       {{ status_label }}
Requester:    {{ ticket.requester_name }} ({{ ticket.requester }})
Request type: {{ ticket.request_type }}
{% if ticket.software %}Software:     {{ ticket.software }}
{% endif %}
{{ ticket.description }}

Open it: {{ link }}
";

/// Default HTML body (auto-escaped).
pub const DEFAULT_HTML: &str = "<!doctype html>
<html><body style=\"font-family: sans-serif\">
<h2>{% if event_type == 'ticket.created' %}New ticket {{ ticket.number }}{% else %}Ticket {{ ticket.number }}: {{ status_label }}{% endif %}</h2>
{% if comment %}<p><strong>{{ comment.author_name or comment.author }}</strong>{% if comment.internal %} (internal note, staff only){% endif %}:</p>
<blockquote style=\"white-space: pre-wrap\">{{ comment.body }}</blockquote>{% endif %}
<table>
<tr><th align=\"left\">Requester</th><td>{{ ticket.requester_name }} ({{ ticket.requester }})</td></tr>
<tr><th align=\"left\">Request type</th><td>{{ ticket.request_type }}</td></tr>
{% if ticket.software %}<tr><th align=\"left\">Software</th><td>{{ ticket.software }}</td></tr>{% endif %}
<tr><th align=\"left\">Status</th><td>{{ status_label }}</td></tr>
</table>
<p style=\"white-space: pre-wrap\">{{ ticket.description }}</p>
<p><a href=\"{{ link }}\">Open {{ ticket.number }} in the portal</a></p>
</body></html>
";

/// The three templates of an email sink.
#[derive(Debug)]
pub struct EmailTemplates {
    env: Environment<'static>,
}

/// A rendered email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    /// One line.
    pub subject: String,
    /// Plain text.
    pub text: String,
    /// HTML, escaped.
    pub html: String,
}

impl EmailTemplates {
    /// Compiles the templates (`None` takes the default); an error names
    /// the template that does not parse.
    pub fn new(
        subject: Option<&str>,
        text: Option<&str>,
        html: Option<&str>,
    ) -> Result<Self, String> {
        let mut env = Environment::new();
        for (name, source) in [
            ("subject.txt", subject.unwrap_or(DEFAULT_SUBJECT)),
            ("body.txt", text.unwrap_or(DEFAULT_TEXT)),
            ("body.html", html.unwrap_or(DEFAULT_HTML)),
        ] {
            env.add_template_owned(name.to_owned(), source.to_owned())
                .map_err(|e| format!("{name}: {e}"))?;
        }
        Ok(EmailTemplates { env })
    }

    /// Renders the email for `notification`, linking to `portal_url`.
    pub fn render(
        &self,
        notification: &Notification,
        portal_url: &str,
    ) -> Result<RenderedEmail, String> {
        let event = &notification.event;
        let portal = portal_url.trim_end_matches('/');
        let Some(ticket) = &event.ticket else {
            // Device events are plain: one line and a link to the device.
            let tag = event
                .asset
                .as_ref()
                .map(|a| a.tag.as_str())
                .unwrap_or_default();
            let link = format!("{portal}/assets/{tag}");
            let escape = |text: &str| {
                text.replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
                    .replace('"', "&quot;")
            };
            return Ok(RenderedEmail {
                subject: notification.subject.replace(|c: char| c.is_control(), " "),
                text: format!("{}\n\n{link}\n", notification.subject),
                html: format!(
                    "<p>{}</p><p><a href=\"{}\">{}</a></p>",
                    escape(&notification.subject),
                    escape(&link),
                    escape(&link)
                ),
            });
        };
        let context = minijinja::context! {
            event_type => event.event_type.as_str(),
            ticket => ticket,
            status_label => ticket.status.label(),
            actor => &event.actor,
            comment => &event.comment,
            link => format!("{portal}/tickets/{}", ticket.number),
        };
        let render = |name: &str| {
            self.env
                .get_template(name)
                .and_then(|t| t.render(&context))
                .map_err(|e| format!("{name}: {e}"))
        };
        let subject: String = render("subject.txt")?
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect::<String>()
            .trim()
            .chars()
            .take(200)
            .collect();
        Ok(RenderedEmail {
            subject,
            text: render("body.txt")?,
            html: render("body.html")?,
        })
    }
}

/// TLS modes for SMTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain SMTP (a local relay or a test server).
    None,
    /// STARTTLS upgrade (port 587).
    StartTls,
    /// Implicit TLS (port 465).
    Tls,
}

/// Sends email over SMTP.
pub struct EmailSink {
    name: String,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    templates: EmailTemplates,
    portal_url: String,
}

/// Everything an [`EmailSink`] is built from.
#[derive(Debug)]
pub struct EmailSettings {
    /// Sink name.
    pub name: String,
    /// SMTP host.
    pub host: String,
    /// SMTP port.
    pub port: u16,
    /// TLS mode.
    pub tls: TlsMode,
    /// Optional credentials.
    pub credentials: Option<(String, String)>,
    /// Sender.
    pub from: Mailbox,
    /// Per-command timeout.
    pub timeout: Duration,
    /// Compiled templates.
    pub templates: EmailTemplates,
    /// Base URL for links to tickets.
    pub portal_url: String,
}

impl EmailSink {
    /// Builds the sink and its connection pool (connections open lazily).
    pub fn new(settings: EmailSettings) -> Result<Self, String> {
        let builder = match settings.tls {
            TlsMode::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            }
            TlsMode::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host)
                    .map_err(|e| e.to_string())?
            }
            TlsMode::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host)
                .map_err(|e| e.to_string())?,
        };
        let mut builder = builder.port(settings.port).timeout(Some(settings.timeout));
        if let Some((user, password)) = settings.credentials {
            builder = builder.credentials(Credentials::new(user, password));
        }
        Ok(EmailSink {
            name: settings.name,
            transport: builder.build(),
            from: settings.from,
            templates: settings.templates,
            portal_url: settings.portal_url,
        })
    }
}

#[async_trait]
impl NotificationSink for EmailSink {
    fn name(&self) -> &str {
        &self.name
    }

    async fn check(&self) -> Result<(), String> {
        // Connects, greets (and with TLS, handshakes), then QUITs: no mail.
        match self.transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err("the SMTP server did not answer NOOP".to_owned()),
            Err(error) => Err(format!("SMTP: {error}")),
        }
    }

    async fn deliver(&self, notification: &Notification) -> DeliveryOutcome {
        let Recipient::Email(address) = &notification.recipient else {
            return DeliveryOutcome::Permanent(
                "the email sink needs an email recipient".to_owned(),
            );
        };
        let to: Mailbox = match address.parse() {
            Ok(to) => to,
            Err(error) => {
                return DeliveryOutcome::Permanent(format!("bad address {address:?}: {error}"));
            }
        };
        let rendered = match self.templates.render(notification, &self.portal_url) {
            Ok(rendered) => rendered,
            Err(error) => return DeliveryOutcome::Permanent(format!("template: {error}")),
        };
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(rendered.subject)
            .message_id(Some(format!("<{}@itosm>", notification.event.event_id)))
            .multipart(MultiPart::alternative_plain_html(
                rendered.text,
                rendered.html,
            ));
        let message = match message {
            Ok(message) => message,
            Err(error) => return DeliveryOutcome::Permanent(error.to_string()),
        };
        match self.transport.send(message).await {
            Ok(_) => DeliveryOutcome::Delivered,
            Err(error) if error.is_permanent() => DeliveryOutcome::Permanent(error.to_string()),
            Err(error) => DeliveryOutcome::Retryable(error.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use itosm_core::event::{EventEnvelope, EventType, TicketSnapshot};
    use itosm_core::{Priority, RequestType, TicketStatus};

    use super::*;

    #[test]
    fn bad_settings_name_their_key() {
        crate::sinks::assert_refused(&[
            (
                "kind = \"email\"\nname = \"e\"\nhost = \"\"\nfrom = \"a@b.c\"\nto = [\"requester\"]",
                "host",
            ),
            (
                "kind = \"email\"\nname = \"e\"\nhost = \"h\"\nfrom = \"not an address\"\nto = [\"requester\"]",
                "from",
            ),
            (
                "kind = \"email\"\nname = \"e\"\nhost = \"h\"\nfrom = \"a@b.c\"\nto = [\"x@\"]",
                "to",
            ),
            (
                "kind = \"email\"\nname = \"e\"\nhost = \"h\"\nfrom = \"a@b.c\"\nto = [\"requester\"]\nsubject_template = \"{% if %}\"",
                "templates",
            ),
            (
                "kind = \"email\"\nname = \"e\"\nhost = \"h\"\nport = \"smtp\"\nfrom = \"a@b.c\"\nto = [\"requester\"]",
                "port",
            ),
            (
                "kind = \"email\"\nname = \"e\"\nhost = \"h\"\nfrom = \"a@b.c\"\nto = [\"requester\"]\ntsl = \"none\"",
                "",
            ),
        ]);
    }

    fn notification(description: &str, requester_name: &str) -> Notification {
        let now = chrono::Utc::now();
        let event = Arc::new(EventEnvelope::new(
            EventType::TicketCreated,
            uuid::Uuid::new_v4(),
            now,
            None,
            TicketSnapshot {
                number: "INC-2026-0001".into(),
                subject: String::new(),
                requester: "john.doe".into(),
                requester_name: requester_name.into(),
                requester_email: Some("john.doe@example.com".into()),
                request_type: RequestType::SoftwareInstall,
                software: Some("Autodesk AutoCAD 2025".into()),
                description: description.into(),
                status: TicketStatus::Start,
                priority: Priority::Medium,
                assignee: None,
                assignee_email: None,
                created_at: now,
                updated_at: now,
                version: 1,
                first_response_due_at: None,
                resolution_due_at: None,
            },
        ));
        Notification {
            event,
            recipient: Recipient::Email("it-admin-group@example.com".into()),
            subject: String::new(),
            text_body: String::new(),
            html_body: None,
        }
    }

    #[test]
    fn the_defaults_render_the_seed_subject_and_a_link() {
        let templates = EmailTemplates::new(None, None, None).unwrap();
        let email = templates
            .render(
                &notification("Please install", "John Doe"),
                "https://help.example.com/",
            )
            .unwrap();
        assert_eq!(email.subject, "New Ticket Created: INC-2026-0001");
        assert!(email.text.contains("Autodesk AutoCAD 2025"));
        assert!(email.text.contains("John Doe (john.doe)"));
        assert!(
            email
                .text
                .contains("https://help.example.com/tickets/INC-2026-0001")
        );
        // The HTML escaper also encodes '/', which browsers decode in attributes.
        let html = email.html.replace("&#x2f;", "/");
        assert!(
            html.contains("href=\"https://help.example.com/tickets/INC-2026-0001\""),
            "{html}"
        );
    }

    #[test]
    fn hostile_ticket_text_is_escaped_and_cannot_inject_headers() {
        let templates = EmailTemplates::new(
            Some("{{ ticket.number }} {{ ticket.requester_name }}"),
            None,
            None,
        )
        .unwrap();
        let email = templates
            .render(
                &notification(
                    "<script>alert(1)</script><img src=x onerror=alert(2)>",
                    "Eve\r\nBcc: all@example.com",
                ),
                "http://x",
            )
            .unwrap();
        assert!(!email.html.contains("<script>"), "{}", email.html);
        assert!(email.html.contains("&lt;script&gt;"));
        assert!(
            !email.subject.contains('\r') && !email.subject.contains('\n'),
            "{:?}",
            email.subject
        );
        assert!(
            email.text.contains("<script>alert(1)</script>"),
            "plain text keeps the text as written"
        );
    }

    #[test]
    fn a_template_that_does_not_parse_is_named() {
        let error = EmailTemplates::new(None, Some("{% if %}"), None).unwrap_err();
        assert!(error.starts_with("body.txt"), "{error}");
    }
}
