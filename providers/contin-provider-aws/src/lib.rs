//! The `aws` provider: EC2 networking and instances through aws-sdk-ec2.
