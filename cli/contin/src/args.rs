//! Command-line definition (clap derive) and the argv rewriting that lets
//! Terraform users keep their single-dash spellings (`-auto-approve`, `-var=k=v`).

use clap::{Args, Parser, Subcommand};
use std::ffi::OsString;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "contin",
    version,
    about = "Infrastructure as code for the edge-cloud continuum",
    long_about = "contin reads *.hcl specs in a directory, plans the changes against the recorded \
                  state and applies them in parallel through providers.\n\n\
                  Terraform's single-dash flag spellings (-auto-approve, -var, -out, …) are accepted."
)]
pub struct Cli {
    /// Change to DIR before doing anything (like `terraform -chdir`); relative
    /// paths (--var-file, --out, plan files) are then relative to DIR.
    #[arg(short = 'C', global = true, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// Never colour the output (NO_COLOR is honoured too).
    #[arg(long, global = true)]
    pub no_color: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the configuration loads, the backend is reachable and providers are available.
    Init(InitArgs),
    /// Check the configuration for errors (no state, no provider calls).
    Validate,
    /// Rewrite *.hcl files in canonical format.
    Fmt(FmtArgs),
    /// Show the changes an apply would make.
    Plan(PlanArgs),
    /// Make the changes (from a saved plan file, or planned now and approved).
    Apply(ApplyArgs),
    /// Destroy every resource in the state.
    Destroy(DestroyArgs),
    /// Show a saved plan, or the current state.
    Show(ShowArgs),
    /// Inspect and edit the state.
    #[command(subcommand)]
    State(StateCommand),
    /// Show output values from the state.
    Output(OutputArgs),
    /// Evaluate expressions against the configuration and state, as `terraform console` (one per line on stdin).
    Console(VarArgs),
    /// Print the dependency graph in DOT format.
    Graph(VarArgs),
    /// Remove a stale state lock left by a crashed process.
    ForceUnlock(ForceUnlockArgs),
    /// Record an existing remote object in state under a configured address.
    Import(ImportArgs),
    /// Compare every managed object with the state (refresh only; exit 0 none, 2 drift).
    Drift(crate::ci::drift::DriftArgs),
    /// Open the terminal dashboard: plan, live apply, fleet and dependency graph views.
    Dashboard(DashboardArgs),
    /// Print the version.
    Version,
    /// Edge sites: enrollment tokens for agents, per-site agent status.
    #[command(subcommand)]
    Edge(EdgeCommand),
    /// The edge agent (runs on a site's host).
    #[command(subcommand)]
    Agent(AgentCommand),
}

#[derive(Debug, Subcommand)]
pub enum EdgeCommand {
    /// Per site: agents, last seen, acked vs desired generation, workloads, restarts, disconnection, buffered telemetry.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Enrollment tokens for edge agents.
    #[command(subcommand)]
    Token(EdgeTokenCommand),
}

#[derive(Debug, Subcommand)]
pub enum EdgeTokenCommand {
    /// Print a signed, expiring enrollment token for one site (its last line).
    Create {
        #[arg(value_name = "SITE")]
        site: String,
        /// Lifetime, e.g. 30m, 1h, 7d.
        #[arg(long, default_value = "1h")]
        ttl: String,
    },
}

/// Variables: `--var k=v`, `--var-file F`.
#[derive(Debug, Args, Default, Clone)]
pub struct VarArgs {
    /// Set a variable (`name=value`); repeatable; later ones win.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Read variables from a file (`name = value` lines); repeatable.
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
}

/// Shared by plan, apply and destroy.
#[derive(Debug, Args, Clone)]
pub struct PlanningArgs {
    #[command(flatten)]
    pub vars: VarArgs,
    /// Limit the operation to this resource or instance (and what it depends on); repeatable.
    #[arg(long = "target", value_name = "ADDR")]
    pub targets: Vec<String>,
    /// `--refresh=false` skips reading the current objects from providers.
    #[arg(
        long,
        value_name = "BOOL",
        default_value_t = true,
        action = clap::ArgAction::Set,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true"
    )]
    pub refresh: bool,
}

