//! Hashes (md5, sha1, sha256, sha512 and their base64 and file forms),
//! bcrypt, rsadecrypt, uuid and uuidv5.

use super::{string_arg, FnResult, FuncError};
use crate::limits::MAX_BCRYPT_COST;
use crate::Scope;
use contin_types::Value;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

fn digest<D: Digest>(data: &[u8]) -> Vec<u8> {
    D::digest(data).to_vec()
}

/// The bytes of a file, through the scope (the engine bounds the size).
pub(super) fn file_bytes(args: &[Value], scope: &dyn Scope) -> Result<Vec<u8>, FuncError> {
    let path = string_arg(&args[0], 0)?;
    scope.read_file_bytes(&path).map_err(|e| FuncError::Arg(0, e.trim_end_matches('.').to_string()))
}

fn text(args: &[Value]) -> Result<Vec<u8>, FuncError> {
    string_arg(&args[0], 0).map(String::into_bytes)
}

fn hexed(d: Vec<u8>) -> FnResult {
    Ok(Value::String(hex(&d)))
}

fn b64(d: Vec<u8>) -> FnResult {
    Ok(Value::String(contin_types::base64::encode(&d)))
}

pub(super) fn md5(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    hexed(digest::<Md5>(&text(&args)?))
}
pub(super) fn sha1(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    hexed(digest::<Sha1>(&text(&args)?))
}
pub(super) fn sha256(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    hexed(digest::<Sha256>(&text(&args)?))
}
pub(super) fn sha512(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    hexed(digest::<Sha512>(&text(&args)?))
}
pub(super) fn base64sha256(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    b64(digest::<Sha256>(&text(&args)?))
}
pub(super) fn base64sha512(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    b64(digest::<Sha512>(&text(&args)?))
}
pub(super) fn filemd5(args: Vec<Value>, s: &dyn Scope) -> FnResult {
    hexed(digest::<Md5>(&file_bytes(&args, s)?))
}
pub(super) fn filesha1(args: Vec<Value>, s: &dyn Scope) -> FnResult {
    hexed(digest::<Sha1>(&file_bytes(&args, s)?))
}
pub(super) fn filesha256(args: Vec<Value>, s: &dyn Scope) -> FnResult {
    hexed(digest::<Sha256>(&file_bytes(&args, s)?))
}
pub(super) fn filesha512(args: Vec<Value>, s: &dyn Scope) -> FnResult {
    hexed(digest::<Sha512>(&file_bytes(&args, s)?))
}
pub(super) fn filebase64sha256(args: Vec<Value>, s: &dyn Scope) -> FnResult {
    b64(digest::<Sha256>(&file_bytes(&args, s)?))
}
pub(super) fn filebase64sha512(args: Vec<Value>, s: &dyn Scope) -> FnResult {
    b64(digest::<Sha512>(&file_bytes(&args, s)?))
}
pub(super) fn filebase64(args: Vec<Value>, s: &dyn Scope) -> FnResult {
    b64(file_bytes(&args, s)?)
}

/// bcrypt(str, cost = 10): a `$2a$` hash with a random salt, like Go's
/// `bcrypt.GenerateFromPassword`. The cost is capped at [`MAX_BCRYPT_COST`].
pub(super) fn bcrypt(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    if args.len() > 2 {
        return Err(FuncError::Arg(2, "bcrypt() takes no more than two arguments".into()));
    }
    let password = string_arg(&args[0], 0)?;
    let cost = match args.get(1) {
        Some(v) => super::int_arg(v, 1)?,
        None => 10,
    };
    if !(4..=i64::from(MAX_BCRYPT_COST)).contains(&cost) {
        return Err(FuncError::Call(format!(
            "crypto/bcrypt: cost {cost} is outside the allowed range (4,{MAX_BCRYPT_COST}) (MAX_BCRYPT_COST)"
        )));
    }
    if password.len() > 72 {
        return Err(FuncError::Call("crypto/bcrypt: password length exceeds 72 bytes".into()));
    }
    let cost = u32::try_from(cost).unwrap_or(10);
    let parts = ::bcrypt::hash_with_result(password.as_bytes(), cost).map_err(|e| FuncError::Call(format!("crypto/bcrypt: {e}")))?;
    Ok(Value::String(parts.format_for_version(::bcrypt::Version::TwoA)))
}

