//! The `s3` state backend: state object + `KEY.lock` lock object with
//! conditional writes (`If-None-Match: *`, `If-Match: <etag>`).
