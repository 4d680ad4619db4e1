//! Base images with no Docker daemon, against real parts: Debian's
//! docker-registry on loopback, images made by umoci and copied by skopeo, the
//! tars ferry writes read back by `skopeo inspect` and `podman load`, and
//! pushes checked with `skopeo inspect docker://`.

use std::process::Command;
use std::sync::atomic::Ordering;

use crate::common::containers::Store;
use crate::common::registry::{
    self, Registry, TokenFront, skopeo_inspect, skopeo_inspect_as, skopeo_raw,
};
use crate::common::{Sandbox, assert_exit, assert_ok, assert_says, text};

fn manifest(sb: &Sandbox, dest: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(sb.path(dest).join("ferry.json")).unwrap()).unwrap()
}

/// The digest of the manifest for `arch` in the index a registry serves.
fn index_digest(reference: &str, arch: &str) -> String {
    let index = skopeo_raw(reference);
    index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["platform"]["architecture"] == arch)
        .map(|m| m["digest"].as_str().unwrap().to_string())
        .unwrap()
}

/// A registry holding test/busybox:1 behind a token front, and a sandbox
/// whose Docker config has the front's credentials.
fn behind_token_front() -> (Registry, TokenFront, Sandbox, String) {
    let reg = Registry::start();
    reg.seed("busybox", "test/busybox:1");
    let front = TokenFront::start(&reg.host, "robot", "hunter2");
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.path("docker")).unwrap();
    let config = format!(
        r#"{{"auths":{{"{}":{{"username":"robot","password":"hunter2"}}}}}}"#,
        front.host
    );
    std::fs::write(sb.path("docker/config.json"), config).unwrap();
    let image = format!("{}/test/busybox:1", front.host);
    (reg, front, sb, image)
}

/// Packs `image` pulled through `front`.
fn pack_through(
    sb: &Sandbox,
    front: &TokenFront,
    bundle: &str,
    image: &str,
) -> std::process::Output {
    sb.pack_with(
        "clockwork",
        bundle,
        &["--image", image, "--insecure-registry", &front.host],
    )
}

/// A sandbox with app.ferry (test/busybox:1 as runtime) packed and unpacked in app/.
fn packed_with_busybox() -> (Registry, String, Sandbox) {
    let source = Registry::start();
    let busybox = source.seed("busybox", "test/busybox:1");
    let sb = Sandbox::new();
    let flags = [
        "--runtime-image",
        busybox.as_str(),
        "--insecure-registry",
        &source.host,
    ];
    assert_ok(&sb.pack_with("clockwork", "app.ferry", &flags));
    sb.unpack("app.ferry", "app");
    (source, busybox, sb)
}

/// `ferry images push TARGET` into `registry` over plain HTTP, with `extra` flags.
fn push(sb: &Sandbox, target: &str, host: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "images",
        "push",
        target,
        "--registry",
        host,
        "--insecure-registry",
    ];
    args.extend_from_slice(extra);
    sb.run(&args)
}

/// Pushes `target` (signed by rel.pub) to `host` under `prefix`; it must
/// succeed and say `said` (how many blobs went up).
fn push_under(sb: &Sandbox, target: &str, host: &str, prefix: &str, said: &str) -> String {
    let out = push(
        sb,
        target,
        host,
        &["--pub", "rel.pub", "--repo-prefix", prefix],
    );
    assert_ok(&out);
    assert_says(&out, &[said]);
    text(&out)
}

#[test]
fn pack_bundles_images_that_skopeo_and_podman_read_back() {
    let reg = Registry::start();
    let busybox = reg.seed("busybox", "test/busybox:1");
    let multi = reg.seed("multi", "test/multi:1");
    let sb = Sandbox::new();
    let out = sb.pack_with(
        "clockwork",
        "app.ferry",
        &[
            "--runtime-image",
            &busybox,
            "--image",
            &multi,
            "--insecure-registry",
            &reg.host,
        ],
    );
    assert_ok(&out);
    sb.unpack("app.ferry", "app");

    let m = manifest(&sb, "app");
    let images = m["images"].as_array().unwrap();
    assert_eq!(images.len(), 2, "{m:#}");
    let registry_digest = skopeo_inspect(&format!("docker://{busybox}"))["Digest"].clone();
    let runtime = images.iter().find(|i| i["role"] == "runtime").unwrap();
    assert_eq!(runtime["digest"], registry_digest);
    assert_eq!(runtime["tag"], "test/busybox:1");
    assert_eq!(runtime["platform"], "linux/amd64");
    let tar = sb.path("app").join(runtime["entry"].as_str().unwrap());

    // Two independent readers of the same tar.
    let oci = skopeo_inspect(&format!("oci-archive:{}", tar.display()));
    assert_eq!(oci["Digest"], registry_digest);
    assert_eq!(oci["Architecture"], "amd64");
    let docker = skopeo_inspect(&format!("docker-archive:{}", tar.display()));
    assert_eq!(docker["Layers"].as_array().unwrap().len(), 1);

    // The index was resolved to linux/amd64.
    let extra = images.iter().find(|i| i["role"] == "extra").unwrap();
    assert_eq!(
        extra["digest"].as_str().unwrap(),
        index_digest(&multi, "amd64")
    );

    // podman load restores the tag the Dockerfile will name, with the registry's digest.
    let store_dir = tempfile::tempdir().unwrap();
    let store = Store::new(store_dir.path());
    store.load(&tar);
    let listed = store
        .podman()
        .args([
            "images",
            "--digests",
            "--format",
            "{{.Repository}}:{{.Tag}} {{.Digest}}",
        ])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout);
    let expected = format!("test/busybox:1 {}", registry_digest.as_str().unwrap());
    assert!(listed.contains(&expected), "podman images: {listed}");

    // images list, from the bundle and from the folder.
    let out = sb.run(&["images", "list", "app.ferry", "--pub", "rel.pub", "--json"]);
    assert_ok(&out);
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert!(listed[0]["size"].as_u64().unwrap() > 100_000);
    let out = sb.run(&["images", "list", "app", "--pub", "rel.pub"]);
    assert_ok(&out);
    assert!(text(&out).contains("test/busybox:1"), "{}", text(&out));
}

