//! TLS for both kinds of connection, with libpq's `sslmode` semantics on rustls:
//!
//! | sslmode | encryption | certificate check |
//! | --- | --- | --- |
//! | `disable` | never | - |
//! | `allow` | only if the server refuses plaintext | chain, if `sslrootcert` is given |
//! | `prefer` | if the server supports it | chain, if `sslrootcert` is given |
//! | `require` | always | chain, if `sslrootcert` is given |
//! | `verify-ca` | always | chain (`sslrootcert`, default `~/.postgresql/root.crt`) |
//! | `verify-full` | always | chain and host name or IP address |
//!
//! Also the `tls-server-end-point` channel binding data of SCRAM-SHA-256-PLUS, and the
//! [`tokio_postgres`] connector that gives SQL connections the same rules.

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{verify_server_cert_signed_by_trust_anchor, verify_server_name};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::error::ConnectError;
use crate::config::connection::{ConnectionConfig, SslMode};

/// What a connection's TLS needs: the rustls configuration and the name to verify and send as
/// SNI.
#[derive(Clone)]
pub(crate) struct TlsSetup {
    pub(crate) config: Arc<ClientConfig>,
    pub(crate) server_name: ServerName<'static>,
    /// The CA file in use, for error messages.
    pub(crate) root_file: Option<PathBuf>,
}

impl std::fmt::Debug for TlsSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsSetup")
            .field("server_name", &self.server_name)
            .field("root_file", &self.root_file)
            .finish_non_exhaustive()
    }
}

fn setup_error(reason: String) -> ConnectError {
    ConnectError::TlsSetup { reason }
}

/// The default CA file of libpq for the verifying modes.
fn default_root_file() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|home| Path::new(&home).join(".postgresql/root.crt"))
}

