//! Provider configuration errors. Own test binary: it clears AWS_* variables.

use contin_provider::Provider;
use contin_provider_aws::AwsProvider;
use contin_types::Value;

#[tokio::test]
async fn missing_region_and_bad_endpoint_are_clear_diagnostics() {
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") {
            std::env::remove_var(k);
        }
    }
    let dir = std::env::temp_dir().join(format!("contin-aws-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::env::set_var("AWS_CONFIG_FILE", dir.join("config"));
    std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", dir.join("credentials"));
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");

    let p = AwsProvider::new();
    let d = p.configure(Value::map([("endpoint", Value::string("http://127.0.0.1:1"))])).await.unwrap_err();
    let first = d.iter().next().unwrap();
    assert_eq!(first.summary, "missing region for provider \"aws\"");
    assert!(first.detail.contains("AWS_REGION"), "{}", first.detail);

    // A profile's region is honoured.
    std::fs::write(dir.join("config"), "[profile lab]\nregion = eu-west-3\n").unwrap();
    p.configure(Value::map([("profile", Value::string("lab"))])).await.unwrap();

    let d = p.configure(Value::map([("region", Value::string("us-east-1")), ("endpoint", Value::string("127.0.0.1:5000"))])).await.unwrap_err();
    assert!(d.iter().next().unwrap().detail.contains("http://"), "{d:?}");
    let d = p.configure(Value::map([("region", Value::string("us-east-1")), ("tags", Value::map([("contin:x", Value::string("y"))]))])).await.unwrap_err();
    assert!(d.iter().next().unwrap().detail.contains("reserved"), "{d:?}");
    std::fs::remove_dir_all(&dir).ok();
}
