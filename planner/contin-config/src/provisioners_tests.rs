//! `provisioner` and `connection` blocks: the model, the `self` rewrite,
//! implied dependencies and every diagnostic.

use crate::model::*;
use crate::parse_files;
use contin_types::ResourceMode;
use hcl_edit::Decorate;

fn parse(text: &str) -> (Config, Vec<String>) {
    let (config, diags) = parse_files(&[("main.tf".to_string(), text.to_string())]);
    let problems = diags
        .iter()
        .map(|d| {
            let at = d.loc.as_ref().map_or("?".to_string(), |l| config.sources.describe(l));
            format!("{at}: {}", d.summary)
        })
        .collect();
    (config, problems)
}

/// The source text of an expression after the parser's rewrites.
fn text(e: &Expr) -> String {
    let mut e = e.expr.clone();
    hcl_edit::visit_mut::VisitMut::visit_expr_mut(&mut Strip, &mut e);
    e.to_string()
}

/// Drops decor so `to_string` is compact.
struct Strip;
impl hcl_edit::visit_mut::VisitMut for Strip {
    fn visit_expr_mut(&mut self, e: &mut hcl_edit::expr::Expression) {
        e.decor_mut().clear();
        hcl_edit::visit_mut::visit_expr_mut(self, e);
    }
}