/// Builds the TLS setup for `config`, or `None` under `sslmode=disable`.
pub(crate) fn setup(config: &ConnectionConfig) -> Result<Option<TlsSetup>, ConnectError> {
    if config.sslmode == SslMode::Disable {
        return Ok(None);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifying = matches!(config.sslmode, SslMode::VerifyCa | SslMode::VerifyFull);
    let root_file = match (&config.sslrootcert, verifying) {
        (Some(path), _) if path.as_os_str() == "system" => {
            return Err(setup_error(
                "sslrootcert=system is not supported: give the PEM file of the CA that signed the server certificate".to_owned(),
            ));
        }
        (Some(path), _) => Some(path.clone()),
        (None, true) => match default_root_file() {
            Some(path) if path.exists() => Some(path),
            _ => {
                return Err(setup_error(format!(
                    "sslmode={} needs the CA certificate that signed the server certificate: set sslrootcert (database.sslrootcert) to its PEM file",
                    config.sslmode
                )));
            }
        },
        (None, false) => None,
    };
    let roots = match &root_file {
        Some(path) => Some(Arc::new(load_roots(path)?)),
        None => None,
    };
    let verifier = Arc::new(PgVerifier {
        roots,
        check_name: config.sslmode == SslMode::VerifyFull,
        algorithms: provider.signature_verification_algorithms,
    });
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| setup_error(format!("no usable TLS protocol version: {error}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let client = match (&config.sslcert, &config.sslkey) {
        (Some(cert), Some(key)) => {
            let chain = load_certs(cert, "sslcert")?;
            let key = PrivateKeyDer::from_pem_file(key).map_err(|error| {
                setup_error(format!(
                    "cannot read the client key sslkey {}: {error}",
                    key.display()
                ))
            })?;
            builder.with_client_auth_cert(chain, key).map_err(|error| {
                setup_error(format!(
                    "the client certificate and key do not fit: {error}"
                ))
            })?
        }
        (Some(_), None) => {
            return Err(setup_error(
                "sslcert is set but sslkey is not: give the client certificate's private key too"
                    .to_owned(),
            ));
        }
        (None, Some(_)) => {
            return Err(setup_error(
                "sslkey is set but sslcert is not: give the client certificate too".to_owned(),
            ));
        }
        (None, None) => builder.with_no_client_auth(),
    };
    let host = config
        .hostaddr
        .filter(|_| config.host.is_empty())
        .map(|ip| ip.to_string())
        .unwrap_or_else(|| config.host.clone());
    let server_name = ServerName::try_from(host.clone()).map_err(|_| {
        setup_error(format!(
            "the host {host:?} is neither a DNS name nor an IP address, so no certificate can name it"
        ))
    })?;
    Ok(Some(TlsSetup {
        config: Arc::new(client),
        server_name,
        root_file,
    }))
}

fn load_certs(path: &Path, key: &str) -> Result<Vec<CertificateDer<'static>>, ConnectError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect())
        .map_err(|error| setup_error(format!("cannot read {key} {}: {error}", path.display())))?;
    if certs.is_empty() {
        return Err(setup_error(format!(
            "{key} {} holds no PEM certificate",
            path.display()
        )));
    }
    Ok(certs)
}

fn load_roots(path: &Path) -> Result<RootCertStore, ConnectError> {
    let mut roots = RootCertStore::empty();
    for cert in load_certs(path, "sslrootcert")? {
        roots.add(cert).map_err(|error| {
            setup_error(format!(
                "sslrootcert {} holds an unusable CA certificate: {error}",
                path.display()
            ))
        })?;
    }
    Ok(roots)
}

/// Checks the server certificate as libpq does for the mode: not at all, the chain only, or the
/// chain and the name. Handshake signatures are always checked.
#[derive(Debug)]
struct PgVerifier {
    roots: Option<Arc<RootCertStore>>,
    check_name: bool,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PgVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(roots) = &self.roots else {
            return Ok(ServerCertVerified::assertion());
        };
        let cert = ParsedCertificate::try_from(end_entity)?;
        verify_server_cert_signed_by_trust_anchor(
            &cert,
            roots,
            intermediates,
            now,
            self.algorithms.all,
        )?;
        if self.check_name {
            verify_server_name(&cert, server_name)?;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Turns a failed TLS handshake into a clear error.
pub(crate) fn handshake_error(error: &io::Error, setup: &TlsSetup, addr: &str) -> ConnectError {
    let Some(tls) = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    else {
        return ConnectError::TlsHandshake {
            addr: addr.to_owned(),
            reason: error.to_string(),
        };
    };
    let roots = setup
        .root_file
        .as_ref()
        .map(|path| path.display().to_string())
        .unwrap_or_default();
    let reason = match tls {
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => format!(
            "the server certificate is not signed by a CA in sslrootcert {roots} (give the CA that signed it)"
        ),
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => {
            let name = match &setup.server_name {
                ServerName::DnsName(name) => name.as_ref().to_owned(),
                ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
                other => format!("{other:?}"),
            };
            format!(
                "the server certificate is not valid for host \"{name}\" (sslmode=verify-full checks the name: connect with a name the certificate lists, or use verify-ca)"
            )
        }
        rustls::Error::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. },
        ) => "the server certificate has expired".to_owned(),
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. },
        ) => "the server certificate is not valid yet (check the clocks)".to_owned(),
        rustls::Error::InvalidCertificate(other) => {
            format!("the server certificate is invalid: {other:?}")
        }
        other => {
            return ConnectError::TlsHandshake {
                addr: addr.to_owned(),
                reason: other.to_string(),
            };
        }
    };
    ConnectError::CertificateVerify { reason }
}

