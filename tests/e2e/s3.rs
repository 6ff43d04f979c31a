//! End-to-end tests: s3 (the real contin binary).