#[test]
fn platforms_resolve_or_are_listed() {
    let reg = Registry::start();
    let multi = reg.seed("multi", "test/multi:1");
    let sb = Sandbox::new();
    let insecure = ["--insecure-registry", &reg.host];

    let mut args = vec!["--image", &multi, "--platform", "linux/arm64"];
    args.extend_from_slice(&insecure);
    assert_ok(&sb.pack_with("clockwork", "arm.ferry", &args));
    sb.unpack("arm.ferry", "arm");
    let m = manifest(&sb, "arm");
    assert_eq!(
        m["images"][0]["digest"].as_str().unwrap(),
        index_digest(&multi, "arm64")
    );
    assert_eq!(m["images"][0]["platform"], "linux/arm64");

    let mut args = vec!["--image", &multi, "--platform", "linux/s390x"];
    args.extend_from_slice(&insecure);
    let out = sb.pack_with("clockwork", "s390x.ferry", &args);
    assert_exit(&out, 2);
    let msg = text(&out);
    assert!(
        msg.contains("no image for linux/s390x") && msg.contains("linux/amd64, linux/arm64"),
        "{msg}"
    );
    assert!(!sb.path("s390x.ferry").exists());
}

#[test]
fn basic_auth_comes_from_the_docker_config() {
    let reg = Registry::start_with(Some(("ci", "s3cret")));
    let image = reg.seed_as("busybox", "private/busybox:1", Some("ci:s3cret"));
    let sb = Sandbox::new();
    let flags = ["--image", image.as_str(), "--insecure-registry", &reg.host];

    let out = sb.pack_with("clockwork", "anon.ferry", &flags);
    assert_exit(&out, 3);
    assert!(
        text(&out).contains("asks for credentials"),
        "{}",
        text(&out)
    );
    assert!(!sb.path("anon.ferry").exists());

    std::fs::create_dir_all(sb.path("docker")).unwrap();
    let config = format!(
        r#"{{"auths":{{"{}":{{"auth":"Y2k6czNjcmV0"}}}}}}"#,
        reg.host
    );
    std::fs::write(sb.path("docker/config.json"), config).unwrap();
    assert_ok(&sb.pack_with("clockwork", "auth.ferry", &flags));

    // The push (one PUT per blob) takes the same credentials.
    push_under(
        &sb,
        "auth.ferry",
        &reg.host,
        "site",
        "2 blobs uploaded, 0 already there",
    );
    let creds = Some("ci:s3cret");
    let digest = |name: &str| {
        skopeo_inspect_as(&format!("docker://{}/{name}", reg.host), creds)["Digest"].clone()
    };
    assert_eq!(
        digest("site/private/busybox:1"),
        digest("private/busybox:1")
    );
}

#[test]
fn the_bearer_token_flow_is_followed() {
    let (reg, front, sb, image) = behind_token_front();
    assert_ok(&pack_through(&sb, &front, "a.ferry", &image));
    let pulled = front.faults.tokens_issued.load(Ordering::SeqCst);
    assert!(pulled >= 1);

    // The push (one PUT per blob) asks for its own token.
    push_under(
        &sb,
        "a.ferry",
        &front.host,
        "site",
        "2 blobs uploaded, 0 already there",
    );
    assert!(front.faults.tokens_issued.load(Ordering::SeqCst) > pulled);
    let digest = skopeo_inspect(&format!("docker://{}/test/busybox:1", reg.host))["Digest"].clone();
    let pushed = skopeo_inspect(&format!("docker://{}/site/test/busybox:1", reg.host));
    assert_eq!(pushed["Digest"], digest);
}

