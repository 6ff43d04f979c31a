//! End-to-end tests: edge (the real contin binary).
