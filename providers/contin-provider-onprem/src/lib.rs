//! The `onprem` provider: `host` (SSH over russh, facts) and `cluster`
//! (K3s / MicroK8s / KubeEdge bootstrap from tera templates, or adoption of
//! an existing K8s cluster).

pub mod remote;
pub mod cluster;
