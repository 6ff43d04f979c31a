//! Test helpers (not a stable API).
