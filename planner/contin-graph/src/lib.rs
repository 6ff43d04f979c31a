//! Dependency graph of contin configurations: DAG build, cycle reports, DOT