/// The `tls-server-end-point` channel binding data (RFC 5929) of a server certificate: its
/// hash with the hash function of its signature algorithm (SHA-256 for MD5 and SHA-1).
///
/// `None` for certificates whose algorithm has no single hash (RSA-PSS, Ed25519): SCRAM then
/// runs without channel binding.
pub(crate) fn tls_server_end_point(certificate: &[u8]) -> Option<Vec<u8>> {
    let algorithm = match signature_algorithm_oid(certificate)? {
        // md5WithRSAEncryption, sha1WithRSAEncryption, sha256WithRSAEncryption
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x04 | 0x05 | 0x0b]
        // ecdsa-with-SHA1, ecdsa-with-SHA256
        | [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01]
        | [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02] => &ring::digest::SHA256,
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c]
        | [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03] => &ring::digest::SHA384,
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d]
        | [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04] => &ring::digest::SHA512,
        _ => return None,
    };
    Some(
        ring::digest::digest(algorithm, certificate)
            .as_ref()
            .to_vec(),
    )
}

/// The OID (content bytes) of `signatureAlgorithm` in a DER certificate:
/// `Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm SEQUENCE { OID, ... }, ... }`.
fn signature_algorithm_oid(der: &[u8]) -> Option<&[u8]> {
    let (certificate, _) = der_element(der, 0x30)?;
    let (_tbs, rest) = der_element(certificate, 0x30)?;
    let (algorithm, _) = der_element(rest, 0x30)?;
    let (oid, _) = der_element(algorithm, 0x06)?;
    Some(oid)
}

/// Reads one DER element with `tag`: its content and what follows it.
fn der_element(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&found, rest) = input.split_first()?;
    if found != tag {
        return None;
    }
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let (len_bytes, after) = rest.split_at(count);
        rest = after;
        len_bytes
            .iter()
            .fold(0usize, |len, byte| (len << 8) | usize::from(*byte))
    };
    if rest.len() < len {
        return None;
    }
    Some(rest.split_at(len))
}

/// A [`tokio_postgres`] TLS connector with the same rustls configuration as the replication
/// connection, and `tls-server-end-point` channel binding.
#[derive(Debug, Clone)]
pub(crate) struct PgTlsConnect(pub(crate) TlsSetup);

impl<S> tokio_postgres::tls::TlsConnect<S> for PgTlsConnect
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = PgTlsStream<S>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<PgTlsStream<S>>> + Send>>;

    fn connect(self, stream: S) -> Self::Future {
        Box::pin(async move {
            let connector = tokio_rustls::TlsConnector::from(self.0.config);
            let tls = connector.connect(self.0.server_name, stream).await?;
            Ok(PgTlsStream(tls))
        })
    }
}

/// The TLS stream of a [`tokio_postgres`] connection.
#[derive(Debug)]
pub(crate) struct PgTlsStream<S>(tokio_rustls::client::TlsStream<S>);

impl<S: AsyncRead + AsyncWrite + Unpin> tokio_postgres::tls::TlsStream for PgTlsStream<S> {
    fn channel_binding(&self) -> tokio_postgres::tls::ChannelBinding {
        self.0
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|chain| chain.first())
            .and_then(|cert| tls_server_end_point(cert.as_ref()))
            .map(tokio_postgres::tls::ChannelBinding::tls_server_end_point)
            .unwrap_or_else(tokio_postgres::tls::ChannelBinding::none)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for PgTlsStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for PgTlsStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn reads_the_signature_algorithm_and_refuses_garbage() {
        // SEQUENCE { SEQUENCE {}, SEQUENCE { OID ecdsa-with-SHA256 }, BIT STRING }
        let cert = [
            0x30, 0x12, 0x30, 0x00, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04,
            0x03, 0x02, 0x03, 0x02, 0x00, 0x00,
        ];
        assert_eq!(
            signature_algorithm_oid(&cert),
            Some(&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02][..])
        );
        assert_eq!(tls_server_end_point(&cert).map(|h| h.len()), Some(32));
        for cut in 0..cert.len() {
            assert_eq!(tls_server_end_point(&cert[..cut]), None);
        }
        assert_eq!(
            tls_server_end_point(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]),
            None
        );
    }
}