#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Do not write; list unformatted files and exit 3 when there are any.
    #[arg(long)]
    pub check: bool,
    /// Print a diff of the formatting changes.
    #[arg(long)]
    pub diff: bool,
    /// Also format *.hcl files in subdirectories.
    #[arg(long)]
    pub recursive: bool,
    /// Files or directories to format (default: the configuration directory);
    /// `-` reads stdin and writes the result to stdout.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub planning: PlanningArgs,
    /// Write the plan to FILE (apply it later with `contin apply FILE`).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit code 0: no changes, 2: changes, 1: error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Print the plan as JSON (see docs/cli.md).
    #[arg(long)]
    pub json: bool,
    /// Plan to destroy every resource.
    #[arg(long)]
    pub destroy: bool,
    /// Concurrent provider reads while refreshing.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub parallelism: u32,
    #[command(flatten)]
    pub ci: crate::ci::PlanCiArgs,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A plan file written by `contin plan --out`; applied without asking.
    #[arg(value_name = "PLANFILE")]
    pub plan_file: Option<PathBuf>,
    #[command(flatten)]
    pub planning: PlanningArgs,
    #[command(flatten)]
    pub exec: ExecArgs,
    /// Plan to destroy every resource (same as `contin destroy`).
    #[arg(long)]
    pub destroy: bool,
}

#[derive(Debug, Args)]
pub struct DestroyArgs {
    #[command(flatten)]
    pub planning: PlanningArgs,
    #[command(flatten)]
    pub exec: ExecArgs,
}

#[derive(Debug, Args, Clone)]
pub struct ExecArgs {
    /// Do not ask for approval.
    #[arg(long)]
    pub auto_approve: bool,
    /// Concurrent provider operations.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub parallelism: u32,
    /// Print one JSON object per apply event instead of progress lines.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub ci: crate::ci::ApplyCiArgs,
    /// Follow the apply in the terminal dashboard (approve with y/n there).
    #[arg(long)]
    pub dashboard: bool,
}

