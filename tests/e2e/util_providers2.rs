//! The tls certificate, archive, cloudinit and local_sensitive_file types
//! through the binary, in a Terraform configuration as published
//! (`required_providers` naming hashicorp/tls, archive, cloudinit, local):
//! a self-signed certificate from a `tls_private_key`, a CSR signed by it, a
//! zip of a directory, a cloud-init document; apply, check what was made,
//! then a re-plan with nothing to do (`-detailed-exitcode` 0); a source
//! change shows in the archive digests.

use contin_e2e::Project;

const CONFIG: &str = r##"terraform {
  required_providers {
    tls       = { source = "hashicorp/tls", version = "~> 4.0" }
    archive   = { source = "hashicorp/archive" }
    cloudinit = { source = "hashicorp/cloudinit" }
    local     = { source = "hashicorp/local" }
  }
}

resource "tls_private_key" "ca" {
  algorithm   = "ECDSA"
  ecdsa_curve = "P256"
}

resource "tls_self_signed_cert" "ca" {
  private_key_pem = tls_private_key.ca.private_key_pem
  subject {
    common_name  = "Example CA"
    organization = "ACME"
  }
  validity_period_hours = 48
  early_renewal_hours   = 1
  is_ca_certificate     = true
  allowed_uses          = ["cert_signing", "crl_signing", "digital_signature"]
}

resource "tls_private_key" "web" {
  algorithm = "RSA"
}

resource "tls_cert_request" "web" {
  private_key_pem = tls_private_key.web.private_key_pem
  subject {
    common_name = "www.example.com"
  }
  dns_names    = ["www.example.com", "example.com"]
  ip_addresses = ["10.0.0.5"]
}

resource "tls_locally_signed_cert" "web" {
  cert_request_pem      = tls_cert_request.web.cert_request_pem
  ca_private_key_pem    = tls_private_key.ca.private_key_pem
  ca_cert_pem           = tls_self_signed_cert.ca.cert_pem
  validity_period_hours = 24
  allowed_uses          = ["key_encipherment", "digital_signature", "server_auth"]
}

data "tls_public_key" "web" {
  private_key_pem = tls_private_key.web.private_key_pem
}

data "archive_file" "site" {
  type        = "zip"
  source_dir  = "${path.module}/site"
  output_path = "${path.module}/build/site.zip"
  excludes    = ["*.tmp"]
}

data "cloudinit_config" "init" {
  gzip          = false
  base64_encode = false
  part {
    content_type = "text/cloud-config"
    content      = "#cloud-config\npackages: [nginx]\n"
    filename     = "init.cfg"
  }
  part {
    content_type = "text/x-shellscript"
    content      = "#!/bin/sh\necho ${tls_self_signed_cert.ca.validity_end_time}\n"
  }
}

resource "local_sensitive_file" "key" {
  filename = "${path.module}/out/web.key"
  content  = tls_private_key.web.private_key_pem
}

resource "local_file" "chain" {
  filename = "${path.module}/out/chain.pem"
  content  = "${tls_locally_signed_cert.web.cert_pem}${tls_self_signed_cert.ca.cert_pem}"
}

output "ca_pem" {
  value = tls_self_signed_cert.ca.cert_pem
}
output "ready" {
  value = tls_self_signed_cert.ca.ready_for_renewal
}
output "zip_sha" {
  value = data.archive_file.site.output_base64sha256
}
output "zip_size" {
  value = data.archive_file.site.output_size
}
output "init" {
  value = data.cloudinit_config.init.rendered
}
output "same_key" {
  value = data.tls_public_key.web.public_key_pem == tls_private_key.web.public_key_pem
}
"##;

fn outputs(p: &Project) -> serde_json::Value {
    let out = p.run(&["output", "-json"]);
    out.expect_code(0);
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("output -json: {e}\n{}", out.stdout))
}

fn value<'a>(o: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    let v = &o[name];
    if v.get("value").is_some() { &v["value"] } else { v }
}

