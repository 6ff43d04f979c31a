use super::*;
use std::io::Read;

fn cfg(pairs: &[(&str, Value)]) -> Value {
    Value::map(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())))
}

fn s(v: &Value, k: &str) -> String {
    v.attr_str(k).unwrap_or_else(|| panic!("{k} is not a string in {v:?}")).to_string()
}

/// (name, content, unix mode) of every entry, in archive order.
fn unzip(path: &Path) -> Vec<(String, String, u32)> {
    let mut a = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..a.len())
        .map(|i| {
            let mut f = a.by_index(i).unwrap();
            if !f.is_symlink() {
                assert_eq!(f.compression(), zip::CompressionMethod::Deflated);
            }
            assert_eq!(f.last_modified(), Some(zip::DateTime::default()), "fixed date");
            let mut text = String::new();
            f.read_to_string(&mut text).unwrap();
            (f.name().unwrap().to_string(), text, f.unix_mode().unwrap_or(0) & 0o777)
        })
        .collect()
}

fn tree(root: &Path) {
    std::fs::create_dir_all(root.join("src/b/deep")).unwrap();
    std::fs::create_dir_all(root.join("src/node_modules/x")).unwrap();
    std::fs::write(root.join("src/main.py"), "print('hi')\n").unwrap();
    std::fs::write(root.join("src/a.txt"), "A").unwrap();
    std::fs::write(root.join("src/b/c.txt"), "C").unwrap();
    std::fs::write(root.join("src/b/deep/d.log"), "D").unwrap();
    std::fs::write(root.join("src/b/e.log"), "E").unwrap();
    std::fs::write(root.join("src/node_modules/x/index.js"), "x").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(root.join("src/main.py"), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(root.join("src/a.txt"), std::fs::Permissions::from_mode(0o640)).unwrap();
    }
}

#[tokio::test]
async fn source_dir_is_walked_in_order_with_excludes_and_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path());
    let p = ArchiveProvider::new(dir.path().to_path_buf());
    let c = cfg(&[
        ("type", Value::string("zip")),
        ("source_dir", Value::string("src")),
        ("output_path", Value::string("out/lambda.zip")),
        ("excludes", Value::set(vec![Value::string("node_modules"), Value::string("**/*.log")])),
    ]);
    assert!(!p.validate(ARCHIVE_FILE, &c).has_errors());
    let v = p.read_data(ARCHIVE_FILE, &c).await.unwrap();
    let out = dir.path().join("out/lambda.zip");
    let entries = unzip(&out);
    let names: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(names, ["a.txt", "b/c.txt", "main.py"], "sorted like filepath.Walk, excludes applied");
    assert_eq!(entries[0].1, "A");
    #[cfg(unix)]
    {
        assert_eq!(entries[0].2, 0o640, "file modes kept");
        assert_eq!(entries[2].2, 0o755);
    }
    // Attributes are the digests of the file on disk.
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(v.attr("output_size"), Some(&int(bytes.len() as i64)));
    assert_eq!(s(&v, "output_sha"), hex::encode(Sha1::digest(&bytes)));
    assert_eq!(s(&v, "id"), s(&v, "output_sha"));
    assert_eq!(s(&v, "output_md5"), hex::encode(Md5::digest(&bytes)));
    assert_eq!(s(&v, "output_sha256"), hex::encode(Sha256::digest(&bytes)));
    assert_eq!(s(&v, "output_base64sha256"), base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&bytes)));
    assert_eq!(s(&v, "output_base64sha512"), base64::engine::general_purpose::STANDARD.encode(Sha512::digest(&bytes)));
    // Same inputs, same bytes, even when the mtimes change.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    std::fs::write(dir.path().join("src/a.txt"), "A").unwrap();
    let again = p.read_data(ARCHIVE_FILE, &c).await.unwrap();
    assert_eq!(again, v);
    // A content change changes the digests.
    std::fs::write(dir.path().join("src/a.txt"), "A2").unwrap();
    let changed = p.read_data(ARCHIVE_FILE, &c).await.unwrap();
    assert_ne!(s(&changed, "output_sha256"), s(&v, "output_sha256"));
    // output_file_mode overrides every mode.
    let c2 = cfg(&[("type", Value::string("zip")), ("source_dir", Value::string("src")), ("output_path", Value::string("m.zip")), ("output_file_mode", Value::string("0666"))]);
    p.read_data(ARCHIVE_FILE, &c2).await.unwrap();
    let modes: Vec<u32> = unzip(&dir.path().join("m.zip")).iter().map(|e| e.2).collect();
    assert!(modes.iter().all(|m| *m == 0o666), "{modes:?}");
}

