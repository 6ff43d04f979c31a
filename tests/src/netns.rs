//! Hosts for SSH tests: a real `sshd` inside a network namespace per host
//! (veth pair to the root namespace), created and removed by the test.