/// `contin dashboard`.
#[derive(Debug, Args)]
pub struct DashboardArgs {
    #[command(flatten)]
    pub planning: PlanningArgs,
    /// Never lock the state or call providers: show the recorded state and a plan made without refresh.
    #[arg(long)]
    pub readonly: bool,
    /// The view to open first: plan, apply, fleet or graph.
    #[arg(long, value_name = "VIEW", default_value = "plan")]
    pub view: String,
    /// Concurrent provider reads while refreshing.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub parallelism: u32,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A plan file; without it the current state is shown.
    #[arg(value_name = "PLANFILE")]
    pub plan_file: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
    /// The plan file is encrypted with the key in this environment variable.
    #[arg(long, value_name = "VAR")]
    pub plan_key_env: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// List resource instances in the state (optionally those under an address).
    List {
        #[arg(value_name = "ADDR")]
        prefix: Vec<String>,
    },
    /// Show the attributes of one instance (sensitive values hidden).
    Show {
        #[arg(value_name = "ADDR")]
        addr: String,
    },
    /// Forget instances (the real objects are left alone).
    Rm {
        #[arg(value_name = "ADDR", required = true)]
        addrs: Vec<String>,
    },
    /// Rename an instance or a whole resource in the state.
    Mv {
        #[arg(value_name = "SRC")]
        src: String,
        #[arg(value_name = "DST")]
        dst: String,
    },
    /// Replace the stored state with FILE (e.g. contin.errored.state after a
    /// failed final write). Refuses another lineage or an older serial unless -force.
    Push {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Replace even a state of another lineage or a newer serial.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// One output; without it all outputs are listed.
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    #[arg(long)]
    pub json: bool,
    /// Print the value as is (strings unquoted); the only way to reveal a sensitive output.
    #[arg(long)]
    pub raw: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub vars: VarArgs,
    /// Resource address in the configuration (`aws_instance.web`, `aws_instance.web[0]`).
    #[arg(value_name = "ADDR")]
    pub addr: String,
    /// The provider's id of the existing object (`i-0abc…`).
    #[arg(value_name = "ID")]
    pub id: String,
}

/// `contin init`.
#[derive(Debug, Args, Default)]
pub struct InitArgs {
    /// Copy the local state file (default contin.state.json, see --from-state) into the
    /// configured backend; the local file is then kept as FILE.migrated.
    #[arg(long)]
    pub migrate_state: bool,
    /// With --migrate-state: the local state file to copy.
    #[arg(long, value_name = "FILE")]
    pub from_state: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ForceUnlockArgs {
    /// The lock ID shown in the "state is locked" error.
    #[arg(value_name = "LOCK_ID")]
    pub id: String,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub force: bool,
}

/// Options taking a value as the next argument: that argument is left alone.
const VALUE_OPTIONS: &[&str] = &["-C", "--var", "--var-file", "--out", "--target", "--parallelism", "--view"];
/// The CI step's options taking a value (`-lock-timeout 5m`, `-json-out FILE`, …).
const CI_VALUE_OPTIONS: &[&str] = &["--lock-timeout", "--json-out", "--markdown-out", "--gitlab-report", "--sarif-out", "--junit-out", "--plan-key-env"];

/// Terraform flags contin accepts but has no use for (the value form `-x=v` included).
const IGNORED_FLAGS: &[(&str, &str)] = &[
    ("lock", "contin always locks the state"),
    ("input", "contin only prompts on a terminal"),
    ("compact-warnings", "warnings are always shown in full"),
    ("upgrade", "providers are compiled in"),
    ("reconfigure", "there is nothing to reconfigure"),
];

/// Rewrites Terraform-style arguments into contin's: a single-dash long word
/// (`-auto-approve`, `-var=k=v`) gets a second dash, `-chdir=DIR` becomes
/// `-C DIR`, and flags contin ignores are dropped with a warning. Values of
/// options (`--var -x`) and everything after `--` are left untouched.
/// Returns the new argv and the warnings to print.
pub fn rewrite_args(argv: Vec<OsString>) -> (Vec<OsString>, Vec<String>) {
    let mut out = Vec::with_capacity(argv.len());
    let mut warnings = Vec::new();
    let mut iter = argv.into_iter();
    if let Some(program) = iter.next() {
        out.push(program);
    }
    let mut value_next = false;
    let mut rest_verbatim = false;
    for arg in iter {
        if rest_verbatim || value_next {
            value_next = false;
            out.push(arg);
            continue;
        }
        let Some(s) = arg.to_str().map(str::to_owned) else {
            out.push(arg);
            continue;
        };
        if s == "--" {
            rest_verbatim = true;
            out.push(arg);
            continue;
        }
        let rewritten = if is_single_dash_word(&s) { format!("-{s}") } else { s };
        if let Some(dir) = rewritten.strip_prefix("--chdir=") {
            out.push("-C".into());
            out.push(dir.into());
            continue;
        }
        if rewritten == "--chdir" {
            out.push("-C".into());
            value_next = true;
            continue;
        }
        if let Some(word) = rewritten.strip_prefix("--") {
            let name = word.split_once('=').map_or(word, |(n, _)| n);
            if let Some((flag, why)) = IGNORED_FLAGS.iter().find(|(f, _)| *f == name) {
                warnings.push(format!("ignoring -{flag}: {why}"));
                continue;
            }
        }
        value_next = VALUE_OPTIONS.contains(&rewritten.as_str()) || CI_VALUE_OPTIONS.contains(&rewritten.as_str());
        out.push(rewritten.into());
    }
    (out, warnings)
}

/// `-auto-approve`, `-var=x=1`, `-json`: one dash, then a word of two or more
/// characters starting with a lowercase letter. `-C`, `-Cdir`, `-h`, `-` are not.
fn is_single_dash_word(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('-') else { return false };
    if rest.starts_with('-') {
        return false;
    }
    let mut chars = rest.chars();
    let first_ok = matches!(chars.next(), Some(c) if c.is_ascii_lowercase());
    first_ok && matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn rw(args: &[&str]) -> (Vec<String>, Vec<String>) {
        let argv = std::iter::once("contin").chain(args.iter().copied()).map(OsString::from).collect();
        let (out, warnings) = rewrite_args(argv);
        (out.into_iter().skip(1).map(|a| a.to_string_lossy().into_owned()).collect(), warnings)
    }

    fn parse(args: &[&str]) -> Cli {
        let argv = std::iter::once("contin").chain(args.iter().copied()).map(OsString::from).collect();
        let (out, _) = rewrite_args(argv);
        match Cli::try_parse_from(out) {
            Ok(cli) => cli,
            Err(e) => panic!("{args:?} did not parse: {e}"),
        }
    }

    #[test]
    fn single_dash_words_get_a_second_dash() {
        assert_eq!(rw(&["apply", "-auto-approve"]).0, ["apply", "--auto-approve"]);
        assert_eq!(rw(&["plan", "-var=a=b", "-out=p.bin"]).0, ["plan", "--var=a=b", "--out=p.bin"]);
        assert_eq!(rw(&["plan", "-var", "a=b"]).0, ["plan", "--var", "a=b"]);
        assert_eq!(rw(&["plan", "-refresh=false", "-detailed-exitcode"]).0, ["plan", "--refresh=false", "--detailed-exitcode"]);
        assert_eq!(rw(&["apply", "-parallelism=3", "-no-color"]).0, ["apply", "--parallelism=3", "--no-color"]);
    }

    #[test]
    fn short_options_double_dash_and_positionals_are_kept() {
        assert_eq!(rw(&["-C", "dir", "plan"]).0, ["-C", "dir", "plan"]);
        assert_eq!(rw(&["-Cdir", "plan"]).0, ["-Cdir", "plan"]);
        assert_eq!(rw(&["--auto-approve", "-h", "-"]).0, ["--auto-approve", "-h", "-"]);
        assert_eq!(rw(&["state", "rm", "local_file.a"]).0, ["state", "rm", "local_file.a"]);
    }

    #[test]
    fn values_of_options_and_after_double_dash_are_untouched() {
        assert_eq!(rw(&["plan", "-var", "-weird=1"]).0, ["plan", "--var", "-weird=1"]);
        assert_eq!(rw(&["-C", "-odd-dir", "plan"]).0, ["-C", "-odd-dir", "plan"]);
        assert_eq!(rw(&["output", "--", "-json"]).0, ["output", "--", "-json"]);
    }

    #[test]
    fn chdir_becomes_dash_c() {
        assert_eq!(rw(&["-chdir=examples/q", "plan"]).0, ["-C", "examples/q", "plan"]);
        assert_eq!(rw(&["-chdir", "examples/q", "plan"]).0, ["-C", "examples/q", "plan"]);
    }

    #[test]
    fn ignored_flags_are_dropped_with_a_warning() {
        let (args, warnings) = rw(&["apply", "-lock=false", "-input=false", "-auto-approve"]);
        assert_eq!(args, ["apply", "--auto-approve"]);
        assert_eq!(warnings.len(), 2);
        assert!(warnings[0].contains("-lock"), "{warnings:?}");
    }

    #[test]
    fn terraform_spellings_parse() {
        let cli = parse(&["-C", "q", "apply", "-auto-approve", "-var", "a=1", "-var-file=x.tfvars", "-parallelism=3", "-target=local_file.a", "-refresh=false"]);
        assert_eq!(cli.dir, PathBuf::from("q"));
        let Command::Apply(a) = cli.command else { panic!("not apply") };
        assert!(a.exec.auto_approve);
        assert_eq!(a.exec.parallelism, 3);
        assert_eq!(a.planning.vars.vars, ["a=1"]);
        assert_eq!(a.planning.vars.var_files, [PathBuf::from("x.tfvars")]);
        assert_eq!(a.planning.targets, ["local_file.a"]);
        assert!(!a.planning.refresh);
        assert!(a.plan_file.is_none());

        let cli = parse(&["plan", "-out", "p.bin", "-detailed-exitcode", "-destroy", "-json", "-no-color"]);
        assert!(cli.no_color);
        let Command::Plan(p) = cli.command else { panic!("not plan") };
        assert_eq!(p.out, Some(PathBuf::from("p.bin")));
        assert!(p.detailed_exitcode && p.destroy && p.json);
        assert!(p.planning.refresh, "refresh defaults to true");

        let cli = parse(&["fmt", "-check", "-diff"]);
        let Command::Fmt(f) = cli.command else { panic!("not fmt") };
        assert!(f.check && f.diff);
    }

    #[test]
    fn defaults_and_plan_file() {
        let cli = parse(&["apply", "plan.bin"]);
        assert_eq!(cli.dir, PathBuf::from("."));
        let Command::Apply(a) = cli.command else { panic!("not apply") };
        assert_eq!(a.plan_file, Some(PathBuf::from("plan.bin")));
        assert_eq!(a.exec.parallelism, 10);
        assert!(a.planning.refresh);
        let cli = parse(&["plan", "--refresh"]);
        let Command::Plan(p) = cli.command else { panic!("not plan") };
        assert!(p.planning.refresh);
    }

    #[test]
    fn state_and_output_commands_parse() {
        let Command::State(StateCommand::Mv { src, dst }) = parse(&["state", "mv", "a.b", "a.c"]).command else {
            panic!("not state mv")
        };
        assert_eq!((src.as_str(), dst.as_str()), ("a.b", "a.c"));
        let Command::Output(o) = parse(&["output", "pw", "-raw"]).command else { panic!("not output") };
        assert!(o.raw);
        assert_eq!(o.name.as_deref(), Some("pw"));
        let Command::ForceUnlock(f) = parse(&["force-unlock", "-force", "abc"]).command else { panic!("not unlock") };
        assert!(f.force);
        assert_eq!(f.id, "abc");
    }

    #[test]
    fn zero_parallelism_is_rejected() {
        let argv = ["contin", "apply", "--parallelism=0"].map(OsString::from).to_vec();
        assert!(Cli::try_parse_from(argv).is_err());
    }
}

/// `contin agent …`
#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// Enroll (first start) and run the edge agent: sync the site's signed
    /// desired state, supervise its workloads, relay for child sites.
    Run(contin_agent::cli::RunArgs),
}