#[test]
fn certificates_archive_and_cloudinit_apply_then_replan_clean() {
    let p = Project::empty();
    p.write("main.tf", CONFIG);
    p.write("site/index.html", "<h1>hi</h1>\n");
    p.write("site/css/app.css", "body{}\n");
    p.write("site/scratch.tmp", "ignored\n");
    p.run(&["validate"]).expect_code(0);
    let apply = p.run(&["apply", "-auto-approve"]);
    apply.expect_code(0);
    let o = outputs(&p);

    // The certificates.
    let ca_pem = value(&o, "ca_pem").as_str().unwrap_or_default().to_string();
    assert!(ca_pem.starts_with("-----BEGIN CERTIFICATE-----\n"), "{o}");
    assert_eq!(value(&o, "ready"), false);
    assert_eq!(value(&o, "same_key"), true);
    let chain = p.read("out/chain.pem");
    assert_eq!(chain.matches("BEGIN CERTIFICATE").count(), 2, "{chain}");
    if std::process::Command::new("openssl").arg("version").output().is_ok_and(|o| o.status.success()) {
        std::fs::write(p.file("ca.pem"), &ca_pem).expect("write");
        let leaf_end = chain.find("-----END CERTIFICATE-----").map(|i| i + "-----END CERTIFICATE-----\n".len()).unwrap_or(0);
        std::fs::write(p.file("leaf.pem"), &chain[..leaf_end]).expect("write");
        let verify = std::process::Command::new("openssl").args(["verify", "-CAfile"]).arg(p.file("ca.pem")).arg(p.file("leaf.pem")).output().expect("openssl");
        assert!(verify.status.success(), "openssl verify: {}{}", String::from_utf8_lossy(&verify.stdout), String::from_utf8_lossy(&verify.stderr));
        let text = std::process::Command::new("openssl").args(["x509", "-noout", "-text", "-in"]).arg(p.file("leaf.pem")).output().expect("openssl");
        let text = String::from_utf8_lossy(&text.stdout).to_string();
        assert!(text.contains("DNS:www.example.com") && text.contains("IP Address:10.0.0.5") && (text.contains("Issuer: CN=Example CA, O=ACME") || text.contains("Issuer: O = ACME, CN = Example CA") || text.contains("Issuer: O=ACME, CN=Example CA")), "{text}");
    }

    // The archive: the directory without the excluded file.
    let zip = p.file("build/site.zip");
    let bytes = std::fs::read(&zip).expect("the archive is written");
    assert_eq!(value(&o, "zip_size").as_u64(), Some(bytes.len() as u64));
    let listing = String::from_utf8_lossy(&bytes).to_string();
    assert!(listing.contains("css/app.css") && listing.contains("index.html") && !listing.contains("scratch.tmp"), "entries");
    let sha = value(&o, "zip_sha").as_str().unwrap_or_default().to_string();
    assert_eq!(sha.len(), 44, "{o}");

    // cloud-init: Terraform's MIME framing.
    let init = value(&o, "init").as_str().unwrap_or_default().to_string();
    assert!(init.starts_with("Content-Type: multipart/mixed; boundary=\"MIMEBOUNDARY\"\nMIME-Version: 1.0\r\n\r\n--MIMEBOUNDARY\r\nContent-Disposition: attachment; filename=\"init.cfg\"\r\n"), "{init:?}");
    assert!(init.ends_with("\r\n--MIMEBOUNDARY--\r\n"), "{init:?}");

    // The private key file: written, 0700, never printed.
    let key = p.read("out/web.key");
    assert!(key.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(p.file("out/web.key")).expect("key file").permissions().mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
    }
    for run in [&apply, &p.run(&["state", "show", "local_sensitive_file.key"]), &p.run(&["state", "show", "tls_self_signed_cert.ca"])] {
        assert!(!run.all().contains("PRIVATE KEY-----\nMII"), "a private key shown:\n{}", run.all());
    }

    // Nothing changed: nothing to do, and the archive bytes are the same.
    let replan = p.run(&["plan", "-detailed-exitcode"]);
    replan.expect_code(0);
    assert_eq!(std::fs::read(&zip).expect("archive"), bytes, "the archive is rebuilt byte for byte");

    // A source change changes the digests (the data source is read at plan).
    p.write("site/index.html", "<h1>changed</h1>\n");
    p.run(&["apply", "-auto-approve"]).expect_code(0);
    let o2 = outputs(&p);
    assert_ne!(value(&o2, "zip_sha").as_str().unwrap_or_default(), sha, "{o2}");
    assert_eq!(value(&o2, "ca_pem").as_str().unwrap_or_default(), ca_pem, "the certificate stays");
    p.run(&["plan", "-detailed-exitcode"]).expect_code(0);
}
