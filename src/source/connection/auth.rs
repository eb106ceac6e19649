//! Authentication after the startup message: trust, cleartext password, MD5 and SCRAM-SHA-256
//! (with `tls-server-end-point` channel binding, SCRAM-SHA-256-PLUS, when TLS is on).

use postgres_protocol::authentication::md5_hash;
use postgres_protocol::authentication::sasl::{
    ChannelBinding, SCRAM_SHA_256, SCRAM_SHA_256_PLUS, ScramSha256,
};
use postgres_protocol::message::frontend;

use super::codec::{AuthRequest, Backend};
use super::error::ConnectError;
use super::startup::Attempt;
use super::tls;
use super::transport::Transport;

/// Answers the server's authentication requests until it says AuthenticationOk.
pub(crate) async fn authenticate(
    transport: &mut Transport,
    attempt: &Attempt<'_>,
) -> Result<(), ConnectError> {
    loop {
        let request = match transport.next().await.map_err(|e| attempt.wire(e))? {
            Backend::Auth(request) => request,
            Backend::Error(server) => return Err(attempt.server(server)),
            Backend::Notice(notice) => {
                tracing::debug!(%notice, "notice during authentication");
                continue;
            }
            Backend::NegotiateProtocolVersion {
                newest_minor,
                unsupported,
            } => {
                tracing::debug!(
                    newest_minor,
                    ?unsupported,
                    "the server negotiated the protocol version"
                );
                continue;
            }
            other => {
                return Err(ConnectError::Protocol(format!(
                    "expected an authentication request, got {other:?}"
                )));
            }
        };
        match request {
            AuthRequest::Ok => {
                tracing::debug!("authenticated");
                return Ok(());
            }
            AuthRequest::Cleartext => {
                tracing::debug!("the server asks for a cleartext password");
                let password = password(attempt)?;
                frontend::password_message(password.as_bytes(), transport.out())
                    .map_err(|e| ConnectError::Protocol(e.to_string()))?;
                transport.flush().await.map_err(|e| attempt.wire(e))?;
            }
            AuthRequest::Md5(salt) => {
                tracing::debug!("the server asks for an MD5 password");
                let password = password(attempt)?;
                let hash = md5_hash(attempt.config.user.as_bytes(), password.as_bytes(), salt);
                frontend::password_message(hash.as_bytes(), transport.out())
                    .map_err(|e| ConnectError::Protocol(e.to_string()))?;
                transport.flush().await.map_err(|e| attempt.wire(e))?;
            }
            AuthRequest::Sasl(mechanisms) => {
                scram(transport, attempt, &mechanisms).await?;
            }
            AuthRequest::SaslContinue(_) | AuthRequest::SaslFinal(_) => {
                return Err(ConnectError::Protocol(
                    "a SASL message arrived outside a SASL exchange".to_owned(),
                ));
            }
            AuthRequest::Unsupported(method) => {
                return Err(ConnectError::UnsupportedAuth {
                    method: method.to_owned(),
                });
            }
        }
    }
}

fn password<'a>(attempt: &Attempt<'a>) -> Result<&'a str, ConnectError> {
    attempt
        .config
        .password
        .as_deref()
        .ok_or_else(|| ConnectError::PasswordMissing {
            user: attempt.config.user.clone(),
        })
}

/// The SCRAM-SHA-256 exchange, up to the server's final message.
async fn scram(
    transport: &mut Transport,
    attempt: &Attempt<'_>,
    mechanisms: &[String],
) -> Result<(), ConnectError> {
    let offers = |name: &str| mechanisms.iter().any(|m| m == name);
    let end_point = transport
        .socket()
        .peer_certificate()
        .and_then(tls::tls_server_end_point);
    let (mechanism, binding) = match end_point {
        Some(hash) if offers(SCRAM_SHA_256_PLUS) => (
            SCRAM_SHA_256_PLUS,
            ChannelBinding::tls_server_end_point(hash),
        ),
        // The client could bind but the server does not offer it: say so ("y"), so that a
        // server that does support it can detect a downgrade.
        Some(_) if offers(SCRAM_SHA_256) => (SCRAM_SHA_256, ChannelBinding::unrequested()),
        _ if offers(SCRAM_SHA_256) => (SCRAM_SHA_256, ChannelBinding::unsupported()),
        _ => {
            return Err(ConnectError::UnsupportedAuth {
                method: format!("SASL ({})", mechanisms.join(", ")),
            });
        }
    };
    tracing::debug!(mechanism, "SCRAM authentication");
    let password = password(attempt)?;
    let mut scram = ScramSha256::new(password.as_bytes(), binding);
    frontend::sasl_initial_response(mechanism, scram.message(), transport.out())
        .map_err(|e| ConnectError::Protocol(e.to_string()))?;
    transport.flush().await.map_err(|e| attempt.wire(e))?;

    let first = expect_sasl(transport, attempt).await?;
    let AuthRequest::SaslContinue(data) = first else {
        return Err(ConnectError::Protocol(format!(
            "expected SASL continue, got {first:?}"
        )));
    };
    scram
        .update(&data)
        .map_err(|e| ConnectError::Protocol(format!("SCRAM: {e}")))?;
    frontend::sasl_response(scram.message(), transport.out())
        .map_err(|e| ConnectError::Protocol(e.to_string()))?;
    transport.flush().await.map_err(|e| attempt.wire(e))?;

    let last = expect_sasl(transport, attempt).await?;
    let AuthRequest::SaslFinal(data) = last else {
        return Err(ConnectError::Protocol(format!(
            "expected SASL final, got {last:?}"
        )));
    };
    scram.finish(&data).map_err(|e| {
        ConnectError::Protocol(format!(
            "the server's SCRAM proof is wrong ({e}): it does not know the password, or something in between alters the exchange"
        ))
    })
}

async fn expect_sasl(
    transport: &mut Transport,
    attempt: &Attempt<'_>,
) -> Result<AuthRequest, ConnectError> {
    loop {
        match transport.next().await.map_err(|e| attempt.wire(e))? {
            Backend::Auth(request) => return Ok(request),
            Backend::Error(server) => return Err(attempt.server(server)),
            Backend::Notice(notice) => tracing::debug!(%notice, "notice during authentication"),
            other => {
                return Err(ConnectError::Protocol(format!(
                    "expected a SASL message, got {other:?}"
                )));
            }
        }
    }
}
