//! Registry credentials from Docker's `config.json` (`$DOCKER_CONFIG`, else
//! `~/.docker`): the `auths` entries, as `docker login` writes them. Credential
//! helpers run programs ferry does not vet; they are reported, not run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine;
use oci_client::secrets::RegistryAuth;
use serde::Deserialize;

use super::diags::ImageError;

#[derive(Debug, Default, Deserialize)]
struct ConfigFile {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
struct AuthEntry {
    auth: Option<String>,
    username: Option<String>,
    password: Option<String>,
    identitytoken: Option<String>,
}

/// The credentials of every registry in one config file.
#[derive(Debug, Default)]
pub struct Credentials {
    path: Option<PathBuf>,
    config: ConfigFile,
}

/// Where the credentials for one registry come from.
#[derive(Debug)]
pub enum Lookup {
    Found(RegistryAuth),
    /// No entry: the pull is anonymous.
    None,
    /// Only a credential helper knows them.
    Helper(String),
}

impl Credentials {
    /// Reads `dir/config.json` if there is one; a missing file means no credentials.
    pub fn load(dir: Option<&Path>) -> Result<Credentials, ImageError> {
        let Some(path) = dir.map(|d| d.join("config.json")) else {
            return Ok(Credentials::default());
        };
        match std::fs::read(&path) {
            Ok(bytes) => Credentials::parse(&path, &bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Credentials::default()),
            Err(e) => Err(ImageError::io(&path)(e)),
        }
    }

    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Credentials, ImageError> {
        let config = serde_json::from_slice(bytes).map_err(|e| ImageError::DockerConfig {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        Ok(Credentials {
            path: Some(path.to_path_buf()),
            config,
        })
    }

    /// The credentials for `registry` (a host, or `docker.io`).
    pub fn lookup(&self, registry: &str) -> Result<Lookup, ImageError> {
        let entry = self
            .config
            .auths
            .iter()
            .find(|(key, _)| same_registry(key, registry));
        if let Some((_, entry)) = entry {
            return self.decode(registry, entry).map(Lookup::Found);
        }
        let helper = self
            .config
            .cred_helpers
            .iter()
            .find(|(key, _)| same_registry(key, registry))
            .map(|(_, h)| h.clone())
            .or_else(|| self.config.creds_store.clone());
        Ok(helper.map_or(Lookup::None, Lookup::Helper))
    }

    fn decode(&self, registry: &str, entry: &AuthEntry) -> Result<RegistryAuth, ImageError> {
        let bad = |reason: &str| ImageError::DockerConfig {
            path: self.path.clone().unwrap_or_default(),
            reason: format!("auths entry for {registry}: {reason}"),
        };
        if let Some(token) = &entry.identitytoken {
            return Ok(RegistryAuth::Bearer(token.clone()));
        }
        if let (Some(u), Some(p)) = (&entry.username, &entry.password) {
            return Ok(RegistryAuth::Basic(u.clone(), p.clone()));
        }
        let encoded = entry
            .auth
            .as_deref()
            .ok_or_else(|| bad("no auth, username/password or identitytoken"))?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|_| bad("auth is not base64"))?;
        let text = String::from_utf8(decoded).map_err(|_| bad("auth is not UTF-8"))?;
        let (user, pass) = text
            .split_once(':')
            .ok_or_else(|| bad("auth is not user:password"))?;
        Ok(RegistryAuth::Basic(user.to_string(), pass.to_string()))
    }
}

/// Whether a config key (`https://index.docker.io/v1/`, `host:5000`,
/// `https://host:5000`) names `registry`.
fn same_registry(key: &str, registry: &str) -> bool {
    let host = key
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or(key);
    let hub = |h: &str| matches!(h, "docker.io" | "index.docker.io" | "registry-1.docker.io");
    host == registry || (hub(host) && hub(registry))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(json: &str) -> Credentials {
        Credentials::parse(Path::new("config.json"), json.as_bytes()).unwrap()
    }

    #[test]
    fn auths_entries_decode_to_basic_credentials() {
        // "ci:s3cret"
        let c = creds(
            r#"{"auths":{"https://index.docker.io/v1/":{"auth":"Y2k6czNjcmV0"},"127.0.0.1:5000":{"username":"u","password":"p"}}}"#,
        );
        match c.lookup("docker.io").unwrap() {
            Lookup::Found(RegistryAuth::Basic(u, p)) => {
                assert_eq!((u.as_str(), p.as_str()), ("ci", "s3cret"))
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            c.lookup("127.0.0.1:5000").unwrap(),
            Lookup::Found(RegistryAuth::Basic(..))
        ));
        assert!(matches!(c.lookup("ghcr.io").unwrap(), Lookup::None));
    }

    #[test]
    fn helpers_are_reported_and_bad_entries_named() {
        let c = creds(r#"{"credsStore":"desktop","credHelpers":{"gcr.io":"gcloud"}}"#);
        assert!(matches!(c.lookup("gcr.io").unwrap(), Lookup::Helper(h) if h == "gcloud"));
        assert!(matches!(c.lookup("quay.io").unwrap(), Lookup::Helper(h) if h == "desktop"));
        let c = creds(r#"{"auths":{"quay.io":{"auth":"bm9jb2xvbg=="}}}"#);
        let err = c.lookup("quay.io").unwrap_err().to_string();
        assert!(
            err.contains("auths entry for quay.io: auth is not user:password"),
            "{err}"
        );
    }
}
