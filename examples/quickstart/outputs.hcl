output "files" {
  value = concat([local_file.readme.filename], [for f in local_file.env : f.filename])
}

output "server_names" {
  value = fake_resource.server[*].name
}

output "api_token" {
  value     = var.api_token
  sensitive = true
}
