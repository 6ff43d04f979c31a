//! The `edge` provider: `edge_site` blocks (a tree of regions, sites and sub-sites).