#[test]
fn a_transient_500_is_retried() {
    let (_reg, front, sb, image) = behind_token_front();
    front.faults.fail_blob_gets.store(2, Ordering::SeqCst);
    assert_ok(&pack_through(&sb, &front, "a.ferry", &image));
    assert_eq!(front.faults.served_500.load(Ordering::SeqCst), 2);
}

#[test]
fn a_corrupted_blob_is_rejected_with_its_digest() {
    let (_reg, front, sb, image) = behind_token_front();
    front.faults.corrupt_blobs.store(true, Ordering::SeqCst);
    let out = pack_through(&sb, &front, "bad.ferry", &image);
    assert_exit(&out, 1);
    let msg = text(&out);
    assert!(
        msg.contains("blob sha256:")
            && msg.contains("are not the digest")
            && msg.contains("actual sha256:"),
        "{msg}"
    );
    assert!(!sb.path("bad.ferry").exists());
}

#[test]
fn images_push_keeps_the_digest_in_another_registry() {
    let (_source, busybox, sb) = packed_with_busybox();
    let digest = skopeo_inspect(&format!("docker://{busybox}"))["Digest"].clone();

    let intranet = Registry::start();
    let msg = push_under(
        &sb,
        "app",
        &intranet.host,
        "base",
        "2 blobs uploaded, 0 already there",
    );
    let pushed = format!("{}/base/test/busybox:1", intranet.host);
    assert_eq!(
        skopeo_inspect(&format!("docker://{pushed}"))["Digest"],
        digest
    );
    assert!(
        msg.contains(&format!("--build-arg REGISTRY={}/base/", intranet.host)),
        "{msg}"
    );

    // Again, from the bundle file: every blob is there already.
    push_under(
        &sb,
        "app.ferry",
        &intranet.host,
        "base",
        "0 blobs uploaded, 2 already there",
    );
}

#[test]
fn a_tampered_image_tar_is_not_pushed() {
    let (_source, _, sb) = packed_with_busybox();
    let tar = sb.path("app/images/test_busybox_1.tar");
    let mut bytes = std::fs::read(&tar).unwrap();
    let last = bytes.len() - 2048;
    bytes[last - 100] ^= 0x01;
    std::fs::write(&tar, bytes).unwrap();

    let intranet = Registry::start();
    let out = push(&sb, "app", &intranet.host, &["--pub", "rel.pub"]);
    assert_exit(&out, 1);
    assert!(
        text(&out).contains("images/test_busybox_1.tar: sha256"),
        "{}",
        text(&out)
    );
    let probe = ureq::get(&format!(
        "http://{}/v2/test/busybox/tags/list",
        intranet.host
    ))
    .call();
    assert!(
        matches!(probe, Err(ureq::Error::Status(404, _))),
        "nothing was pushed"
    );
}

#[test]
fn images_come_from_local_archives_with_no_registry() {
    let sb = Sandbox::new();
    let layout = registry::layout();
    let skopeo = |dest: String| {
        let out = Command::new("skopeo")
            .args(["copy", "-q"])
            .arg(format!("oci:{}:busybox", layout.display()))
            .arg(dest)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    // An OCI archive naming the runtime image, and a classic `docker save` tar.
    let runtime = "registry.invalid/base/busybox:1";
    skopeo(format!(
        "oci-archive:{}:{runtime}",
        sb.path("oci.tar").display()
    ));
    skopeo(format!(
        "docker-archive:{}:example.com/team/tools:2",
        sb.path("saved.tar").display()
    ));
    let out = sb.pack_with(
        "clockwork",
        "app.ferry",
        &[
            "--runtime-image",
            runtime,
            "--image-archive",
            "oci.tar",
            "--image-archive",
            "saved.tar",
        ],
    );
    assert_ok(&out);
    sb.unpack("app.ferry", "app");
    let m = manifest(&sb, "app");
    let by_tag = |tag: &str| {
        m["images"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["tag"] == tag)
            .cloned()
            .unwrap()
    };
    let oci_digest =
        skopeo_inspect(&format!("oci-archive:{}", sb.path("oci.tar").display()))["Digest"].clone();
    assert_eq!(by_tag("base/busybox:1")["role"], "runtime");
    assert_eq!(by_tag("base/busybox:1")["digest"], oci_digest);
    let tools = by_tag("team/tools:2");
    assert_eq!(tools["role"], "extra");
    let tar = sb.path("app").join(tools["entry"].as_str().unwrap());
    assert_eq!(
        skopeo_inspect(&format!("oci-archive:{}", tar.display()))["Digest"],
        tools["digest"]
    );
    let docker = skopeo_inspect(&format!("docker-archive:{}", tar.display()));
    let saved = skopeo_inspect(&format!(
        "docker-archive:{}",
        sb.path("saved.tar").display()
    ));
    assert_eq!(
        docker["Layers"], saved["Layers"],
        "the same layers as the docker save tar"
    );
}
