//! End-to-end tests: aws (the real contin binary).