#[tokio::test]
async fn file_content_and_source_blocks() {
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path());
    let p = ArchiveProvider::new(dir.path().to_path_buf());
    let v = p.read_data(ARCHIVE_FILE, &cfg(&[("type", Value::string("zip")), ("source_file", Value::string("src/b/c.txt")), ("output_path", Value::string("f.zip"))])).await.unwrap();
    assert_eq!(unzip(&dir.path().join("f.zip")), [("c.txt".to_string(), "C".to_string(), unzip(&dir.path().join("f.zip"))[0].2)]);
    assert!(s(&v, "output_sha").len() == 40);
    p.read_data(
        ARCHIVE_FILE,
        &cfg(&[("type", Value::string("zip")), ("source_content", Value::string("hello")), ("source_content_filename", Value::string("hello.txt")), ("output_path", Value::string("c.zip"))]),
    )
    .await
    .unwrap();
    assert_eq!(unzip(&dir.path().join("c.zip")), [("hello.txt".to_string(), "hello".to_string(), 0o644)]);
    let block = |f: &str, c: &str| cfg(&[("filename", Value::string(f)), ("content", Value::string(c))]);
    let c = cfg(&[("type", Value::string("zip")), ("source", Value::set(vec![block("z.txt", "Z"), block("a/y.txt", "Y")])), ("output_path", Value::string("s.zip"))]);
    let first = p.read_data(ARCHIVE_FILE, &c).await.unwrap();
    let names: Vec<String> = unzip(&dir.path().join("s.zip")).into_iter().map(|e| e.0).collect();
    assert_eq!(names, ["a/y.txt", "z.txt"], "sorted by filename");
    // Absolute paths are used as they are.
    let abs = dir.path().join("abs.zip");
    let v = p.read_data(ARCHIVE_FILE, &cfg(&[("type", Value::string("zip")), ("source", Value::set(vec![block("z.txt", "Z"), block("a/y.txt", "Y")])), ("output_path", Value::string(abs.to_str().unwrap()))])).await.unwrap();
    assert_eq!(s(&v, "output_sha256"), s(&first, "output_sha256"), "same entries, same bytes");
}

#[tokio::test]
async fn resource_archives_at_create_and_replans_without_change() {
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path());
    let p = ArchiveProvider::new(dir.path().to_path_buf());
    let c = cfg(&[("type", Value::string("zip")), ("source_dir", Value::string("src/b")), ("output_path", Value::string("r.zip"))]);
    let plan = p.plan_change(ARCHIVE_FILE, None, &c);
    assert_eq!(plan.planned.attr("output_sha"), Some(&Value::Unknown));
    let ctx = OpContext { address: contin_types::ResourceAddr::managed(ARCHIVE_FILE, "r"), lineage: "l".into(), generation: 1 };
    let v = p.create(ARCHIVE_FILE, &plan.planned, &ctx).await.unwrap();
    assert!(dir.path().join("r.zip").is_file());
    std::fs::remove_file(dir.path().join("r.zip")).unwrap();
    let read = p.read(ARCHIVE_FILE, &v).await.unwrap().unwrap();
    assert!(dir.path().join("r.zip").is_file(), "refresh rewrites a missing archive");
    assert_eq!(read, v);
    let again = p.plan_change(ARCHIVE_FILE, Some(&read), &c);
    assert!(again.requires_replace.is_empty());
    assert_eq!(again.planned, read);
    let moved = p.plan_change(ARCHIVE_FILE, Some(&read), &cfg(&[("type", Value::string("zip")), ("source_dir", Value::string("src")), ("output_path", Value::string("r.zip"))]));
    assert!(!moved.requires_replace.is_empty());
    p.delete(ARCHIVE_FILE, &v, &ctx).await.unwrap();
    assert!(dir.path().join("r.zip").is_file(), "delete keeps the file, like Terraform");
}