#[test]
fn provisioners_and_connections_are_parsed_and_self_is_rewritten() {
    let (config, problems) = parse(
        r#"
resource "aws_instance" "web" {
  count = 2
  ami   = "ami-1"
  connection {
    type        = "ssh"
    host        = self.public_ip
    private_key = file("id")
  }
  provisioner "local-exec" {
    command     = "echo ${self.id} ${aws_vpc.main.id} ${var.x}"
    environment = { A = "b" }
    on_failure  = continue
  }
  provisioner "remote-exec" {
    inline = ["uptime"]
    connection {
      host = self.private_ip
    }
  }
  provisioner "file" {
    content     = "x"
    destination = "/tmp/x"
    when        = destroy
  }
}
"#,
    );
    assert_eq!(problems, Vec::<String>::new());
    let r = &config.resources[0];
    assert!(r.body.blocks.is_empty(), "provisioner/connection are not provider arguments");
    assert_eq!(r.provisioners.len(), 3);
    let [le, re, f] = [&r.provisioners[0], &r.provisioners[1], &r.provisioners[2]];
    assert_eq!((le.kind.as_str(), le.when, le.on_failure_continue), ("local-exec", ProvisionerWhen::Create, true));
    assert_eq!((re.kind.as_str(), re.when, re.on_failure_continue), ("remote-exec", ProvisionerWhen::Create, false));
    assert_eq!((f.kind.as_str(), f.when), ("file", ProvisionerWhen::Destroy));
    assert!(!le.body.attributes.contains_key("on_failure"), "meta arguments leave the body");
    assert!(!f.body.attributes.contains_key("when"));
    assert_eq!(text(&le.body.attributes["command"].expr), r#""echo ${ aws_instance.web[count.index].id } ${ aws_vpc.main.id } ${ var.x }""#);
    let own = re.connection.as_ref().expect("its own connection");
    assert_eq!(text(&own.body.attributes["host"].expr), "aws_instance.web[count.index].private_ip");
    let res_conn = r.connection.as_ref().expect("the resource's connection");
    assert_eq!(text(&res_conn.body.attributes["host"].expr), "aws_instance.web[count.index].public_ip");
    // References from creation-time provisioners are dependencies; `self` is not.
    let deps: Vec<(ResourceMode, &str, &str)> = r.depends_on.iter().map(|d| (d.mode, d.ty.as_str(), d.name.as_str())).collect();
    assert_eq!(deps, vec![(ResourceMode::Managed, "aws_vpc", "main")]);
    // The rewritten reference keeps the span of `self`, for messages.
    let loc = le.body.attributes["command"].expr.loc();
    assert_eq!(config.sources.describe(&loc), "main.tf:11:19");
}

#[test]
fn for_each_resources_use_each_key_and_for_variables_are_not_references() {
    let (config, problems) = parse(
        r#"
resource "terraform_data" "t" {
  for_each = toset(["a"])
  provisioner "local-exec" {
    command = join(" ", [for x in self.input : x.name])
  }
}
"#,
    );
    assert_eq!(problems, Vec::<String>::new());
    let r = &config.resources[0];
    assert_eq!(text(&r.provisioners[0].body.attributes["command"].expr), r#"join(" ", [for x in terraform_data.t[each.key].input : x.name])"#);
    assert!(r.depends_on.is_empty(), "x.name is a for variable: {:?}", r.depends_on);
}

#[test]
fn every_mistake_is_reported_with_its_place() {
    let (_, problems) = parse(
        r#"
resource "terraform_data" "a" {
  provisioner "chef" {}
  provisioner "local-exec-typo" {}
  provisioner "local-exec" {
    commandd = "x"
  }
  provisioner "remote-exec" {
    inline = ["a"]
    script = "b.sh"
  }
  provisioner "file" {
    source = "a"
  }
  provisioner "local-exec" {
    command    = "x"
    when       = "destroy"
    on_failure = ignore
  }
  provisioner "local-exec" {
    command = "echo ${var.secret} ${terraform_data.b.id} ${self.id} ${count.index}"
    when    = destroy
  }
  connection {
    password = "hunter2"
    type     = "winrm"
  }
}
data "local_file" "d" {
  filename = "x"
  provisioner "local-exec" {
    command = "x"
  }
}
"#,
    );
    assert_eq!(
        problems,
        vec![
            "main.tf:3:3: Invalid provisioner type \"chef\"",
            "main.tf:4:3: Invalid provisioner type \"local-exec-typo\"",
            "main.tf:6:5: Unsupported argument \"commandd\" in provisioner \"local-exec\" block",
            "main.tf:5:3: Invalid provisioner \"local-exec\" block",
            "main.tf:8:3: Invalid provisioner \"remote-exec\" block",
            "main.tf:12:3: Invalid provisioner \"file\" block",
            "main.tf:17:18: Invalid \"when\" keyword",
            "main.tf:18:18: Invalid \"on_failure\" keyword",
            "main.tf:25:5: Unsupported connection argument \"password\"",
            "main.tf:26:16: Unsupported connection type \"winrm\"",
            "main.tf:21:23: Invalid reference from destroy provisioner",
            "main.tf:21:37: Invalid reference from destroy provisioner",
            "main.tf:31:3: Unsupported block type \"provisioner\"",
        ]
    );
}

#[test]
fn module_resources_get_their_provisioners_rewritten() {
    use crate::modules::{expand, ModuleLoader};
    struct Loader;
    impl ModuleLoader for Loader {
        fn files(&mut self, dir: &str) -> Result<Vec<(String, String)>, String> {
            assert_eq!(dir, "mod");
            Ok(vec![(
                "mod/main.tf".to_string(),
                "variable \"v\" {}\nresource \"terraform_data\" \"m\" {\n  provisioner \"local-exec\" {\n    command = \"${var.v} ${self.id}\"\n  }\n}\n".to_string(),
            )])
        }
        fn installed(&self, _: &str) -> Option<String> {
            None
        }
    }
    let (mut config, problems) = parse("module \"a\" {\n  source = \"./mod\"\n  v = \"x\"\n}\n");
    assert_eq!(problems, Vec::<String>::new());
    let diags = expand(&mut config, &mut Loader, None, &mut |_, _, _| Ok(Vec::new()));
    assert!(!diags.has_errors(), "{diags:?}");
    let r = config.resources.iter().find(|r| r.name == "m").expect("flattened");
    assert_eq!(r.module, "module.a");
    let cmd = text(&r.provisioners[0].body.attributes["command"].expr);
    assert!(cmd.contains("terraform_data.module.a.m.id"), "{cmd}");
    assert!(cmd.contains("${ local.module.a.var.v }"), "{cmd}");
}
