//! Real registries for the image tests: Debian's `docker-registry`
//! (distribution) on a free loopback port, stopped by pid when dropped, seeded
//! by `skopeo` from the OCI layout `fixtures/images/make-images.py` writes once
//! per test run; and a small front of the tests' own that speaks the bearer
//! token flow and can fail or corrupt responses on purpose.

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use super::{fixtures, run_dir};

pub fn require(tool: &str, package: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "{tool} is needed by the image tests: apt-get install {package} (scripts/setup.sh does)"
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// The test images in an OCI layout, made once per test binary.
pub fn layout() -> &'static Path {
    static LAYOUT: OnceLock<PathBuf> = OnceLock::new();
    LAYOUT.get_or_init(|| make_layout("images", &[]))
}

/// The same with a Go builder image (tag `go`) made from the local toolchain.
pub fn layout_with_go() -> &'static Path {
    static LAYOUT: OnceLock<PathBuf> = OnceLock::new();
    LAYOUT.get_or_init(|| make_layout("images-go", &["--go"]))
}

fn make_layout(name: &str, flags: &[&str]) -> PathBuf {
    require("umoci", "umoci");
    require("busybox", "busybox-static");
    let dir = run_dir(Path::new(env!("CARGO_TARGET_TMPDIR")), name);
    let status = Command::new("python3")
        .arg(fixtures().join("images/make-images.py"))
        .arg(&dir)
        .args(flags)
        .status()
        .expect("run make-images.py");
    assert!(status.success(), "make-images.py failed");
    dir.join("oci")
}

/// A `docker-registry serve` process on loopback.
pub struct Registry {
    pub host: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Registry {
    pub fn start() -> Registry {
        Registry::start_with(None)
    }

    /// With `htpasswd`, the registry asks for HTTP basic auth (user, password).
    pub fn start_with(htpasswd: Option<(&str, &str)>) -> Registry {
        require("docker-registry", "docker-registry");
        let dir = tempfile::tempdir().expect("temp dir");
        let host = format!("127.0.0.1:{}", free_port());
        let mut config = format!(
            "version: 0.1\nlog: {{level: error}}\nstorage: {{filesystem: {{rootdirectory: {}}}, delete: {{enabled: true}}}}\nhttp: {{addr: {host}}}\n",
            dir.path().join("data").display()
        );
        if let Some((user, password)) = htpasswd {
            let file = dir.path().join("htpasswd");
            std::fs::write(&file, bcrypt_line(user, password)).expect("write htpasswd");
            config.push_str(&format!(
                "auth: {{htpasswd: {{realm: ferry-test, path: {}}}}}\n",
                file.display()
            ));
        }
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).expect("write registry config");
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start docker-registry");
        let registry = Registry {
            host,
            child,
            _dir: dir,
        };
        registry.wait_until_up();
        registry
    }