#[cfg(unix)]
#[tokio::test]
async fn symlinks_and_loops() {
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path());
    std::os::unix::fs::symlink("a.txt", dir.path().join("src/link.txt")).unwrap();
    std::os::unix::fs::symlink("..", dir.path().join("src/b/up")).unwrap();
    let p = ArchiveProvider::new(dir.path().to_path_buf());
    let base = |extra: &[(&str, Value)]| {
        let mut pairs = vec![("type", Value::string("zip")), ("source_dir", Value::string("src")), ("output_path", Value::string("l.zip")), ("excludes", Value::set(vec![Value::string("node_modules")]))];
        pairs.extend(extra.iter().cloned());
        cfg(&pairs)
    };
    p.read_data(ARCHIVE_FILE, &base(&[])).await.unwrap();
    let mut a = zip::ZipArchive::new(std::fs::File::open(dir.path().join("l.zip")).unwrap()).unwrap();
    let link = a.by_name("link.txt").unwrap();
    assert!(link.is_symlink(), "stored as a link");
    drop(link);
    p.read_data(ARCHIVE_FILE, &base(&[("exclude_symlink_directories", Value::Bool(true))])).await.unwrap();
    let names: Vec<String> = unzip(&dir.path().join("l.zip")).into_iter().map(|e| e.0).collect();
    assert!(!names.iter().any(|n| n.starts_with("b/up")), "{names:?}");
    // Following the loop stops at the depth limit, with an error naming it.
    let e = p.read_data(ARCHIVE_FILE, &base(&[("follow_symlinks", Value::Bool(true))])).await.unwrap_err().to_string();
    assert!(e.contains(&format!("deeper than {MAX_DEPTH}")), "{e}");
}

#[test]
fn validation_and_globs() {
    let p = ArchiveProvider::default();
    let ok = cfg(&[("type", Value::string("zip")), ("source_dir", Value::string("d")), ("output_path", Value::string("o.zip"))]);
    assert!(!p.validate(ARCHIVE_FILE, &ok).has_errors());
    let d = p.validate(ARCHIVE_FILE, &cfg(&[("type", Value::string("tar.gz")), ("source_dir", Value::string("d")), ("output_path", Value::string("o"))]));
    assert!(format!("{d:?}").contains("type: archive type"), "{d:?}");
    let d = p.validate(ARCHIVE_FILE, &cfg(&[("type", Value::string("zip")), ("source_dir", Value::string("d")), ("source_file", Value::string("f")), ("output_path", Value::string("o"))]));
    assert!(format!("{d:?}").contains("conflicts with"), "{d:?}");
    assert!(p.validate(ARCHIVE_FILE, &cfg(&[("type", Value::string("zip")), ("output_path", Value::string("o"))])).has_errors());
    assert!(p.validate(ARCHIVE_FILE, &cfg(&[("type", Value::string("zip")), ("source_content", Value::string("x")), ("output_path", Value::string("o"))])).has_errors());
    assert!(p.validate(ARCHIVE_FILE, &cfg(&[("type", Value::string("zip")), ("source_dir", Value::string("d")), ("output_path", Value::string("o")), ("output_file_mode", Value::string("rw"))])).has_errors());
    assert_eq!(parse_mode("0644"), Some(0o644));
    assert_eq!(parse_mode("420"), Some(420), "decimal, as Go's base 0");
    assert_eq!(parse_mode("0x1ff"), Some(0o777));
    assert_eq!(parse_mode("08"), None);
    for (pat, name, want) in [
        ("*.log", "e.log", true),
        ("*.log", "b/e.log", false),
        ("**/*.log", "b/e.log", true),
        ("**/*.log", "e.log", true),
        ("**/*.log", "b/deep/d.log", true),
        ("b/**", "b/deep/d.log", true),
        ("b/*", "b/deep/d.log", false),
        ("?.txt", "a.txt", true),
        ("?.txt", "ab.txt", false),
        ("**", "x/y", true),
    ] {
        assert_eq!(glob(pat, name), want, "{pat} vs {name}");
    }
    // No blow-up on hostile patterns.
    assert!(!glob(&format!("{}b", "*a".repeat(300)), &"a".repeat(2000)));
}
