//! Self-signed certificates for TLS tests: a test CA and a server certificate it signed.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};

use crate::TlsFiles;

/// A certificate authority made for one test, and a server certificate it signed.
#[derive(Debug, Clone)]
pub struct TestCa {
    /// The CA certificate, PEM: what clients trust (`sslrootcert`).
    pub ca_pem: String,
    /// The server certificate and key, for [`crate::ClusterConfig::tls`].
    pub server: TlsFiles,
}

impl TestCa {
    /// A new CA and a server certificate valid for `hosts` (DNS names or IP addresses).
    pub fn new(hosts: &[&str]) -> Self {
        let ca_key = KeyPair::generate().expect("generate CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        // A distinct name per CA, so that a client trusting another test CA fails verification
        // for the right reason (an unknown issuer).
        static SERIAL: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let serial = SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        ca_params.distinguished_name.push(
            DnType::CommonName,
            format!("pgcdc test CA {}-{serial}", std::process::id()),
        );
        let ca_cert = ca_params.self_signed(&ca_key).expect("self-sign CA");

        let key = KeyPair::generate().expect("generate server key");
        let names: Vec<String> = hosts.iter().map(|h| (*h).to_owned()).collect();
        let mut params = CertificateParams::new(names).expect("server params");
        params.distinguished_name.push(
            DnType::CommonName,
            hosts.first().copied().unwrap_or("server"),
        );
        let cert = params
            .signed_by(&key, &ca_cert, &ca_key)
            .expect("sign server certificate");
        Self {
            ca_pem: ca_cert.pem(),
            server: TlsFiles {
                cert_pem: cert.pem(),
                key_pem: key.serialize_pem(),
            },
        }
    }

    /// A CA and a server certificate for `127.0.0.1` and `localhost`.
    pub fn for_localhost() -> Self {
        Self::new(&["127.0.0.1", "localhost"])
    }
}