/// rsadecrypt(ciphertext, privatekey): PKCS #1 v1.5 decryption of
/// base64 ciphertext with a PEM key (PKCS #1 `RSA PRIVATE KEY` or PKCS #8
/// `PRIVATE KEY`). Errors never show the key.
pub(super) fn rsadecrypt(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    use pkcs1::DecodeRsaPrivateKey;
    use pkcs8::DecodePrivateKey;
    let ct = string_arg(&args[0], 0)?;
    let key = string_arg(&args[1], 1)?;
    let ct = contin_types::base64::decode(ct.trim()).ok_or_else(|| FuncError::Arg(0, "failed to decode input \"cipher_text\": cipher text must be base64-encoded".into()))?;
    let key = rsa::RsaPrivateKey::from_pkcs1_pem(key.trim())
        .or_else(|_| rsa::RsaPrivateKey::from_pkcs8_pem(key.trim()))
        .map_err(|_| FuncError::Arg(1, "invalid private key: not an RSA private key in PKCS #1 or PKCS #8 PEM form".into()))?;
    let out = key.decrypt(rsa::Pkcs1v15Encrypt, &ct).map_err(|_| FuncError::Call("failed to decrypt: crypto/rsa: decryption error".into()))?;
    String::from_utf8(out).map(Value::String).map_err(|_| FuncError::Call("the decrypted text is not valid UTF-8".into()))
}

fn uuid_string(u: uuid::Uuid) -> Value {
    Value::String(u.hyphenated().to_string())
}

/// uuid(): 122 random bits (Terraform's go-uuid sets every bit at random;
/// version 4 is a valid instance of that shape).
pub(super) fn uuid(_args: Vec<Value>, _: &dyn Scope) -> FnResult {
    Ok(uuid_string(uuid::Uuid::new_v4()))
}

pub(super) fn uuidv5(args: Vec<Value>, _: &dyn Scope) -> FnResult {
    let ns = string_arg(&args[0], 0)?;
    let name = string_arg(&args[1], 1)?;
    let namespace = match ns.as_str() {
        "dns" => uuid::Uuid::NAMESPACE_DNS,
        "url" => uuid::Uuid::NAMESPACE_URL,
        "oid" => uuid::Uuid::NAMESPACE_OID,
        "x500" => uuid::Uuid::NAMESPACE_X500,
        other => uuid::Uuid::parse_str(other)
            .map_err(|e| FuncError::Call(format!("uuidv5() doesn't support namespace {other} ({e})")))?,
    };
    let mut h = Sha1::new();
    h.update(namespace.as_bytes());
    h.update(name.as_bytes());
    let d = h.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&d[..16]);
    Ok(uuid_string(uuid::Builder::from_sha1_bytes(bytes).into_uuid()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EmptyScope;

    #[test]
    fn hashes_match_known_vectors() {
        let s = |f: fn(Vec<Value>, &dyn Scope) -> FnResult, x: &str| match f(vec![Value::string(x)], &EmptyScope) {
            Ok(Value::String(s)) => s,
            other => panic!("{other:?}"),
        };
        assert_eq!(s(md5, "hello world"), "5eb63bbbe01eeed093cb22bb8f5acdc3");
        assert_eq!(s(sha1, "hello world"), "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed");
        assert_eq!(s(base64sha256, "hello world"), "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=");
    }

    #[test]
    fn bcrypt_cost_is_bounded_and_the_hash_verifies() {
        let r = bcrypt(vec![Value::string("pw"), Value::int(31)], &EmptyScope);
        assert!(matches!(&r, Err(FuncError::Call(m)) if m.contains("MAX_BCRYPT_COST")), "{r:?}");
        let r = bcrypt(vec![Value::string("x".repeat(73))], &EmptyScope);
        assert!(matches!(&r, Err(FuncError::Call(m)) if m.contains("72 bytes")), "{r:?}");
        let Ok(Value::String(h)) = bcrypt(vec![Value::string("pw"), Value::int(4)], &EmptyScope) else { panic!() };
        assert!(h.starts_with("$2a$04$"), "{h}");
        assert!(::bcrypt::verify("pw", &h).unwrap_or(false));
    }

    #[test]
    fn rsadecrypt_errors_never_show_the_key() {
        let key = include_str!("../../../../tests/compat/functions/files/privatekey.pem");
        let ct = contin_types::base64::encode(include_bytes!("../../../../tests/compat/functions/files/ciphertext"));
        let r = rsadecrypt(vec![Value::string(ct.clone()), Value::string(key)], &EmptyScope);
        assert_eq!(r, Ok(Value::string("Hello, world!")));
        let cases = [
            (Value::string("not base64!"), Value::string(key)),
            (Value::string(ct.clone()), Value::string("-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----")),
            (Value::string(contin_types::base64::encode(b"short")), Value::string(key)),
            (Value::string(contin_types::base64::encode(&[7u8; 4096])), Value::string(key)),
        ];
        for (c, k) in cases {
            let r = rsadecrypt(vec![c, k], &EmptyScope);
            let msg = format!("{r:?}");
            assert!(r.is_err(), "{msg}");
            assert!(!msg.contains("MII"), "the key shows in {msg}");
        }
    }

    #[test]
    fn uuidv5_namespaces() {
        let r = uuidv5(vec![Value::string("dns"), Value::string("www.terraform.io")], &EmptyScope);
        assert_eq!(r, Ok(Value::string("a5008fae-b28c-5ba5-96cd-82b4c53552d6")));
        assert!(uuidv5(vec![Value::string("nope"), Value::string("x")], &EmptyScope).is_err());
    }
}
