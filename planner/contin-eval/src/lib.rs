//! Expression evaluation, Terraform built-in functions and variable input for contin