    fn wait_until_up(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            match ureq::get(&format!("http://{}/v2/", self.host)).call() {
                Ok(_) | Err(ureq::Error::Status(401, _)) => return,
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
        panic!("docker-registry on {} did not come up", self.host);
    }

    /// Copies tag `tag` of the test layout to `repo` here (`--all` keeps an index).
    pub fn seed(&self, tag: &str, repo: &str) -> String {
        self.seed_as(tag, repo, None)
    }

    pub fn seed_as(&self, tag: &str, repo: &str, creds: Option<&str>) -> String {
        self.seed_from(layout(), tag, repo, creds)
    }

    /// Copies tag `tag` of the OCI layout `from` to `repo` here.
    pub fn seed_from(&self, from: &Path, tag: &str, repo: &str, creds: Option<&str>) -> String {
        require("skopeo", "skopeo");
        let dest = format!("{}/{repo}", self.host);
        let mut cmd = Command::new("skopeo");
        cmd.args(["copy", "--all", "--dest-tls-verify=false"]);
        if let Some(c) = creds {
            cmd.args(["--dest-creds", c]);
        }
        let out = cmd
            .arg(format!("oci:{}:{tag}", from.display()))
            .arg(format!("docker://{dest}"))
            .output()
            .expect("run skopeo copy");
        assert!(
            out.status.success(),
            "skopeo copy to {dest} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        dest
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An htpasswd line with a bcrypt hash, made by `htpasswd -B` (apache2-utils).
fn bcrypt_line(user: &str, password: &str) -> String {
    require("htpasswd", "apache2-utils");
    let out = Command::new("htpasswd")
        .args(["-nbB", user, password])
        .output()
        .expect("run htpasswd");
    assert!(out.status.success(), "htpasswd failed");
    String::from_utf8_lossy(&out.stdout).trim().to_string() + "\n"
}

/// What `skopeo inspect` says of an image: its digest and layer digests.
pub fn skopeo_inspect(transport_ref: &str) -> serde_json::Value {
    skopeo_inspect_as(transport_ref, None)
}

/// `skopeo inspect` with `user:password` for a registry that asks for them.
pub fn skopeo_inspect_as(transport_ref: &str, creds: Option<&str>) -> serde_json::Value {
    let mut cmd = Command::new("skopeo");
    cmd.args(["inspect", "--tls-verify=false"]);
    if let Some(creds) = creds {
        cmd.args(["--creds", creds]);
    }
    let out = cmd.arg(transport_ref).output().expect("run skopeo inspect");
    assert!(
        out.status.success(),
        "skopeo inspect {transport_ref} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("skopeo inspect prints JSON")
}

/// The raw manifest (or index) a registry serves.
pub fn skopeo_raw(reference: &str) -> serde_json::Value {
    let out = Command::new("skopeo")
        .args(["inspect", "--raw", "--tls-verify=false"])
        .arg(format!("docker://{reference}"))
        .output()
        .expect("run skopeo inspect --raw");
    assert!(
        out.status.success(),
        "skopeo inspect --raw {reference} failed"
    );
    serde_json::from_slice(&out.stdout).expect("a manifest is JSON")
}

/// Faults the front injects.
#[derive(Default)]
pub struct Faults {
    /// Answer this many blob GETs with HTTP 500 before passing them on.
    pub fail_blob_gets: AtomicUsize,
    /// Flip one byte in every blob body.
    pub corrupt_blobs: AtomicBool,
    /// How many 500s were served, and how many tokens were issued.
    pub served_500: AtomicUsize,
    pub tokens_issued: AtomicUsize,
}

/// A front on loopback that asks for a bearer token (issued by its own
/// `/token` to `user:password` over basic auth) and passes requests with that
/// token to the registry behind it, with the faults asked for.
pub struct TokenFront {
    pub host: String,
    pub faults: Arc<Faults>,
    server: Arc<tiny_http::Server>,
}

const TOKEN: &str = "ferry-test-token";

impl TokenFront {
    pub fn start(upstream: &str, user: &str, password: &str) -> TokenFront {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind the front"));
        let host = format!(
            "127.0.0.1:{}",
            server.server_addr().to_ip().expect("ip").port()
        );
        let faults = Arc::new(Faults::default());
        let basic = format!(
            "Basic {}",
            base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                format!("{user}:{password}")
            )
        );
        let ctx = Arc::new(Front {
            upstream: upstream.to_string(),
            host: host.clone(),
            basic,
            faults: faults.clone(),
        });
        for _ in 0..4 {
            let (server, ctx) = (server.clone(), ctx.clone());
            std::thread::spawn(move || {
                for request in server.incoming_requests() {
                    ctx.handle(request);
                }
            });
        }
        TokenFront {
            host,
            faults,
            server,
        }
    }
}

impl Drop for TokenFront {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

struct Front {
    upstream: String,
    host: String,
    basic: String,
    faults: Arc<Faults>,
}

impl Front {
    fn header(request: &tiny_http::Request, name: &str) -> Option<String> {
        request
            .headers()
            .iter()
            .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str().to_string())
    }

    fn handle(&self, request: tiny_http::Request) {
        let url = request.url().to_string();
        if url.starts_with("/token") {
            let ok =
                Self::header(&request, "Authorization").as_deref() == Some(self.basic.as_str());
            if ok {
                self.faults.tokens_issued.fetch_add(1, Ordering::SeqCst);
                let body = format!(r#"{{"token":"{TOKEN}"}}"#);
                let _ =
                    request.respond(tiny_http::Response::from_string(body).with_status_code(200));
            } else {
                let _ = request.respond(
                    tiny_http::Response::from_string("bad credentials").with_status_code(401),
                );
            }
            return;
        }
        if Self::header(&request, "Authorization").as_deref() != Some(&format!("Bearer {TOKEN}")) {
            let challenge = format!(
                r#"Bearer realm="http://{}/token",service="ferry-test""#,
                self.host
            );
            let response = tiny_http::Response::from_string("{}")
                .with_status_code(401)
                .with_header(
                    tiny_http::Header::from_bytes("WWW-Authenticate", challenge).expect("header"),
                );
            let _ = request.respond(response);
            return;
        }
        let is_blob_get = *request.method() == tiny_http::Method::Get && url.contains("/blobs/");
        if is_blob_get
            && self
                .faults
                .fail_blob_gets
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
        {
            self.faults.served_500.fetch_add(1, Ordering::SeqCst);
            let _ =
                request.respond(tiny_http::Response::from_string("injected").with_status_code(500));
            return;
        }
        self.forward(request, is_blob_get);
    }

    /// Passes a request on, body and all, as if the registry stood at the
    /// front's address (upload locations then come back through the front).
    fn forward(&self, mut request: tiny_http::Request, is_blob_get: bool) {
        let mut upstream = ureq::request(
            request.method().as_str(),
            &format!("http://{}{}", self.upstream, request.url()),
        )
        .set("Host", &self.host);
        for name in ["Accept", "Content-Type", "Content-Range"] {
            if let Some(v) = Self::header(&request, name) {
                upstream = upstream.set(name, &v);
            }
        }
        let mut sent = Vec::new();
        let _ = request.as_reader().read_to_end(&mut sent);
        let response = match upstream.send_bytes(&sent) {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => {
                let _ = request
                    .respond(tiny_http::Response::from_string(e.to_string()).with_status_code(502));
                return;
            }
        };
        let status = response.status();
        let mut headers = Vec::new();
        for name in [
            "Content-Type",
            "Docker-Content-Digest",
            "Docker-Distribution-Api-Version",
            "Docker-Upload-Uuid",
            "Location",
            "Range",
        ] {
            if let Some(v) = response.header(name) {
                headers.push(tiny_http::Header::from_bytes(name, v).expect("header"));
            }
        }
        let mut body = Vec::new();
        let _ = response.into_reader().read_to_end(&mut body);
        if is_blob_get && self.faults.corrupt_blobs.load(Ordering::SeqCst) && !body.is_empty() {
            let middle = body.len() / 2;
            body[middle] ^= 0x01;
        }
        let mut reply = tiny_http::Response::from_data(body).with_status_code(status);
        for h in headers {
            reply.add_header(h);
        }
        let _ = request.respond(reply);
    }
}
